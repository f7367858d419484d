#include "app/gui/panels/SummaryPanel.h"

#include "app/gui/model/GraphModel.h"

#include "app/session/DeviceMemory.h"
#include "engine/Error.h"
#include "engine/MemoryBudget.h"
#include "engine/Summary.h"

#include <QApplication>
#include <QClipboard>
#include <QComboBox>
#include <QFontDatabase>
#include <QHeaderView>
#include <QLabel>
#include <QPushButton>
#include <QSpinBox>
#include <QTreeWidget>
#include <QVBoxLayout>

namespace strata::gui {

namespace {
QString q(const std::string& s) { return QString::fromStdString(s); }

void addRow(QTreeWidget* table, QTreeWidgetItem* parent, const SummaryRow& row) {
    QStringList inbound;
    for (const auto& in : row.inbound) inbound << q(in);
    QString shape = row.outputShape ? q(row.outputShape->toString()) : QStringLiteral("—");
    if (row.outputShape && !row.extraOutputShapes.empty()) { // every output, as Keras lists them
        QStringList all{shape};
        for (const Shape& s : row.extraOutputShapes) all << q(s.toString());
        shape = "[" + all.join(", ") + "]";
    }
    QStringList cells{q(row.name) + " (" + q(row.type) + ")", shape,
                      q(withThousands(row.params.total())), inbound.join(", "),
                      row.cost ? q(withThousands(row.cost->macs)) : QStringLiteral("?"),
                      row.cost ? q(readableBytes(double(row.cost->activationBytes))) : QStringLiteral("?")};
    auto* item = parent ? new QTreeWidgetItem(parent, cells) : new QTreeWidgetItem(table, cells);
    item->setData(0, Qt::UserRole, q(row.name));
    for (int c : {2, 4, 5}) item->setTextAlignment(c, Qt::AlignRight | Qt::AlignVCenter);
    if (row.cost)
        item->setToolTip(4, QObject::tr("%1 multiply-adds with the weights and %2 other operations per sample")
                                .arg(q(withThousands(row.cost->macs)), q(withThousands(row.cost->ops))));
    else
        item->setToolTip(4, QObject::tr("Unknown: the cost needs every dimension of a sample known"));
    if (row.hasError)
        for (int c = 0; c < 6; ++c) item->setForeground(c, QColor(0xe5, 0x48, 0x4d));
    for (const auto& child : row.children) addRow(table, item, child);
}
} // namespace

SummaryPanel::SummaryPanel(GraphModel* model, QWidget* parent) : QWidget(parent), model_(model) {
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(6, 6, 6, 6);
    table_ = new QTreeWidget;
    table_->setHeaderLabels({tr("Layer (type)"), tr("Output Shape"), tr("Param #"), tr("Connected to"), tr("MACs"), tr("Activations")});
    table_->headerItem()->setToolTip(4, tr("Multiply-adds of the layer's weights for one sample at inference"));
    table_->headerItem()->setToolTip(5, tr("The layer's output for one sample (float32): what training keeps for the backward pass"));
    table_->header()->moveSection(4, 3); // after Param #, before Connected to
    table_->header()->moveSection(5, 4);
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
    training_ = new QLabel;
    training_->setObjectName("trainingMemory");
    training_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    training_->setWordWrap(true); // a long line must not widen the window
    totals_->setWordWrap(true);
    training_->setToolTip(tr("What a training step holds: %1").arg(q(trainingMemoryAssumptions())));
    batch_ = new QSpinBox;
    batch_->setRange(1, 1 << 20);
    batch_->setValue(32);
    batch_->setPrefix(tr("batch "));
    batch_->setToolTip(tr("The batch size of the training memory estimate"));
    optimizer_ = new QComboBox;
    for (auto [label, name] : {std::pair{"Adam", "adam"}, std::pair{"AdamW", "adamw"}, std::pair{"SGD", "sgd"}, std::pair{"RMSprop", "rmsprop"}})
        optimizer_->addItem(label, QString(name));
    optimizer_->setToolTip(tr("Its slots per trainable parameter: Adam 2, SGD none, RMSprop 1"));
    device_ = new QComboBox;
    device_->addItem(tr("CPU"), QStringLiteral("cpu"));
    device_->addItem(tr("Vulkan device"), QStringLiteral("vulkan"));
    device_->setToolTip(tr("Compare with this device's memory (the CPU: this machine's)"));
    auto* trainingRow = new QHBoxLayout;
    trainingRow->addWidget(training_, 1);
    trainingRow->addWidget(batch_);
    trainingRow->addWidget(optimizer_);
    trainingRow->addWidget(device_);
    layout->addWidget(table_, 1);
    layout->addLayout(bottom);
    layout->addLayout(trainingRow);
    connect(batch_, &QSpinBox::valueChanged, this, &SummaryPanel::refresh);
    connect(optimizer_, &QComboBox::currentIndexChanged, this, &SummaryPanel::refresh);
    connect(device_, &QComboBox::currentIndexChanged, this, &SummaryPanel::refresh);
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
    for (int c : {0, 1, 2, 4, 5}) table_->resizeColumnToContents(c);
    table_->setUpdatesEnabled(true);
    const QString partial = t.costsComplete ? QString() : tr(" (some unknown)");
    totals_->setText(tr("<b>Total params:</b> %1 (%2) &nbsp; <b>Trainable:</b> %3 &nbsp; <b>Non-trainable:</b> %4 &nbsp; "
                        "<b>MACs/sample:</b> %5%7 &nbsp; <b>Activations/sample:</b> %6%7")
                         .arg(q(withThousands(t.totals.total())), q(readableParamBytes(t.totals.total())),
                              q(withThousands(t.totals.trainable)), q(withThousands(t.totals.nonTrainable)),
                              q(readableCount(t.costTotals.macs)), q(readableBytes(double(t.costTotals.activationBytes))), partial));
    try {
        t.estimateTraining(batch_->value(), optimizer_->currentData().toString().toStdString());
    } catch (const StrataError&) { // a count past 2^62: no estimate
    }
    if (!t.training) {
        training_->setText(tr("Training memory: unknown (a layer's dimensions are unknown or the model has errors)"));
        return;
    }
    const session::DeviceMemory dev = session::deviceMemory(device_->currentData().toString().toStdString());
    const int64_t total = t.training->totalBytes();
    const QString where = !dev.error.empty() ? tr("%1").arg(q(dev.error))
                          : total <= dev.bytes ? tr("fits in %1 (%2)").arg(q(dev.name), q(readableBytes(double(dev.bytes))))
                                               : tr("<span style='color:#e5484d'>more than %1 has (%2)</span>")
                                                     .arg(q(dev.name), q(readableBytes(double(dev.bytes))));
    training_->setText(tr("<b>Training memory</b> at batch %1 with %2: <b>%3</b> = weights %4 + gradients %5 + optimizer %6 + "
                          "activations %7 — %8")
                           .arg(t.training->batch)
                           .arg(optimizer_->currentText(), q(readableBytes(double(total))),
                                q(readableBytes(double(t.training->weightBytes))), q(readableBytes(double(t.training->gradientBytes))),
                                q(readableBytes(double(t.training->optimizerBytes))),
                                q(readableBytes(double(t.training->activationBytes))), where));
}

QString SummaryPanel::trainingText() const { return training_->text(); }

QString SummaryPanel::totalsText() const { return totals_->text(); }

QString SummaryPanel::cell(const QString& layer, int column) const {
    for (int i = 0; i < table_->topLevelItemCount(); ++i)
        if (table_->topLevelItem(i)->data(0, Qt::UserRole).toString() == layer) return table_->topLevelItem(i)->text(column);
    return {};
}

} // namespace strata::gui
