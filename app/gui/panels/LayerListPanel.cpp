#include "app/gui/panels/LayerListPanel.h"

#include "app/gui/canvas/CanvasStyle.h"
#include "app/gui/model/GraphModel.h"

#include "engine/LayerRegistry.h"

#include <QHeaderView>
#include <QLabel>
#include <QTreeWidget>
#include <QVBoxLayout>

namespace strata::gui {

LayerListPanel::LayerListPanel(GraphModel* model, QWidget* parent) : QWidget(parent), model_(model) {
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    note_ = new QLabel;
    note_->setWordWrap(true);
    note_->setContentsMargins(12, 8, 12, 8);
    list_ = new QTreeWidget;
    list_->setHeaderLabels({tr("#"), tr("Layer"), tr("Type"), tr("Config"), tr("Output shape")});
    list_->setRootIsDecorated(false);
    list_->setUniformRowHeights(true);
    list_->setAlternatingRowColors(true);
    list_->setIconSize(QSize(20, 20));
    list_->setSelectionMode(QAbstractItemView::ExtendedSelection);
    layout->addWidget(note_);
    layout->addWidget(list_, 1);
    connect(model_, &GraphModel::changed, this, &LayerListPanel::refresh);
    connect(list_, &QTreeWidget::itemSelectionChanged, this, [this] {
        if (syncing_) return;
        auto items = list_->selectedItems();
        if (items.size() == 1) emit layerSelected(items.front()->text(1).toStdString());
    });
    refresh();
}

void LayerListPanel::refresh() {
    syncing_ = true;
    const ModelSpec& spec = model_->spec();
    bool sequential = spec.isSequential();
    note_->setText(sequential ? tr("A Sequential model: the layers in order.")
                              : tr("This model is functional (it branches or merges), so the list shows its layers in "
                                   "spec order; the canvas shows its wiring."));
    list_->clear();
    int i = 1;
    for (const auto& l : spec.layers) {
        const LayerTypeInfo* info = LayerRegistry::instance().find(l.type);
        QString type = QString::fromStdString(l.type);
        auto* item = new QTreeWidgetItem(list_, {QString::number(i++), QString::fromStdString(l.name), type,
                                                 model_->keyConfigText(l.name), model_->outputShapeText(l.name)});
        item->setIcon(2, CanvasStyle::typeIcon(type, info ? QString::fromStdString(info->category) : QString()));
        QStringList errors = model_->errorsOf(l.name);
        if (!errors.isEmpty()) {
            item->setForeground(4, QColor(0xe5, 0x48, 0x4d));
            item->setText(4, tr("error"));
            item->setToolTip(4, errors.join("\n"));
        }
    }
    for (int c = 0; c < 5; ++c) list_->resizeColumnToContents(c);
    syncing_ = false;
}

void LayerListPanel::selectLayers(const std::vector<std::string>& layers) {
    syncing_ = true;
    list_->clearSelection();
    for (int i = 0; i < list_->topLevelItemCount(); ++i) {
        auto* item = list_->topLevelItem(i);
        if (std::find(layers.begin(), layers.end(), item->text(1).toStdString()) != layers.end()) item->setSelected(true);
    }
    syncing_ = false;
}

} // namespace strata::gui
