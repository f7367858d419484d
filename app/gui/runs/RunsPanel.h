// The Runs panel: every training run the project file holds (the editor's and strata-cli's),
// newest first, with its model version, dataset, device, status and final figures. Selecting a
// run draws its loss and accuracy per epoch and lists its settings; from there the run's model
// version opens on the canvas, and its newest checkpoint opens in the model inspector or is
// exported (saved model, ONNX, PyTorch). Without a project it says how runs get recorded.
//
// A run being recorded is listed live (see LiveRuns.h): refresh() re-reads the file once and
// keeps the selection, the scroll position and the column widths, so a selected running run's
// curves grow epoch by epoch. Until the person picks a run, the newest one is selected.
//
//   RunsPanel runs;
//   runs.setProject("/data/p.strata", "digits_mlp");   // reads the file; refresh() re-reads
//   runs.selectRun(3);
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
class QPushButton;
class QStackedWidget;
class QTableWidget;

namespace strata::gui {

class CurveChart;
class EvaluationPanel;
class ExportModelDialog;
class ModelInspector;

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
    bool selectRun(qint64 runId);
    std::optional<RunSummary> selectedRun() const;
    QTableWidget* table() const { return table_; }
    CurveChart* lossChart() const { return lossChart_; }
    CurveChart* accuracyChart() const { return accuracyChart_; }
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
    QTableWidget* table_;
    CurveChart *lossChart_, *accuracyChart_;
    QLabel* details_;
    QPushButton *openVersion_, *inspect_, *export_, *evaluate_;
};

} // namespace strata::gui
