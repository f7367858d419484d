#include "app/gui/runs/RunsPanel.h"

#include "app/gui/eval/EvaluationPanel.h"
#include "app/gui/export/ExportModelDialog.h"
#include "app/gui/inspect/ModelInspector.h"
#include "app/gui/runs/RunCurves.h"
#include "app/gui/runs/RunNotes.h"
#include "app/gui/runs/RunTables.h"

#include <QCheckBox>
#include <QFileInfo>
#include <QGridLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QScrollBar>
#include <QSignalBlocker>
#include <QSplitter>
#include <QStackedWidget>
#include <QTabWidget>
#include <QTableWidget>
#include <QVBoxLayout>

#include <cmath>
#include <exception>

namespace strata::gui {

namespace {

QString q(const std::string& s) { return QString::fromStdString(s); }

QString when(const std::string& iso) { return q(iso).left(16).replace('T', ' '); }

// The final figures (runFigures) follow Status; then the tags and the start.
enum Column { kRun, kModel, kDataset, kDevice, kEpochs, kStatus, kFigures };
constexpr int kFigureCount = 6, kTags = kFigures + kFigureCount, kStarted = kTags + 1, kColumns = kStarted + 1;

QTableWidgetItem* cell(const QString& text, bool number = false) {
    auto* item = new QTableWidgetItem(text);
    item->setFlags(Qt::ItemIsSelectable | Qt::ItemIsEnabled);
    if (number) item->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
    return item;
}

} // namespace

RunsPanel::RunsPanel(QWidget* parent) : QWidget(parent) {
    message_ = new QLabel;
    message_->setObjectName("runsMessage");
    message_->setWordWrap(true);
    message_->setAlignment(Qt::AlignCenter);
    message_->setTextInteractionFlags(Qt::TextSelectableByMouse);

    header_ = new QLabel;
    header_->setObjectName("runsHeader");
    filter_ = new QLineEdit;
    filter_->setObjectName("runsFilter");
    filter_->setPlaceholderText(tr("Filter by tag or text…"));
    filter_->setToolTip(tr("Keep the runs whose tags, note, model, dataset, device, status or number hold every word"));
    filter_->setClearButtonEnabled(true);
    onlyModel_ = new QCheckBox(tr("Only this model"));
    onlyModel_->setObjectName("onlyThisModel");
    onlyModel_->setToolTip(tr("List only the runs of the model being edited"));
    auto* refreshButton = new QPushButton(tr("Refresh"));
    refreshButton->setObjectName("refreshRuns");
    refreshButton->setToolTip(tr("Read the project file again (runs of strata-cli appear too)"));
    auto* top = new QHBoxLayout;
    header_->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred); // elided by the layout, not widening it
    top->addWidget(header_, 1);
    top->addWidget(filter_, 1);
    top->addWidget(onlyModel_);
    top->addWidget(refreshButton);

    table_ = new QTableWidget(0, kColumns);
    table_->setObjectName("runsTable");
    QStringList headers = {tr("Run"), tr("Model"), tr("Dataset"), tr("Device"), tr("Epochs"), tr("Status")};
    const std::vector<RunFigure> figures = runFigures(RunSummary{});
    for (const RunFigure& f : figures) headers << f.header;
    headers << tr("Tags") << tr("Started");
    table_->setHorizontalHeaderLabels(headers);
    for (int c = 0; c < kFigureCount; ++c) table_->horizontalHeaderItem(kFigures + c)->setToolTip(figures[std::size_t(c)].tip);
    table_->horizontalHeaderItem(kEpochs)->setToolTip(tr("The epochs the run completed"));
    table_->setSelectionBehavior(QAbstractItemView::SelectRows);
    table_->setSelectionMode(QAbstractItemView::ExtendedSelection);
    table_->setToolTip(tr("Ctrl+click or Shift+click several runs to compare them"));
    table_->setAlternatingRowColors(true);
    table_->verticalHeader()->hide();
    table_->horizontalHeader()->setStretchLastSection(true);
    table_->setWordWrap(false);

    curves_ = new RunCurves;
    details_ = new QLabel;
    details_->setObjectName("runDetails");
    details_->setWordWrap(true);
    details_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    details_->setAlignment(Qt::AlignTop | Qt::AlignLeft);
    auto makeTable = [](const char* name) {
        auto* t = new QTableWidget;
        t->setObjectName(name);
        t->verticalHeader()->hide();
        t->horizontalHeader()->setStretchLastSection(true);
        t->setEditTriggers(QAbstractItemView::NoEditTriggers);
        t->setAlternatingRowColors(true);
        t->setWordWrap(false);
        return t;
    };
    settings_ = makeTable("runSettings");
    settings_->setSelectionMode(QAbstractItemView::NoSelection);
    compare_ = makeTable("runComparison");
    compare_->setSortingEnabled(true);
    compare_->setSelectionBehavior(QAbstractItemView::SelectRows);
    compareNote_ = new QLabel;
    compareNote_->setObjectName("runComparisonNote");
    compareNote_->setWordWrap(true);

    auto* single = new QWidget;
    auto* singleLayout = new QVBoxLayout(single);
    singleLayout->setContentsMargins(4, 4, 4, 4);
    singleLayout->addWidget(details_);
    singleLayout->addWidget(settings_, 1);
    auto* several = new QWidget;
    auto* severalLayout = new QVBoxLayout(several);
    severalLayout->setContentsMargins(4, 4, 4, 4);
    severalLayout->addWidget(compareNote_);
    severalLayout->addWidget(compare_, 1);
    detailPages_ = new QStackedWidget;
    detailPages_->addWidget(single);
    detailPages_->addWidget(several);
    notes_ = new RunNotes;
    tabs_ = new QTabWidget;
    tabs_->setObjectName("runTabs");
    tabs_->addTab(detailPages_, tr("Settings"));
    tabs_->addTab(notes_, tr("Note && Tags"));

    openVersion_ = new QPushButton(tr("Open Model Version"));
    openVersion_->setObjectName("openRunVersion");
    openVersion_->setToolTip(tr("Open the model version this run trained on the canvas"));
    inspect_ = new QPushButton(tr("Inspect Weights…"));
    inspect_->setObjectName("inspectRun");
    inspect_->setToolTip(tr("The variables of the run's newest checkpoint, and the traced graph"));
    export_ = new QPushButton(tr("Export…"));
    export_->setObjectName("exportRun");
    export_->setToolTip(tr("Export the run's model with its newest checkpoint: saved model, ONNX or PyTorch"));
    evaluate_ = new QPushButton(tr("Evaluate…"));
    evaluate_->setObjectName("evaluateRun");
    evaluate_->setToolTip(tr("The run's newest checkpoint on its test split: confusion matrix, per-class scores, mistakes"));
    // Two rows of two: the panel fits beside the side docks in a 1024-pixel window.
    auto* buttons = new QGridLayout;
    buttons->addWidget(openVersion_, 0, 0);
    buttons->addWidget(inspect_, 0, 1);
    buttons->addWidget(export_, 1, 0);
    buttons->addWidget(evaluate_, 1, 1);
    buttons->setColumnStretch(2, 1);

    auto* left = new QSplitter(Qt::Vertical);
    left->setChildrenCollapsible(false);
    left->addWidget(table_);
    left->addWidget(tabs_);
    left->setStretchFactor(0, 1);
    left->setStretchFactor(1, 1);
    auto* right = new QWidget;
    auto* rightLayout = new QVBoxLayout(right);
    rightLayout->setContentsMargins(0, 0, 0, 0);
    rightLayout->addWidget(curves_, 1);
    rightLayout->addLayout(buttons);

    auto* split = new QSplitter(Qt::Horizontal);
    split->setChildrenCollapsible(false);
    split->addWidget(left);
    split->addWidget(right);
    split->setStretchFactor(0, 3); // the tables need the width more than the charts
    split->setStretchFactor(1, 2);
    split->setSizes({720, 480});
    auto* listPage = new QWidget;
    auto* listLayout = new QVBoxLayout(listPage);
    listLayout->setContentsMargins(4, 4, 4, 4);
    listLayout->addLayout(top);
    listLayout->addWidget(split, 1);

    stack_ = new QStackedWidget;
    stack_->addWidget(message_);
    stack_->addWidget(listPage);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(stack_);

    connect(table_, &QTableWidget::itemSelectionChanged, this, &RunsPanel::selectionChanged);
    connect(refreshButton, &QPushButton::clicked, this, &RunsPanel::refresh);
    connect(onlyModel_, &QCheckBox::toggled, this, &RunsPanel::refresh);
    connect(filter_, &QLineEdit::textChanged, this, &RunsPanel::applyFilter);
    connect(notes_, &RunNotes::saved, this, &RunsPanel::refresh);
    connect(openVersion_, &QPushButton::clicked, this, [this] {
        if (auto r = selectedRun()) emit openVersionRequested(q(r->model), qint64(r->modelVersionId));
    });
    connect(inspect_, &QPushButton::clicked, this, &RunsPanel::inspectSelected);
    connect(export_, &QPushButton::clicked, this, &RunsPanel::exportSelected);
    connect(evaluate_, &QPushButton::clicked, this, &RunsPanel::evaluateSelected);
    refresh();
}

MetricChart* RunsPanel::lossChart() const { return curves_->lossChart(); }
MetricChart* RunsPanel::metricChart() const { return curves_->metricChart(); }

void RunsPanel::setProject(const QString& file, const QString& currentModel) {
    history_ = file.isEmpty() ? nullptr : std::make_unique<RunHistory>(file.toStdString());
    curves_->setHistory(history_.get());
    model_ = currentModel;
    picked_ = false;
    refresh();
}

QString RunsPanel::projectFile() const { return history_ ? q(history_->file()) : QString(); }

void RunsPanel::setCurrentModel(const QString& model) {
    if (model == model_) return;
    model_ = model;
    if (onlyModel_->isChecked()) refresh();
}

void RunsPanel::setOnlyCurrentModel(bool on) { onlyModel_->setChecked(on); }

void RunsPanel::showMessage(const QString& html) {
    message_->setText(html);
    stack_->setCurrentWidget(message_);
}

QString RunsPanel::messageText() const { return message_->text(); }

void RunsPanel::refresh() {
    std::vector<qint64> before;
    for (const RunSummary& r : selectedRuns()) before.push_back(r.id);
    std::vector<int64_t> listed;
    for (const RunSummary& r : runs_) listed.push_back(r.id);
    const QSignalBlocker block(table_); // the selection is restored below, then shown once
    const int scrollY = table_->verticalScrollBar()->value(), scrollX = table_->horizontalScrollBar()->value();
    runs_.clear();
    if (!history_) {
        table_->setRowCount(0);
        showSelected();
        return showMessage(tr("<b>No runs yet.</b> Train the model (Model ▸ Train, Ctrl+T): every run is recorded from its "
                              "first step, with its metrics and checkpoints, and listed here — in the project, or until "
                              "the model is saved (File ▸ Save Version, Ctrl+S) in a project Save adopts."));
    }
    try {
        runs_ = history_->runs(onlyModel_->isChecked() ? model_.toStdString() : std::string());
    } catch (const std::exception& e) {
        table_->setRowCount(0);
        showSelected();
        return showMessage(tr("<b>The runs could not be read.</b><br>%1").arg(q(e.what()).toHtmlEscaped()));
    }
    const QString project = QFileInfo(q(history_->file())).fileName();
    if (runs_.empty() && !onlyModel_->isChecked()) {
        table_->setRowCount(0);
        showSelected();
        return showMessage(tr("<b>No runs in %1 yet.</b> Train the model (Model ▸ Train, Ctrl+T), or run "
                              "<tt>strata-cli train … --project %1</tt>; every run is listed here.")
                               .arg(project.toHtmlEscaped()));
    }
    header_->setText(tr("%n run(s) in <b>%1</b>", nullptr, int(runs_.size())).arg(project.toHtmlEscaped()));
    stack_->setCurrentIndex(1);
    table_->setSortingEnabled(false);
    table_->setRowCount(int(runs_.size()));
    for (int row = 0; row < int(runs_.size()); ++row) fillRow(row, runs_[std::size_t(row)]);
    if (listed.empty()) table_->resizeColumnsToContents();
    else { // newer figures or runs: widen what no longer fits, keep the widths the person set
        const QAbstractItemView* view = table_; // sizeHintForColumn is public there
        for (int c = 0; c < kColumns - 1; ++c) table_->setColumnWidth(c, std::max(table_->columnWidth(c), view->sizeHintForColumn(c)));
    }
    if (!(picked_ && !before.empty() && selectRuns(before))) selectByDefault(runs_.empty() ? -1 : 0);
    applyFilter(); // a run the filter hides is not selected
    table_->verticalScrollBar()->setValue(scrollY);
    table_->horizontalScrollBar()->setValue(scrollX);
    showSelected();
}

void RunsPanel::fillRow(int row, const RunSummary& r) {
    auto* id = cell(QString::number(r.id), true);
    id->setData(Qt::UserRole, qlonglong(r.id));
    table_->setItem(row, kRun, id);
    table_->setItem(row, kModel, cell(tr("%1 v%2").arg(q(r.model)).arg(r.modelVersion)));
    table_->setItem(row, kDataset, cell(q(r.dataset)));
    table_->setItem(row, kDevice, cell(q(r.device)));
    table_->setItem(row, kEpochs, cell(QString::number(r.epochsDone), true));
    auto* status = cell(q(r.status));
    if (r.status == "diverged" || r.status == "failed") status->setForeground(QColor(0xdc, 0x26, 0x26));
    table_->setItem(row, kStatus, status);
    const std::vector<RunFigure> figures = runFigures(r);
    for (int c = 0; c < kFigureCount; ++c) table_->setItem(row, kFigures + c, cell(figureText(figures[std::size_t(c)]), true));
    QStringList tags;
    for (const std::string& t : r.tags) tags << q(t);
    auto* tagCell = cell(tags.join(", "));
    if (!r.note.empty()) tagCell->setToolTip(q(r.note));
    table_->setItem(row, kTags, tagCell);
    table_->setItem(row, kStarted, cell(when(r.startedAt)));
}

void RunsPanel::setFilter(const QString& text) { filter_->setText(text); }

void RunsPanel::applyFilter() {
    const QStringList words = filter_->text().split(' ', Qt::SkipEmptyParts);
    bool hidSelected = false;
    for (int row = 0; row < table_->rowCount() && row < int(runs_.size()); ++row) {
        const RunSummary& r = runs_[std::size_t(row)];
        QStringList text = {QString::number(r.id), q(r.model), q(r.dataset), q(r.device), q(r.status), q(r.note)};
        for (const std::string& t : r.tags) text << q(t);
        const QString all = text.join('\n');
        bool keep = true;
        for (const QString& w : words) keep = keep && all.contains(w, Qt::CaseInsensitive);
        table_->setRowHidden(row, !keep);
        if (!keep && table_->selectionModel()->isRowSelected(row, {})) {
            table_->selectionModel()->select(table_->model()->index(row, 0), QItemSelectionModel::Deselect | QItemSelectionModel::Rows);
            hidSelected = true;
        }
    }
    if (hidSelected && !table_->signalsBlocked()) showSelected();
}

void RunsPanel::selectByDefault(int row) {
    const QSignalBlocker block(table_);
    if (row < 0) table_->clearSelection();
    else table_->selectRow(row);
    picked_ = false;
}

void RunsPanel::followRun(qint64 runId) {
    refresh();
    if (picked_) return;
    for (int row = 0; row < table_->rowCount(); ++row)
        if (table_->item(row, kRun)->data(Qt::UserRole).toLongLong() == runId) {
            selectByDefault(row);
            showSelected();
            return;
        }
}

bool RunsPanel::selectRun(qint64 runId) { return selectRuns({runId}); }

bool RunsPanel::selectRuns(const std::vector<qint64>& runIds) {
    std::vector<int> rows;
    for (const qint64 id : runIds)
        for (int row = 0; row < table_->rowCount(); ++row)
            if (table_->item(row, kRun)->data(Qt::UserRole).toLongLong() == id) rows.push_back(row);
    if (rows.size() != runIds.size() || rows.empty()) return false;
    {
        const QSignalBlocker block(table_);
        QItemSelection selection;
        for (const int row : rows) selection.select(table_->model()->index(row, 0), table_->model()->index(row, kColumns - 1));
        table_->selectionModel()->select(selection, QItemSelectionModel::ClearAndSelect);
        table_->selectionModel()->setCurrentIndex(table_->model()->index(rows.front(), 0), QItemSelectionModel::NoUpdate);
    }
    picked_ = true;
    if (!table_->signalsBlocked()) showSelected();
    return true;
}

std::vector<RunSummary> RunsPanel::selectedRuns() const {
    std::vector<RunSummary> out;
    if (!table_->selectionModel()) return out;
    for (int row = 0; row < table_->rowCount() && row < int(runs_.size()); ++row)
        if (table_->selectionModel()->isRowSelected(row, {})) out.push_back(runs_[std::size_t(row)]);
    return out;
}

std::optional<RunSummary> RunsPanel::selectedRun() const {
    std::vector<RunSummary> runs = selectedRuns();
    if (runs.empty()) return std::nullopt;
    return runs.front();
}

QString RunsPanel::detailsText() const { return details_->text(); }

void RunsPanel::selectionChanged() {
    picked_ = selectedRun().has_value();
    showSelected();
}

void RunsPanel::showSelected() {
    const std::vector<RunSummary> selected = selectedRuns();
    curves_->setRuns(selected);
    const std::optional<RunSummary> r = selected.size() == 1 ? std::optional(selected.front()) : std::nullopt;
    for (QPushButton* b : {openVersion_, inspect_, export_, evaluate_}) {
        b->setEnabled(r.has_value());
        b->setStatusTip(selected.size() > 1 ? tr("Select one run") : QString());
    }
    if (selected.size() > 1) {
        notes_->setRun(history_.get(), std::nullopt, tr("Select one run to edit its note and tags."));
        fillComparisonTable(compare_, selected);
        const int differ = compare_->columnCount() - 1 - kFigureCount;
        compareNote_->setText(differ > 0 ? tr("<b>%n run(s)</b> compared: the settings that differ, then their final figures. "
                                               "Click a header to sort.", nullptr, int(selected.size()))
                                         : tr("<b>%n run(s)</b> compared: their settings are all the same. Click a header to sort.",
                                              nullptr, int(selected.size())));
        detailPages_->setCurrentIndex(1);
        tabs_->setTabText(0, tr("Comparison"));
        return;
    }
    detailPages_->setCurrentIndex(0);
    tabs_->setTabText(0, tr("Settings"));
    notes_->setRun(history_.get(), r, runs_.empty() ? tr("No runs.") : tr("Select a run."));
    if (!r) {
        settings_->setRowCount(0);
        details_->setText(runs_.empty() ? tr("No runs of this model.") : tr("Select a run (Ctrl+click several to compare them)."));
        return;
    }
    inspect_->setEnabled(r->latestCheckpoint.has_value());
    export_->setEnabled(r->latestCheckpoint.has_value());
    fillSettingsTable(settings_, *r);
    evaluate_->setEnabled(r->latestCheckpoint.has_value());

    QString text = tr("<b>Run %1</b> · %2 v%3 · %4 on %5 · <b>%6</b>")
                       .arg(r->id)
                       .arg(q(r->model).toHtmlEscaped())
                       .arg(r->modelVersion)
                       .arg(q(r->dataset).toHtmlEscaped(), q(r->device).toHtmlEscaped())
                       .arg(q(r->status));
    text += "<br>" + tr("Started %1").arg(when(r->startedAt));
    if (!r->endedAt.empty()) text += tr(", ended %1").arg(when(r->endedAt));
    const std::vector<RunFigure> figures = runFigures(*r);
    text += "<br>" + tr("Test split: loss %1, accuracy %2").arg(figureText(figures[4]), figureText(figures[5]));
    text += "<br>" + (r->latestCheckpoint ? tr("%n checkpoint(s) kept", nullptr, r->checkpoints)
                                          : tr("No checkpoint: the weights of this run were not kept"));
    if (r->result.contains("message") && r->result["message"].is_string() && !r->result["message"].get<std::string>().empty())
        text += "<br><i>" + q(r->result["message"].get<std::string>()).toHtmlEscaped() + "</i>";
    details_->setText(text);
}

std::optional<RunWeights> RunsPanel::selectedWeights() {
    const std::optional<RunSummary> r = selectedRun();
    if (!r || !history_) return std::nullopt;
    lastError_.clear();
    try {
        return history_->weights(r->id);
    } catch (const std::exception& e) {
        const QString why = tr("Could not read the weights of run %1: %2").arg(r->id).arg(q(e.what()));
        lastError_ = why;
        details_->setText(details_->text() + "<br><span style='color:#dc2626'>" + why.toHtmlEscaped() + "</span>");
        emit statusMessage(why);
        return std::nullopt;
    }
}

ModelInspector* RunsPanel::inspectSelected() {
    const std::optional<RunSummary> r = selectedRun();
    std::optional<RunWeights> w = selectedWeights();
    if (!r || !w) return nullptr;
    const StepSettings step = fallbackSettings_ ? stepSettingsOf(*r, fallbackSettings_(), fallbackName_)
                                                : stepSettingsOf(*r, StepSettings{}, tr("the defaults (Adam, the loss follows the output)"));
    ModelInspector* inspector = openModelInspector(window(), w->spec, &w->values, &step);
    inspector->setWindowTitle(tr("Run %1 — %2 v%3, checkpoint at step %4 (epoch %5)")
                                  .arg(r->id)
                                  .arg(q(r->model))
                                  .arg(r->modelVersion)
                                  .arg(w->step)
                                  .arg(w->epochsDone));
    inspector->showRunHistograms(history_->file(), r->id); // the "Over time" tab of the variables view
    return inspector;
}

void RunsPanel::setFallbackStepSettings(std::function<StepSettings()> settings, const QString& name) {
    fallbackSettings_ = std::move(settings);
    fallbackName_ = name;
}

std::unique_ptr<ExportModelDialog> RunsPanel::exportDialogForSelected() {
    const std::optional<RunSummary> r = selectedRun();
    std::optional<RunWeights> w = selectedWeights();
    if (!r || !w) return nullptr;
    auto dialog = std::make_unique<ExportModelDialog>(w->spec, &w->values, window());
    dialog->setWeightsNote(tr("Weights: <b>run %1</b> of %2 v%3, its newest checkpoint (step %4, epoch %5).")
                               .arg(r->id)
                               .arg(q(r->model).toHtmlEscaped())
                               .arg(r->modelVersion)
                               .arg(w->step)
                               .arg(w->epochsDone));
    dialog->setFolder(QFileInfo(projectFile()).absolutePath()); // beside the project, not in the home folder
    return dialog;
}

EvaluationPanel* RunsPanel::evaluateSelected() {
    const std::optional<RunSummary> r = selectedRun();
    if (!r || !history_ || !r->latestCheckpoint) return nullptr;
    // On the device the run trained on (the panel says so when this machine lacks it).
    return openEvaluationPanel(window(), {projectFile(), qint64(*r->latestCheckpoint), "test", q(r->backend)},
                               tr("Run %1 — %2 v%3").arg(r->id).arg(q(r->model)).arg(r->modelVersion));
}

void RunsPanel::exportSelected() {
    std::unique_ptr<ExportModelDialog> dialog = exportDialogForSelected();
    if (dialog && dialog->exec() == QDialog::Accepted) emit statusMessage(dialog->message());
}

} // namespace strata::gui
