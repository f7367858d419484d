#include "app/gui/panels/SummaryPanel.h"

#include "app/gui/model/GraphModel.h"

#include "engine/Summary.h"

#include <QApplication>
#include <QClipboard>
#include <QFontDatabase>
#include <QHeaderView>
#include <QLabel>
#include <QPushButton>
#include <QTreeWidget>
#include <QVBoxLayout>

namespace strata::gui {

namespace {
QString q(const std::string& s) { return QString::fromStdString(s); }

void addRow(QTreeWidget* table, QTreeWidgetItem* parent, const SummaryRow& row) {
    QStringList inbound;
    for (const auto& in : row.inbound) inbound << q(in);
    QStringList cells{q(row.name) + " (" + q(row.type) + ")",
                      row.outputShape ? q(row.outputShape->toString()) : QStringLiteral("—"),
                      q(withThousands(row.params.total())), inbound.join(", ")};
    auto* item = parent ? new QTreeWidgetItem(parent, cells) : new QTreeWidgetItem(table, cells);
    item->setData(0, Qt::UserRole, q(row.name));
    item->setTextAlignment(2, Qt::AlignRight | Qt::AlignVCenter);
    if (row.hasError)
        for (int c = 0; c < 4; ++c) item->setForeground(c, QColor(0xe5, 0x48, 0x4d));
    for (const auto& child : row.children) addRow(table, item, child);
}
} // namespace

SummaryPanel::SummaryPanel(GraphModel* model, QWidget* parent) : QWidget(parent), model_(model) {
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(6, 6, 6, 6);
    table_ = new QTreeWidget;
    table_->setHeaderLabels({tr("Layer (type)"), tr("Output Shape"), tr("Param #"), tr("Connected to")});
    table_->setRootIsDecorated(true);
    table_->setUniformRowHeights(true);
    table_->setAlternatingRowColors(true);
    table_->header()->setStretchLastSection(true);
    QFont mono = QFontDatabase::systemFont(QFontDatabase::FixedFont);
    table_->setFont(mono);
    totals_ = new QLabel;
    totals_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    auto* copy = new QPushButton(tr("Copy as text"));
    copy->setToolTip(tr("Copy the summary exactly as strata-cli summary prints it"));
    connect(copy, &QPushButton::clicked, this, [this] { QApplication::clipboard()->setText(text_); });
    auto* bottom = new QHBoxLayout;
    bottom->addWidget(totals_, 1);
    bottom->addWidget(copy);
    layout->addWidget(table_, 1);
    layout->addLayout(bottom);
    connect(model_, &GraphModel::changed, this, &SummaryPanel::refresh);
    connect(table_, &QTreeWidget::itemDoubleClicked, this, [this](QTreeWidgetItem* item) {
        if (!item->parent()) emit layerActivated(item->data(0, Qt::UserRole).toString().toStdString());
    });
    refresh();
}

void SummaryPanel::refresh() {
    const ModelSpec& spec = model_->state().spec;
    SummaryTable t = SummaryTable::fromSpec(spec, model_->rootInference());
    text_ = q(t.format());
    table_->setUpdatesEnabled(false);
    table_->clear();
    for (const auto& row : t.rows) addRow(table_, nullptr, row);
    table_->setColumnHidden(3, !t.functional);
    for (int c = 0; c < 3; ++c) table_->resizeColumnToContents(c);
    table_->setUpdatesEnabled(true);
    totals_->setText(tr("<b>Total params:</b> %1 (%2) &nbsp; <b>Trainable:</b> %3 &nbsp; <b>Non-trainable:</b> %4")
                         .arg(q(withThousands(t.totals.total())), q(readableParamBytes(t.totals.total())),
                              q(withThousands(t.totals.trainable)), q(withThousands(t.totals.nonTrainable))));
}

QString SummaryPanel::totalsText() const { return totals_->text(); }

QString SummaryPanel::cell(const QString& layer, int column) const {
    for (int i = 0; i < table_->topLevelItemCount(); ++i)
        if (table_->topLevelItem(i)->data(0, Qt::UserRole).toString() == layer) return table_->topLevelItem(i)->text(column);
    return {};
}

} // namespace strata::gui
