// The Runs panel: every training run the project file holds (the editor's and strata-cli's),
// newest first, with its model version, dataset, device, status, final figures and tags; a filter
// box keeps the runs whose tags or text match. Selecting a run draws its curves (RunCurves) and
// lists its settings as a table; the person edits its note and tags (RunNotes); its model version
// opens on the canvas, and its newest checkpoint opens in the model inspector or is exported
// (saved model, ONNX, PyTorch). Selecting several runs (ctrl/shift click) overlays their curves
// and compares them in a table of the settings that differ and their final figures. Without a
// project it says how runs get recorded.
//
// A run being recorded is listed live (see LiveRuns.h): refresh() re-reads the file once and
// keeps the selection (one run or several), the scroll position and the column widths, so a
// selected running run's curves grow epoch by epoch. Until the person picks, the newest is selected.
//
//   RunsPanel runs;
//   runs.setProject("/data/p.strata", "digits_mlp");   // reads the file; refresh() re-reads
//   runs.selectRun(3);
//   runs.selectRuns({3, 4});                            // compared
//   runs.inspectSelected();                             // a ModelInspector on run 3's weights
#pragma once

#include "app/gui/runs/RunHistory.h"

#include <QWidget>

#include <functional>
#include <memory>
#include <optional>
#include <vector>

class QCheckBox;
class QLabel;
class QLineEdit;
class QPushButton;
class QStackedWidget;
class QTabWidget;
class QTableWidget;

namespace strata::gui {

class EvaluationPanel;
class ExportModelDialog;
class MetricChart;
class ModelInspector;
class RunCurves;
class RunNotes;

class RunsPanel : public QWidget {
    Q_OBJECT
public:
    explicit RunsPanel(QWidget* parent = nullptr);

    // The project to read (empty: none) and the model being edited (for "only this model").
    void setProject(const QString& file, const QString& currentModel);
    void setCurrentModel(const QString& model);
    void setOnlyCurrentModel(bool on);
    QString projectFile() const; // empty without a project
    // Re-reads the project (once), keeping the selection when that run is still listed and was
    // picked by the person (or selectRun); otherwise the newest run is selected.
    void refresh();
    // Re-reads the project and selects `runId`, unless the person has picked another run.
    void followRun(qint64 runId);

    int runCount() const { return int(runs_.size()); }
    const std::vector<RunSummary>& runs() const { return runs_; }
    bool selectRun(qint64 runId);               // only this run
    bool selectRuns(const std::vector<qint64>& runIds); // these runs (false when one is not listed)
    std::optional<RunSummary> selectedRun() const;  // the first selected (top row)
    std::vector<RunSummary> selectedRuns() const;   // in the table's order
    // Keeps the runs whose tags, note, model, dataset, device, status or id hold every word.
    void setFilter(const QString& text);
    QTableWidget* table() const { return table_; }
    QTableWidget* settingsTable() const { return settings_; }   // one run: Setting | Value
    QTableWidget* comparisonTable() const { return compare_; }  // several runs
    RunCurves* curves() const { return curves_; }
    RunNotes* notes() const { return notes_; }
    MetricChart* lossChart() const;
    MetricChart* metricChart() const; // the chosen metric (accuracy by default)
    QString detailsText() const;
    QString messageText() const; // the empty state (no project, no runs, unreadable file)
    QString lastError() const { return lastError_; } // why the last weights read failed

    // The selected run's weights (its newest checkpoint); null with the reason in lastError().
    std::optional<RunWeights> selectedWeights();
    // Opens a model inspector (non-modal, deleted on close) on the selected run's weights; its
    // whole step uses the run's recorded loss and optimizer, else those of the fallback.
    ModelInspector* inspectSelected();
    // Where the loss and optimizer a run did not record come from (`name`: "the Train panel");
    // unset, the inspector's defaults.
    void setFallbackStepSettings(std::function<StepSettings()> settings, const QString& name);
    // An export dialog holding the selected run's weights (the caller shows and deletes it).
    std::unique_ptr<ExportModelDialog> exportDialogForSelected();
    // Opens an Evaluation panel (non-modal, deleted on close) on the selected run's newest checkpoint and test split.
    EvaluationPanel* evaluateSelected();

signals:
    void openVersionRequested(const QString& model, qint64 versionId);
    void statusMessage(const QString& text);

private:
    void selectionChanged();    // the person (or selectRun) changed the selection
    void showSelected();        // the charts, details and buttons of the selected run
    void fillRow(int row, const RunSummary& r);
    void applyFilter();
    void selectByDefault(int row); // selects without counting as the person's choice
    void showMessage(const QString& html);
    void exportSelected();

    std::unique_ptr<RunHistory> history_;
    QString model_, lastError_;
    std::vector<RunSummary> runs_;
    bool picked_ = false; // the selection is the person's (or selectRun's), not the default
    std::function<StepSettings()> fallbackSettings_;
    QString fallbackName_;
    QStackedWidget* stack_;
    QLabel* message_;
    QLabel* header_;
    QCheckBox* onlyModel_;
    QLineEdit* filter_;
    QTableWidget* table_;
    RunCurves* curves_;
    RunNotes* notes_;
    QTabWidget* tabs_;
    QStackedWidget* detailPages_;
    QTableWidget *settings_, *compare_;
    QLabel *details_, *compareNote_;
    QPushButton *openVersion_, *inspect_, *export_, *evaluate_;
};

} // namespace strata::gui
