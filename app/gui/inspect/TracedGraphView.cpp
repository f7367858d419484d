#include "app/gui/inspect/TracedGraphView.h"

#include "app/gui/inspect/TraceScene.h"
#include "app/gui/inspect/TraceText.h"

#include "engine/Error.h"
#include "engine/ir/Optimizers.h"
#include "engine/train/Trainer.h"

#include <QCheckBox>
#include <QFontDatabase>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QRegularExpression>
#include <QSpinBox>
#include <QSplitter>
#include <QTableWidget>
#include <QVBoxLayout>

#include <algorithm>

namespace strata::gui {

namespace {
QString q(const std::string& s) { return QString::fromStdString(s); }

// "28, 28, 1", "(28, 28, 1)", "[64]", "64," -> dims; None or ? -> kUnknownDim; nullopt if malformed.
std::optional<std::vector<int64_t>> parseDims(QString text) {
    text.remove(QRegularExpression(QStringLiteral("[()\\[\\]\\s]")));
    std::vector<int64_t> dims;
    for (const QString& part : text.split(QLatin1Char(','), Qt::SkipEmptyParts)) {
        if (part.compare(QStringLiteral("None"), Qt::CaseInsensitive) == 0 || part == QStringLiteral("?")) {
            dims.push_back(kUnknownDim);
            continue;
        }
        bool ok = false;
        const qlonglong d = part.toLongLong(&ok);
        if (!ok || d < 1) return std::nullopt;
        dims.push_back(d);
    }
    return dims;
}

// "1 input", "3 inputs"
QString counted(int n, const char* noun) {
    return QStringLiteral("%1 %2%3").arg(n).arg(QLatin1String(noun)).arg(n == 1 ? "" : "s");
}

QString dimsText(const Shape& s) {
    QStringList parts;
    for (int64_t d : s.dims()) parts << (d == kUnknownDim ? QStringLiteral("None") : QString::number(d));
    return parts.join(QStringLiteral(", "));
}
} // namespace

TracedGraphView::TracedGraphView(const Model& model, uint64_t seed, QWidget* parent)
    : QWidget(parent), model_(model), seed_(seed) {
    for (int o : model_.outputIndices()) outputNames_.push_back(model_.layers()[std::size_t(o)]->name());

    auto* controls = new QHBoxLayout;
    controls->addWidget(new QLabel(tr("Batch size")));
    batch_ = new QSpinBox;
    batch_->setRange(1, 1 << 16);
    batch_->setValue(32);
    controls->addWidget(batch_);
    for (int i : model_.inputIndices()) {
        const Layer* in = model_.layers()[std::size_t(i)];
        controls->addSpacing(12);
        controls->addWidget(new QLabel(tr("%1: (batch,").arg(q(in->name()))));
        auto* edit = new QLineEdit(dimsText(model_.outputShape(i).withoutFirst()));
        edit->setToolTip(tr("The shape of input '%1' without the batch dimension").arg(q(in->name())));
        edit->setMaximumWidth(140);
        controls->addWidget(edit);
        controls->addWidget(new QLabel(QStringLiteral(")")));
        connect(edit, &QLineEdit::editingFinished, this, &TracedGraphView::retrace);
        inputShapes_.push_back(edit);
    }
    controls->addSpacing(12);
    training_ = new QCheckBox(tr("Training"));
    training_->setToolTip(tr("The training trace draws dropout masks and normalizes with batch statistics, "
                             "updating the moving averages; the inference trace does neither."));
    controls->addWidget(training_);
    step_ = new QCheckBox(tr("Whole step"));
    step_->setToolTip(tr("The graph one training step runs: the training trace, the loss, the gradients of every "
                         "trainable variable and the optimizer's updates, with the loss and optimizer of the Train panel "
                         "(or of the run inspected); the note above the table names them"));
    step_->setEnabled(false);
    controls->addWidget(step_);
    controls->addStretch(1);
    find_ = new QLineEdit;
    find_->setPlaceholderText(tr("Find op: #12, matmul, dense_1"));
    find_->setToolTip(tr("Return selects the next node whose number, op, layer or role matches, expanding the layer that hides it"));
    find_->setClearButtonEnabled(true);
    find_->setMaximumWidth(220);
    controls->addWidget(find_);
    connect(find_, &QLineEdit::returnPressed, this, [this] { findNode(find_->text()); });
    expandAll_ = new QPushButton(tr("Expand all"));
    expandAll_->setToolTip(tr("Draw every op, each layer's inside its frame"));
    controls->addWidget(expandAll_);
    collapseAll_ = new QPushButton(tr("Collapse all"));
    collapseAll_->setToolTip(tr("Draw each layer (and the loss, gradients and updates) as one box; a click on a box expands it"));
    controls->addWidget(collapseAll_);
    for (QPushButton* b : {expandAll_, collapseAll_}) b->setAutoDefault(false); // Return is not for them
    auto* fit = new QPushButton(tr("Fit width"));
    controls->addWidget(fit);
    connect(batch_, &QSpinBox::valueChanged, this, &TracedGraphView::retrace);
    connect(training_, &QCheckBox::toggled, this, [this](bool on) {
        step_->setEnabled(on);
        retrace();
    });
    connect(step_, &QCheckBox::toggled, this, &TracedGraphView::retrace);

    counts_ = new QLabel;
    counts_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    error_ = new QLabel;
    error_->setWordWrap(true);
    error_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    error_->setStyleSheet(QStringLiteral("QLabel { color: #c62828; font-weight: bold; padding: 6px; "
                                         "border: 1px solid #e5484d; border-radius: 4px; }"));
    error_->hide();

    table_ = new QTableWidget(0, ColumnCount);
    table_->setHorizontalHeaderLabels({tr("#"), tr("Op"), tr("Layer"), tr("Inputs"), tr("Output"), tr("Role"), tr("Attributes")});
    table_->verticalHeader()->hide();
    table_->setSelectionBehavior(QAbstractItemView::SelectRows);
    table_->setSelectionMode(QAbstractItemView::SingleSelection);
    table_->setEditTriggers(QAbstractItemView::NoEditTriggers);
    table_->setAlternatingRowColors(true);
    table_->setWordWrap(false);
    table_->horizontalHeader()->setStretchLastSection(true);
    table_->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    table_->verticalHeader()->setDefaultSectionSize(table_->fontMetrics().height() + 6);
    connect(table_, &QTableWidget::itemSelectionChanged, this, &TracedGraphView::onTableSelection);

    scene_ = new TraceScene(this);
    view_ = new TraceGraphicsView(scene_);
    connect(scene_, &TraceScene::nodeSelected, this, &TracedGraphView::onSceneSelection);
    connect(fit, &QPushButton::clicked, view_, &TraceGraphicsView::fitWidth);
    connect(expandAll_, &QPushButton::clicked, this, [this] {
        scene_->expandAll();
        view_->fitWidth();
    });
    connect(collapseAll_, &QPushButton::clicked, this, [this] {
        scene_->collapseAll();
        view_->fitWidth();
    });

    auto* split = new QSplitter(Qt::Horizontal);
    split->addWidget(table_);
    split->addWidget(view_);
    split->setStretchFactor(0, 1);
    split->setStretchFactor(1, 1);
    split->setSizes({640, 640});

    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(6, 6, 6, 6);
    layout->addLayout(controls);
    layout->addWidget(counts_);
    layout->addWidget(error_);
    layout->addWidget(split, 1);
    retrace();
}

void TracedGraphView::setBatchSize(int batch) { batch_->setValue(batch); }
void TracedGraphView::setTraining(bool training) { training_->setChecked(training); }
void TracedGraphView::setWholeStep(bool on) { step_->setChecked(on); }

void TracedGraphView::setStepSettings(const StepSettings& settings) {
    stepSettings_ = settings;
    if (settings.options.batchSize >= batch_->minimum() && settings.options.batchSize <= batch_->maximum()) {
        const QSignalBlocker block(batch_);
        batch_->setValue(int(settings.options.batchSize));
    }
    retrace();
}

void TracedGraphView::setInputShapeText(int input, const QString& text) {
    if (input < 0 || input >= int(inputShapes_.size())) return;
    inputShapes_[std::size_t(input)]->setText(text);
    retrace();
}

std::optional<train::Signature> TracedGraphView::signature(QString* error) const {
    train::Signature sig;
    sig.training = training_->isChecked();
    const auto inputs = model_.inputIndices();
    for (std::size_t k = 0; k < inputShapes_.size(); ++k) {
        const QString name = q(model_.layers()[std::size_t(inputs[k])]->name());
        const auto dims = parseDims(inputShapes_[k]->text());
        const char* problem = nullptr;
        if (!dims) problem = QT_TR_NOOP("type sizes separated by commas, e.g. 28, 28, 1");
        else if (std::find(dims->begin(), dims->end(), kUnknownDim) != dims->end())
            problem = QT_TR_NOOP("every dimension needs a size to trace (None is unknown)");
        if (problem) {
            if (error) *error = tr("input '%1': %2 (got \"%3\")").arg(name, tr(problem), inputShapes_[k]->text());
            return std::nullopt;
        }
        std::vector<int64_t> full{batch_->value()};
        full.insert(full.end(), dims->begin(), dims->end());
        sig.inputs.emplace_back(std::move(full));
    }
    return sig;
}

void TracedGraphView::retrace() {
    QString error;
    const auto sig = signature(&error);
    if (!sig) {
        trace_.reset();
        display(nullptr, error);
        return;
    }
    QString what = q(sig->toString()); // what could not be traced, for the message
    try {
        stepNote_.clear();
        if (sig->training && step_->isChecked()) {
            train::TrainOptions options = stepSettings_.options;
            const bool automatic = options.loss.empty();
            const QString optimizer = describeOptimizer(options.optimizer);
            what = tr("the whole step of %1 with optimizer %2").arg(what, optimizer);
            if (sig->inputs.size() != 1) throw StrataError("the training step of a model with several inputs is not traced here");
            // Dropout masks as the run draws them: the Train panel's (or the run's) seed, as fit() traces.
            const uint64_t seed = stepSettings_.source.isEmpty() ? seed_ : options.seed;
            if (automatic) options.loss = train::defaultLossFor(train::traceModel(model_, *sig, seed));
            what = tr("the whole step of %1 with loss %2 and optimizer %3").arg(q(sig->toString()), q(options.loss), optimizer);
            train::TracedStep step = train::traceTrainingStep(model_, sig->inputs[0], options, seed);
            stepNote_ = tr("Whole step with loss <b>%1</b>%2 and optimizer <b>%3</b>: nodes 0–%4 forward and loss, "
                           "%5–%6 gradients, %7–%8 updates. ")
                            .arg(q(options.loss).toHtmlEscaped(), automatic ? tr(" (it follows the output)") : QString(),
                                 optimizer.toHtmlEscaped())
                            .arg(step.forwardNodes - 1)
                            .arg(step.forwardNodes)
                            .arg(step.backwardNodes - 1)
                            .arg(step.backwardNodes)
                            .arg(step.trace.graph.nodeCount() - 1) +
                        (stepSettings_.source.isEmpty() ? tr("Both are the defaults (the main window passes the Train panel's).")
                                                        : stepSettings_.source.toHtmlEscaped());
            trace_ = std::move(step.trace);
        } else {
            trace_ = train::traceModel(model_, *sig, seed_);
        }
        display(&*trace_, {});
    } catch (const std::exception& e) { // StrataError, or out of memory for an absurd batch: still no abort
        trace_.reset();
        display(nullptr, tr("Cannot trace %1: %2").arg(what, q(e.what())));
    }
}

void TracedGraphView::display(const train::TracedModel* trace, const QString& error) {
    const QSignalBlocker block(table_);
    error_->setText(error);
    error_->setVisible(!error.isEmpty());
    table_->clearContents();
    table_->setRowCount(0);
    std::vector<TraceNodeText> texts;
    if (!trace) {
        counts_->setText(tr("No graph."));
        scene_->setTrace(nullptr, texts);
        return;
    }
    const ir::Graph& g = trace->graph;
    int inputs = 0, variables = 0, constants = 0;
    for (int n = 0; n < g.nodeCount(); ++n) {
        texts.push_back(traceNodeText(*trace, outputNames_, n));
        switch (traceNodeKind(g, n)) {
        case TraceNodeKind::Input: ++inputs; break;
        case TraceNodeKind::Variable: ++variables; break;
        case TraceNodeKind::Constant: ++constants; break;
        default: break;
        }
    }
    table_->setRowCount(g.nodeCount());
    for (int n = 0; n < g.nodeCount(); ++n) {
        const TraceNodeText& t = texts[std::size_t(n)];
        const QString cells[ColumnCount] = {QString::number(n), q(std::string(ir::opName(g.node(n).op))), t.layer,
                                            t.inputs, t.outputs, t.role, t.attributes};
        for (int c = 0; c < ColumnCount; ++c) table_->setItem(n, c, new QTableWidgetItem(cells[c]));
        table_->item(n, RoleColumn)->setToolTip(t.role);
        table_->item(n, LayerColumn)->setToolTip(q(g.node(n).scope));
        table_->item(n, IdColumn)->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
    }
    for (int c = 0; c < AttributesColumn; ++c) table_->resizeColumnToContents(c);
    // Long variable paths would push the attributes out of sight; the tooltip has the whole role.
    table_->setColumnWidth(RoleColumn, std::min(table_->columnWidth(RoleColumn), 260));
    table_->setColumnWidth(LayerColumn, std::min(table_->columnWidth(LayerColumn), 180));
    const int ops = g.nodeCount() - inputs - variables - constants;
    counts_->setText(tr("<b>%1</b> — %2: <b>%3</b>, %4, <b>%5 read</b>, %6 · %7 · %8")
                         .arg(q(trace->signature.toString()).toHtmlEscaped(), counted(g.nodeCount(), "node"),
                              counted(ops, "op"), counted(inputs, "input"), counted(variables, "variable"),
                              counted(constants, "constant"), counted(g.valueCount(), "value"),
                              counted(int(g.assignments().size()), "assignment")) +
                     (stepNote_.isEmpty() ? QString() : QStringLiteral("<br>") + stepNote_));
    scene_->setTrace(trace, texts);
    view_->fitWidth();
}

QString TracedGraphView::errorText() const { return trace_ ? QString() : error_->text(); }
QString TracedGraphView::countsText() const { return counts_->text(); }

void TracedGraphView::selectNode(int node) {
    if (node < 0 || node >= table_->rowCount()) {
        table_->clearSelection();
        scene_->selectNode(-1);
        return;
    }
    table_->selectRow(node); // the table's selection handler selects the drawn node
}

int TracedGraphView::findNode(const QString& text) {
    const QString t = text.trimmed();
    const int rows = table_->rowCount();
    if (t.isEmpty() || rows == 0) return -1;
    auto matches = [&](int n) {
        if (t.startsWith(QLatin1Char('#'))) return table_->item(n, IdColumn)->text() == t.mid(1);
        for (int c : {OpColumn, LayerColumn, RoleColumn})
            if (table_->item(n, c)->text().contains(t, Qt::CaseInsensitive)) return true;
        return table_->item(n, LayerColumn)->toolTip().contains(t, Qt::CaseInsensitive); // the whole scope
    };
    const int from = tableSelectedNode();
    for (int k = 1; k <= rows; ++k) // after the selected node, round to it
        if (const int n = (from + k + rows) % rows; matches(n)) {
            selectNode(n);
            return n;
        }
    return -1;
}

int TracedGraphView::tableSelectedNode() const {
    const auto rows = table_->selectionModel()->selectedRows();
    return rows.isEmpty() ? -1 : rows.first().row();
}

int TracedGraphView::drawnSelectedNode() const { return scene_->selectedNode(); }

void TracedGraphView::onTableSelection() {
    if (syncing_) return;
    syncing_ = true;
    const int node = tableSelectedNode();
    scene_->selectNode(node);
    if (auto* item = scene_->nodeItem(node)) view_->centerOn(item);
    syncing_ = false;
}

void TracedGraphView::onSceneSelection(int node) {
    if (syncing_) return;
    syncing_ = true;
    if (node < 0) table_->clearSelection();
    else {
        table_->selectRow(node);
        table_->scrollToItem(table_->item(node, 0));
    }
    syncing_ = false;
}

} // namespace strata::gui
