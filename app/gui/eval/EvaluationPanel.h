// The Evaluation panel: a trained run's report on its test split (engine/train/EvalReport.h),
// computed in the background (EvaluationJob) with a progress bar, then shown:
//   - a classifier: the confusion matrix as a heat map with counts (counts or normalised by the
//     true class); a click on a cell lists exactly that (true, predicted) pair's samples below it,
//     as thumbnails for image data or feature rows for tables; per-class precision, recall, F1
//     and support; the misclassified samples worst first with their probability bars;
//   - a regression: predicted against true, and the residuals' histogram;
//   - an autoencoder: the worst reconstructions beside their originals;
//   - any model: one chosen sample (spin box) and the model's prediction for it (SampleView: an
//     autoencoder's original beside its reconstruction).
// A model with several outputs has a report per output; a selector names each output layer and
// the tabs show the chosen one's. The report is computed on the device the run trained on; when
// this machine lacks it, on the CPU, and a note under the title says so.
// Opened from the Runs panel ("Evaluate…") as a window of its own.
//
//   auto* p = new EvaluationPanel;
//   p->evaluate({"/data/p.strata", checkpointId, "test", "vulkan"}, "Run 3 — digits_mlp v1");
//   // finished(true): p->report(), p->confusionView()->cellCenter(t, p), p->cellSamples()
#pragma once

#include "app/gui/eval/EvaluationJob.h"

#include <QWidget>

#include <memory>

class QCheckBox;
class QComboBox;
class QLabel;
class QListWidget;
class QProgressBar;
class QPushButton;
class QSpinBox;
class QTabWidget;
class QTableWidget;

namespace strata::gui {

class ConfusionMatrixView;
class SampleView;

class EvaluationPanel : public QWidget {
    Q_OBJECT
public:
    explicit EvaluationPanel(QWidget* parent = nullptr);
    ~EvaluationPanel() override;

    // Starts computing the report (a running one is cancelled); `title` heads the panel.
    void evaluate(const EvaluationRequest& request, const QString& title);
    bool isRunning() const;
    // The chosen output's report once finished (null before, or after a failure: statusText() says why).
    const train::EvalReport* report() const;
    // The output selector (hidden for a model with one output): its items name the output layers.
    QComboBox* outputSelector() const { return outputs_; }
    // Shows output k's report (a position in the model's outputs), as choosing it in the selector does.
    void showOutput(int k);
    // Says that the run's device was not available here and the CPU computed (hidden otherwise).
    QLabel* deviceNote() const { return deviceNote_; }
    const EvaluationResult* result() const { return result_.get(); }
    QString statusText() const;

    ConfusionMatrixView* confusionView() const { return confusion_; }
    QCheckBox* normaliseToggle() const { return normalise_; }
    // The samples of the clicked cell: each item's Qt::UserRole is its index into the split.
    QListWidget* cellSamples() const { return cellSamples_; }
    QTableWidget* perClassTable() const { return perClass_; }
    QTableWidget* misclassifiedTable() const { return misclassified_; }
    QSpinBox* sampleSpin() const { return sampleSpin_; }
    QLabel* samplePrediction() const;
    SampleView* sampleView() const { return sampleView_; }
    QTabWidget* tabs() const { return tabs_; }
    // Lists the samples of (true t, predicted p) as a click on that cell does.
    void showCell(int t, int p);

signals:
    void finished(bool ok);

private:
    void jobFinished(bool ok);
    void showClassification();
    void showRegression();
    void showReconstruction();
    void showSample(int index);
    QWidget* sampleTab();
    QIcon thumbnail(int64_t index, const Tensor& features, int64_t row) const;

    std::unique_ptr<EvaluationJob> job_;
    bool running_ = false; // from evaluate() until jobFinished() has shown the result (the job's thread ends before)
    std::shared_ptr<EvaluationResult> result_;
    const train::EvalReport& current() const { return result_->reports.at(std::size_t(output_)); }
    void clearTabs();

    QLabel *title_, *status_, *deviceNote_;
    QComboBox* outputs_;
    QWidget* outputRow_;
    int output_ = 0;
    std::vector<QWidget*> ownTabs_; // tabs made for the shown output (regression charts, reconstructions)
    QProgressBar* progress_;
    QPushButton* cancel_;
    QTabWidget* tabs_;
    ConfusionMatrixView* confusion_;
    QCheckBox* normalise_;
    QLabel* cellTitle_;
    QListWidget* cellSamples_;
    QTableWidget *perClass_, *misclassified_;
    QWidget* sampleTab_;
    QSpinBox* sampleSpin_;
    SampleView* sampleView_;
    QWidget *confusionTab_, *perClassTab_, *misclassifiedTab_;
};

// Opens a panel (non-modal, deleted on close) on `request` beside `parent`'s window.
EvaluationPanel* openEvaluationPanel(QWidget* parent, const EvaluationRequest& request, const QString& title);

} // namespace strata::gui
