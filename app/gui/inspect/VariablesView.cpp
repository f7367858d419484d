#include "app/gui/inspect/VariablesView.h"

#include "app/gui/inspect/TensorValues.h"
#include "app/gui/inspect/VariablePlots.h"

#include "engine/Model.h"
#include "engine/Summary.h"

#include <QFontDatabase>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QSplitter>
#include <QTableView>
#include <QTreeWidget>
#include <QVBoxLayout>

#include <functional>

namespace strata::gui {

namespace {
QString q(const std::string& s) { return QString::fromStdString(s); }
QString thousands(int64_t n) { return q(withThousands(n)); }

// "trainable", "frozen", or "partly frozen (2 of 4)" for a module's variables.
QString trainability(const std::vector<Variable*>& vars) {
    int64_t frozen = 0;
    for (const Variable* v : vars) frozen += v->isEffectivelyTrainable() ? 0 : 1;
    if (vars.empty()) return QStringLiteral("—");
    if (frozen == 0) return VariablesView::tr("trainable");
    if (frozen == int64_t(vars.size())) return VariablesView::tr("frozen");
    return VariablesView::tr("partly frozen (%1 of %2)").arg(frozen).arg(vars.size());
}

int64_t paramsOf(const std::vector<Variable*>& vars) {
    int64_t n = 0;
    for (const Variable* v : vars) n += v->value().size();
    return n;
}
} // namespace

VariablesView::VariablesView(const Model& model, QWidget* parent) : QWidget(parent), model_(model) {
    const QFont mono = QFontDatabase::systemFont(QFontDatabase::FixedFont);
    filter_ = new QLineEdit;
    filter_->setPlaceholderText(tr("Filter by path, e.g. kernel or encoder/"));
    filter_->setClearButtonEnabled(true);
    connect(filter_, &QLineEdit::textChanged, this, &VariablesView::applyFilter);

    tree_ = new QTreeWidget;
    tree_->setColumnCount(ColumnCount);
    tree_->setHeaderLabels({tr("Module / variable"), tr("Shape"), tr("Dtype"), tr("Trainable"), tr("Params"),
                            tr("Values (min · mean · max · first)")});
    tree_->setUniformRowHeights(true);
    tree_->setAlternatingRowColors(true);
    tree_->header()->setStretchLastSection(true);
    tree_->setFont(mono);
    tree_->setSelectionMode(QAbstractItemView::SingleSelection);
    connect(tree_, &QTreeWidget::itemSelectionChanged, this, &VariablesView::showSelected);

    totalsLabel_ = new QLabel;
    totalsLabel_->setTextInteractionFlags(Qt::TextSelectableByMouse);

    detailTitle_ = new QLabel;
    detailTitle_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    detailNote_ = new QLabel;
    detailNote_->setWordWrap(true);
    detailNote_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    valuesModel_ = new TensorTableModel(this);
    values_ = new QTableView;
    values_->setModel(valuesModel_);
    values_->setFont(mono);
    // Wide enough for the longest shortest-round-trip float32 text, so no value is elided.
    values_->horizontalHeader()->setDefaultSectionSize(values_->fontMetrics().horizontalAdvance(QStringLiteral("-1.2345678e-05")) + 16);
    values_->verticalHeader()->setDefaultSectionSize(values_->fontMetrics().height() + 6);
    values_->setAlternatingRowColors(true);

    auto* top = new QWidget;
    auto* topLayout = new QVBoxLayout(top);
    topLayout->setContentsMargins(0, 0, 0, 0);
    topLayout->addWidget(filter_);
    topLayout->addWidget(tree_, 1);
    topLayout->addWidget(totalsLabel_);
    auto* detail = new QWidget;
    auto* detailLayout = new QVBoxLayout(detail);
    detailLayout->setContentsMargins(0, 0, 0, 0);
    detailLayout->addWidget(detailTitle_);
    detailLayout->addWidget(detailNote_);
    plots_ = new VariablePlots;
    plots_->insertTab(0, values_, tr("Values"));
    plots_->setCurrentIndex(0);
    detailLayout->addWidget(plots_, 1);
    auto* split = new QSplitter(Qt::Vertical);
    split->addWidget(top);
    split->addWidget(detail);
    split->setStretchFactor(0, 3);
    split->setStretchFactor(1, 2);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(6, 6, 6, 6);
    layout->addWidget(split);
    refresh();
}

QTreeWidgetItem* VariablesView::addModule(QTreeWidgetItem* parent, const Module& module) {
    const auto vars = module.variables();
    QString name = q(module.pathSegment());
    if (auto* layer = dynamic_cast<const Layer*>(&module)) name += QStringLiteral("  ") + q(layer->type());
    else if (&module == &model_) name += QStringLiteral("  ") + q(model_.spec().name);
    auto* item = parent ? new QTreeWidgetItem(parent) : new QTreeWidgetItem(tree_);
    item->setText(NameColumn, name);
    item->setText(TrainableColumn, trainability(vars));
    item->setText(ParamsColumn, thousands(paramsOf(vars)));
    item->setData(NameColumn, PathRole, q(module.path()));
    item->setData(NameColumn, IsVariableRole, false);
    QFont bold = tree_->font();
    bold.setBold(true);
    item->setFont(NameColumn, bold);
    if (vars.empty())
        for (int c = 0; c < ColumnCount; ++c) item->setForeground(c, tree_->palette().color(QPalette::Disabled, QPalette::Text));

    for (const Variable* v : module.ownVariables()) {
        auto* row = new QTreeWidgetItem(item);
        row->setText(NameColumn, q(v->name()));
        row->setText(ShapeColumn, q(v->shape().toString()));
        row->setText(DTypeColumn, QString::fromUtf8(dtypeName(v->dtype()).data()));
        row->setText(TrainableColumn, v->isEffectivelyTrainable() ? tr("trainable") : tr("frozen"));
        row->setText(ParamsColumn, thousands(v->value().size()));
        row->setText(ValuesColumn, tensorSummary(v->value()));
        row->setToolTip(NameColumn, q(v->path()) + tr("\ninitializer: ") + q(v->initializer()));
        row->setData(NameColumn, PathRole, q(v->path()));
        row->setData(NameColumn, IsVariableRole, true);
        if (!v->isEffectivelyTrainable()) row->setForeground(TrainableColumn, QColor(0xc2, 0x7c, 0x0e));
        (v->isEffectivelyTrainable() ? totals_.trainable : totals_.nonTrainable) += v->value().size();
    }
    for (const Module* child : module.children()) addModule(item, *child);
    for (int c : {ParamsColumn}) item->setTextAlignment(c, Qt::AlignRight | Qt::AlignVCenter);
    for (int i = 0; i < item->childCount(); ++i) item->child(i)->setTextAlignment(ParamsColumn, Qt::AlignRight | Qt::AlignVCenter);
    return item;
}

void VariablesView::refresh() {
    const QString selected = tree_->currentItem() ? tree_->currentItem()->data(NameColumn, PathRole).toString() : QString();
    valuesModel_->clear();
    totals_ = {};
    tree_->setUpdatesEnabled(false);
    tree_->clear();
    addModule(nullptr, model_);
    tree_->expandAll();
    for (int c = 0; c < ValuesColumn; ++c) tree_->resizeColumnToContents(c);
    tree_->setUpdatesEnabled(true);
    totalsLabel_->setText(tr("<b>Total params:</b> %1 (%2) &nbsp; <b>Trainable:</b> %3 &nbsp; <b>Non-trainable:</b> %4")
                              .arg(thousands(totals_.total()), q(readableParamBytes(totals_.total())),
                                   thousands(totals_.trainable), thousands(totals_.nonTrainable)));
    applyFilter(filter_->text());
    if (selected.isEmpty() || !selectPath(selected)) showSelected();
}

void VariablesView::setRunHistograms(std::vector<storage::VariableHistogram> histograms, const QString& source) {
    plots_->setRunHistograms(std::move(histograms), source);
}

QString VariablesView::totalsText() const { return totalsLabel_->text(); }
QString VariablesView::valuesNote() const { return detailNote_->text(); }

QStringList VariablesView::variablePaths() const {
    QStringList out;
    std::function<void(QTreeWidgetItem*)> walk = [&](QTreeWidgetItem* item) {
        if (item->data(NameColumn, IsVariableRole).toBool()) out << item->data(NameColumn, PathRole).toString();
        for (int i = 0; i < item->childCount(); ++i) walk(item->child(i));
    };
    for (int i = 0; i < tree_->topLevelItemCount(); ++i) walk(tree_->topLevelItem(i));
    return out;
}

QTreeWidgetItem* VariablesView::itemForPath(const QString& path) const {
    for (QTreeWidgetItemIterator it(tree_); *it; ++it)
        if ((*it)->data(NameColumn, PathRole).toString() == path) return *it;
    return nullptr;
}

bool VariablesView::selectPath(const QString& path) {
    QTreeWidgetItem* item = itemForPath(path);
    if (!item) return false;
    tree_->setCurrentItem(item);
    tree_->scrollToItem(item);
    showSelected();
    return true;
}

void VariablesView::showSelected() {
    QTreeWidgetItem* item = tree_->currentItem();
    const QString path = item ? item->data(NameColumn, PathRole).toString() : QString();
    const Variable* var = nullptr;
    if (item && item->data(NameColumn, IsVariableRole).toBool() && path.startsWith(QStringLiteral("model/")))
        var = model_.findVariable(path.mid(6).toStdString());
    if (!var) {
        valuesModel_->clear();
        plots_->setVariable({}, nullptr);
        detailTitle_->setText(item ? QStringLiteral("<b>%1</b>").arg(path.toHtmlEscaped()) : QString());
        detailNote_->setText(tr("Select a variable to see its values."));
        return;
    }
    valuesModel_->setTensor(&var->value());
    plots_->setVariable(path, &var->value());
    detailTitle_->setText(QStringLiteral("<b>%1</b> &nbsp; %2")
                              .arg(path.toHtmlEscaped(), var->isEffectivelyTrainable() ? tr("trainable") : tr("frozen (not trained)")));
    detailNote_->setText(valuesModel_->note() + QStringLiteral("\n") + statsText(var->value()));
}

void VariablesView::applyFilter(const QString& text) {
    // A row stays visible when it or a row below it matches; a module that matches shows its subtree.
    std::function<bool(QTreeWidgetItem*, bool)> apply = [&](QTreeWidgetItem* item, bool parentMatches) {
        const bool matches = parentMatches || text.isEmpty() ||
                             item->data(NameColumn, PathRole).toString().contains(text, Qt::CaseInsensitive);
        bool any = matches;
        for (int i = 0; i < item->childCount(); ++i) any = apply(item->child(i), matches) || any;
        item->setHidden(!any);
        return any;
    };
    for (int i = 0; i < tree_->topLevelItemCount(); ++i) apply(tree_->topLevelItem(i), false);
}

} // namespace strata::gui
