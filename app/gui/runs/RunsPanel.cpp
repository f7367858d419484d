#include "app/gui/runs/RunsPanel.h"

#include "app/gui/export/ExportModelDialog.h"
#include "app/gui/inspect/ModelInspector.h"
#include "app/gui/train/CurveChart.h"

#include <QCheckBox>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QPushButton>
#include <QScrollBar>
#include <QSignalBlocker>
#include <QSplitter>
#include <QStackedWidget>
#include <QTableWidget>
#include <QVBoxLayout>

#include <cmath>
#include <exception>

namespace strata::gui {

namespace {

const QColor kTrainColor(0x25, 0x63, 0xeb), kValColor(0xf5, 0x9e, 0x0b);

QString q(const std::string& s) { return QString::fromStdString(s); }

QString fixed(double v, int digits) { return std::isfinite(v) ? QString::number(v, 'f', digits) : QStringLiteral("—"); }
QString percent(double v) { return std::isfinite(v) ? QString::number(100.0 * v, 'f', 1) + "%" : QStringLiteral("—"); }
QString when(const std::string& iso) { return q(iso).left(16).replace('T', ' '); }

QString jsonText(const nlohmann::json& v) {
    if (v.is_string()) return q(v.get<std::string>());
    if (v.is_number_float()) return QString::number(v.get<double>(), 'g', 6);
    if (v.is_object()) { // {"name": "adam", "learning_rate": 0.001, ...} -> "adam (learning_rate 0.001, ...)"
        QStringList parts;
        for (const auto& [key, value] : v.items())
            if (key != "name") parts << QStringLiteral("%1 %2").arg(q(key), jsonText(value));
        const QString name = v.contains("name") ? jsonText(v["name"]) : QString();
        return parts.isEmpty() ? name : (name.isEmpty() ? parts.join(", ") : name + " (" + parts.join(", ") + ")");
    }
    return q(v.dump());
}

enum Column { kRun, kModel, kDataset, kDevice, kEpochs, kStatus, kLoss, kAccuracy, kValAccuracy, kTestAccuracy, kStarted, kColumns };

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
    onlyModel_ = new QCheckBox(tr("Only this model"));
    onlyModel_->setObjectName("onlyThisModel");
    onlyModel_->setToolTip(tr("List only the runs of the model being edited"));
    auto* refreshButton = new QPushButton(tr("Refresh"));
    refreshButton->setObjectName("refreshRuns");
    refreshButton->setToolTip(tr("Read the project file again (runs of strata-cli appear too)"));
    auto* top = new QHBoxLayout;
    top->addWidget(header_, 1);
    top->addWidget(onlyModel_);
    top->addWidget(refreshButton);

    table_ = new QTableWidget(0, kColumns);
    table_->setObjectName("runsTable");
    table_->setHorizontalHeaderLabels({tr("Run"), tr("Model"), tr("Dataset"), tr("Device"), tr("Epochs"), tr("Status"),
                                       tr("Loss"), tr("Accuracy"), tr("Val. accuracy"), tr("Test accuracy"), tr("Started")});
    table_->setSelectionBehavior(QAbstractItemView::SelectRows);
    table_->setSelectionMode(QAbstractItemView::SingleSelection);
    table_->setAlternatingRowColors(true);
    table_->verticalHeader()->hide();
    table_->horizontalHeader()->setStretchLastSection(true);
    table_->setWordWrap(false);

    lossChart_ = new CurveChart(tr("Loss"), tr("epoch"), tr("loss"));
    lossChart_->addSeries("loss", tr("train"), kTrainColor, CurveChart::Style::Markers);
    lossChart_->addSeries("val_loss", tr("validation"), kValColor, CurveChart::Style::Markers);
    accuracyChart_ = new CurveChart(tr("Accuracy"), tr("epoch"), tr("accuracy"));
    accuracyChart_->setYRange(std::pair{0.0, 1.0});
    accuracyChart_->addSeries("accuracy", tr("train"), kTrainColor, CurveChart::Style::Markers);
    accuracyChart_->addSeries("val_accuracy", tr("validation"), kValColor, CurveChart::Style::Markers);
    details_ = new QLabel;
    details_->setObjectName("runDetails");
    details_->setWordWrap(true);
    details_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    details_->setAlignment(Qt::AlignTop | Qt::AlignLeft);

    openVersion_ = new QPushButton(tr("Open Model Version"));
    openVersion_->setObjectName("openRunVersion");
    openVersion_->setToolTip(tr("Open the model version this run trained on the canvas"));
    inspect_ = new QPushButton(tr("Inspect Weights…"));
    inspect_->setObjectName("inspectRun");
    inspect_->setToolTip(tr("The variables of the run's newest checkpoint, and the traced graph"));
    export_ = new QPushButton(tr("Export…"));
    export_->setObjectName("exportRun");
    export_->setToolTip(tr("Export the run's model with its newest checkpoint: saved model, ONNX or PyTorch"));
    auto* buttons = new QHBoxLayout;
    buttons->addWidget(openVersion_);
    buttons->addWidget(inspect_);
    buttons->addWidget(export_);
    buttons->addStretch(1);

    auto* left = new QWidget;
    auto* leftLayout = new QVBoxLayout(left);
    leftLayout->setContentsMargins(0, 0, 0, 0);
    leftLayout->addWidget(table_, 1);
    leftLayout->addWidget(details_);
    auto* charts = new QHBoxLayout;
    charts->addWidget(lossChart_, 1);
    charts->addWidget(accuracyChart_, 1);
    auto* right = new QWidget;
    auto* rightLayout = new QVBoxLayout(right);
    rightLayout->setContentsMargins(0, 0, 0, 0);
    rightLayout->addLayout(charts, 1);
    rightLayout->addLayout(buttons);

    auto* split = new QSplitter(Qt::Horizontal);
    split->setChildrenCollapsible(false);
    split->addWidget(left);
    split->addWidget(right);
    split->setStretchFactor(0, 1);
    split->setStretchFactor(1, 1);
    split->setSizes({640, 560});
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
    connect(openVersion_, &QPushButton::clicked, this, [this] {
        if (auto r = selectedRun()) emit openVersionRequested(q(r->model), qint64(r->modelVersionId));
    });
    connect(inspect_, &QPushButton::clicked, this, &RunsPanel::inspectSelected);
    connect(export_, &QPushButton::clicked, this, &RunsPanel::exportSelected);
    refresh();
}

void RunsPanel::setProject(const QString& file, const QString& currentModel) {
    history_ = file.isEmpty() ? nullptr : std::make_unique<RunHistory>(file.toStdString());
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
    const std::optional<RunSummary> before = selectedRun();
    std::vector<int64_t> listed;
    for (const RunSummary& r : runs_) listed.push_back(r.id);
    const QSignalBlocker block(table_); // the selection is restored below, then shown once
    const int scrollY = table_->verticalScrollBar()->value(), scrollX = table_->horizontalScrollBar()->value();
    runs_.clear();
    if (!history_) {
        table_->setRowCount(0);
        showSelected();
        return showMessage(tr("<b>No project.</b> Save the model in a project (File ▸ Save Version, Ctrl+S) and train it with "
                              "<i>Record in project</i> on: every run, its metrics and its checkpoints are listed here."));
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
        return showMessage(tr("<b>No runs in %1 yet.</b> Train with <i>Record in project</i> on (Train panel), or run "
                              "<tt>strata-cli train … --project %1</tt>.")
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
    if (!(picked_ && before && selectRun(before->id))) selectByDefault(runs_.empty() ? -1 : 0);
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
    table_->setItem(row, kDevice, cell(q(r.backend)));
    table_->setItem(row, kEpochs, cell(QString::number(r.epochsDone), true));
    auto* status = cell(q(r.status));
    if (r.status == "diverged" || r.status == "failed") status->setForeground(QColor(0xdc, 0x26, 0x26));
    table_->setItem(row, kStatus, status);
    table_->setItem(row, kLoss, cell(fixed(r.loss, 4), true));
    table_->setItem(row, kAccuracy, cell(percent(r.accuracy), true));
    table_->setItem(row, kValAccuracy, cell(percent(r.valAccuracy), true));
    table_->setItem(row, kTestAccuracy, cell(percent(r.testAccuracy), true));
    table_->setItem(row, kStarted, cell(when(r.startedAt)));
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

bool RunsPanel::selectRun(qint64 runId) {
    for (int row = 0; row < table_->rowCount(); ++row)
        if (table_->item(row, kRun)->data(Qt::UserRole).toLongLong() == runId) {
            table_->selectRow(row);
            picked_ = true;
            return true;
        }
    return false;
}

std::optional<RunSummary> RunsPanel::selectedRun() const {
    const auto rows = table_->selectionModel() ? table_->selectionModel()->selectedRows() : QModelIndexList();
    if (rows.isEmpty()) return std::nullopt;
    const qint64 id = table_->item(rows.front().row(), kRun)->data(Qt::UserRole).toLongLong();
    for (const RunSummary& r : runs_)
        if (r.id == id) return r;
    return std::nullopt;
}

QString RunsPanel::detailsText() const { return details_->text(); }

void RunsPanel::selectionChanged() {
    picked_ = selectedRun().has_value();
    showSelected();
}

void RunsPanel::showSelected() {
    lossChart_->clearPoints();
    accuracyChart_->clearPoints();
    const std::optional<RunSummary> r = selectedRun();
    for (QPushButton* b : {openVersion_, inspect_, export_}) b->setEnabled(r.has_value());
    if (!r) {
        details_->setText(runs_.empty() ? tr("No runs of this model.") : tr("Select a run."));
        return;
    }
    inspect_->setEnabled(r->latestCheckpoint.has_value());
    export_->setEnabled(r->latestCheckpoint.has_value());
    int epochs = std::max(1, r->epochsDone);
    if (r->hyperparameters.contains("epochs") && r->hyperparameters["epochs"].is_number_integer())
        epochs = std::max(epochs, r->hyperparameters["epochs"].get<int>());
    lossChart_->setXSpan(0, epochs);
    accuracyChart_->setXSpan(0, epochs);
    for (const auto& [name, points] : r->epochMetrics) {
        CurveChart* chart = name == "loss" || name == "val_loss"             ? lossChart_
                            : name == "accuracy" || name == "val_accuracy" ? accuracyChart_
                                                                           : nullptr;
        if (chart)
            for (const auto& [x, y] : points) chart->append(q(name), QPointF(x, y));
    }

    QStringList settings;
    for (const auto& [key, value] : r->hyperparameters.items())
        if (key != "dataset") settings << QStringLiteral("%1 %2").arg(q(key), jsonText(value));
    QString text = tr("<b>Run %1</b> · %2 v%3 · %4 on %5 · seed %6 · <b>%7</b>")
                       .arg(r->id)
                       .arg(q(r->model).toHtmlEscaped())
                       .arg(r->modelVersion)
                       .arg(q(r->dataset).toHtmlEscaped(), q(r->backend).toHtmlEscaped())
                       .arg(r->seed)
                       .arg(q(r->status));
    text += "<br>" + tr("Started %1").arg(when(r->startedAt));
    if (!r->endedAt.empty()) text += tr(", ended %1").arg(when(r->endedAt));
    text += "<br>" + tr("Test split: loss %1, accuracy %2").arg(fixed(r->testLoss, 4), percent(r->testAccuracy));
    text += "<br>" + (r->latestCheckpoint ? tr("%n checkpoint(s) kept", nullptr, r->checkpoints)
                                          : tr("No checkpoint: the weights of this run were not kept"));
    if (!settings.isEmpty()) text += "<br><small>" + settings.join(" · ").toHtmlEscaped() + "</small>";
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
    return dialog;
}

void RunsPanel::exportSelected() {
    std::unique_ptr<ExportModelDialog> dialog = exportDialogForSelected();
    if (dialog && dialog->exec() == QDialog::Accepted) emit statusMessage(dialog->message());
}

} // namespace strata::gui
