#include "app/gui/panels/PalettePanel.h"

#include "app/gui/canvas/CanvasStyle.h"
#include "app/gui/panels/LayerMime.h"

#include "engine/LayerRegistry.h"

#include <QHeaderView>
#include <QLineEdit>
#include <QMimeData>
#include <QTreeWidget>
#include <QVBoxLayout>

namespace strata::gui {

namespace {
constexpr int kTypeRole = Qt::UserRole + 1;
}

class PaletteTree : public QTreeWidget {
public:
    using QTreeWidget::QTreeWidget;
    QMimeData* mimeFor(QTreeWidgetItem* item) const { return mimeData({item}); }

protected:
    QStringList mimeTypes() const override { return {LayerMime::kType}; }
    QMimeData* mimeData(const QList<QTreeWidgetItem*>& items) const override {
        for (auto* item : items) {
            QString type = item->data(0, kTypeRole).toString();
            if (!type.isEmpty()) return LayerMime::create(type);
        }
        return nullptr;
    }
    Qt::DropActions supportedDropActions() const override { return Qt::CopyAction; }
};

const QStringList& PalettePanel::categories() {
    static const QStringList c{"Core", "Convolution", "Pooling", "Sequence", "Attention", "Normalization", "Regularization",
                               "Merge", "Activation", "Preprocessing"};
    return c;
}

PalettePanel::PalettePanel(QWidget* parent) : QWidget(parent) {
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(6, 6, 6, 6);
    layout->setSpacing(6);
    filter_ = new QLineEdit;
    filter_->setPlaceholderText(tr("Filter layers…"));
    filter_->setClearButtonEnabled(true);
    tree_ = new PaletteTree;
    tree_->setHeaderHidden(true);
    tree_->setRootIsDecorated(false);
    tree_->setIndentation(8);
    tree_->setIconSize(QSize(22, 22));
    tree_->setDragEnabled(true);
    tree_->setDragDropMode(QAbstractItemView::DragOnly);
    tree_->setSelectionMode(QAbstractItemView::SingleSelection);
    tree_->setUniformRowHeights(true);
    tree_->setAnimated(false);
    layout->addWidget(filter_);
    layout->addWidget(tree_);

    QFont groupFont = font();
    groupFont.setBold(true);
    groupFont.setPointSizeF(groupFont.pointSizeF() * 0.9);
    for (const QString& cat : categories()) {
        auto* group = new QTreeWidgetItem(tree_, {cat.toUpper()});
        group->setFlags(Qt::ItemIsEnabled);
        group->setFont(0, groupFont);
        group->setForeground(0, palette().color(QPalette::PlaceholderText));
        for (const auto& t : LayerRegistry::instance().types()) {
            if (QString::fromStdString(t.category) != cat) continue;
            QString type = QString::fromStdString(t.type);
            auto* item = new QTreeWidgetItem(group, {type});
            item->setData(0, kTypeRole, type);
            item->setIcon(0, CanvasStyle::typeIcon(type, cat));
            item->setToolTip(0, QStringLiteral("<b>%1</b><br>%2").arg(type, QString::fromStdString(t.description).toHtmlEscaped()));
            item->setFlags(Qt::ItemIsEnabled | Qt::ItemIsSelectable | Qt::ItemIsDragEnabled);
        }
        group->setExpanded(true);
        if (group->childCount() == 0) group->setHidden(true);
    }
    connect(filter_, &QLineEdit::textChanged, this, &PalettePanel::setFilter);
    connect(tree_, &QTreeWidget::itemActivated, this, [this](QTreeWidgetItem* item) {
        QString type = item->data(0, kTypeRole).toString();
        if (!type.isEmpty()) emit activated(type);
    });
}

QTreeWidget* PalettePanel::tree() const { return tree_; }

QTreeWidgetItem* PalettePanel::itemFor(const QString& type) const {
    for (int g = 0; g < tree_->topLevelItemCount(); ++g) {
        auto* group = tree_->topLevelItem(g);
        for (int i = 0; i < group->childCount(); ++i)
            if (group->child(i)->data(0, kTypeRole).toString() == type) return group->child(i);
    }
    return nullptr;
}

QMimeData* PalettePanel::mimeDataFor(const QString& type) const {
    QTreeWidgetItem* item = itemFor(type);
    return item ? tree_->mimeFor(item) : nullptr; // the tree's own mimeData(): what a drag carries
}

void PalettePanel::setFilter(const QString& text) {
    for (int g = 0; g < tree_->topLevelItemCount(); ++g) {
        auto* group = tree_->topLevelItem(g);
        int shown = 0;
        for (int i = 0; i < group->childCount(); ++i) {
            auto* item = group->child(i);
            QString type = item->data(0, kTypeRole).toString();
            bool match = text.isEmpty() || type.contains(text, Qt::CaseInsensitive) ||
                         item->toolTip(0).contains(text, Qt::CaseInsensitive);
            item->setHidden(!match);
            shown += match;
        }
        group->setHidden(shown == 0);
    }
}

} // namespace strata::gui
