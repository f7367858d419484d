// The Train panel: pick a dataset (built-in or a CSV file), a device (the CPU or a Vulkan device),
// epochs, batch size, optimizer, learning rate, momentum and Nesterov (for the optimizers that
// read them), loss and seed; Train and Stop; a progress bar over the
// steps of the epoch, a status line, live loss and accuracy curves (per epoch, train and
// validation, and the loss of every step) and the test accuracy when the run ends.
//
// A run trains a copy of the document's spec taken when Train is pressed, on a TrainJob thread;
// the panel polls the job's updates with a timer, so the editor stays responsive and editing the
// model meanwhile changes nothing in the run. Every run is recorded (metrics and a checkpoint per
// epoch), as `strata-cli train --project` does: in the document's project, or, for a model never
// saved, in a project made for it in the user's data folder that Save adopts.
//
// Processes above 1 trains data-parallel instead: `mpirun -np N strata-cli train --distributed`
// on this machine or on the hosts of a hostfile (DistributedLaunch.h, TrainPanelDistributed.cpp);
// rank 0 records the run in the project, and the panel follows its epoch lines.
#pragma once

#include "app/gui/train/TrainJob.h"

#include <QWidget>

#include <memory>
#include <optional>

class QCheckBox;
class QComboBox;
class QDoubleSpinBox;
class QLabel;
class QGridLayout;
class QLineEdit;
class QProcess;
class QProgressBar;
class QPushButton;
class QSpinBox;
class QTimer;

namespace strata::gui {

class ColumnMappingTable;
class TextColumnBox;
struct DataFacts;
class MetricChart;
class Document;

class TrainPanel : public QWidget {
    Q_OBJECT
public:
    explicit TrainPanel(Document* doc, QWidget* parent = nullptr);
    ~TrainPanel() override; // stops a run in progress and waits for it

    // Settings, as the controls hold them (tests and screenshots set them here).
    void setDataset(const QString& builtinName); // "digits", "iris", "wine", "fashion-mnist"
    void setCsvFile(const QString& path);
    // A folder of class sub-folders of PNG/JPEG/BMP images (or labels.csv, or train/val/test),
    // read at the model input's height, width and channels.
    void setImageFolder(const QString& dir);
    QString dataset() const; // a built-in name, "csv:PATH" or "images:DIR"
    // CSV only: the target column, by header name (or "column N" without a header); false when
    // the table has no such column. The last column is chosen when a file is picked.
    bool setCsvLabel(const QString& column);
    QString csvLabel() const; // as TrainSettings::csvLabel takes it; empty for a built-in dataset
    // CSV and a model with several inputs or outputs: which columns feed which Input and which is
    // each output's target, with its loss and weight (shown instead of Label).
    ColumnMappingTable* columnMapping() const { return mapping_; }
    TextColumnBox* textColumn() const { return text_; } // a CSV table's text column and its tokenization
    bool showsColumnMapping() const;
    QString mappingProblemText() const; // why the mapping cannot train, shown under it; empty when it can
    // Whether the dataset's samples and classes fit the model's Input and output, shown under the
    // dataset before a run (empty when they fit), and the one undoable edit that fits the model to
    // them (the Input's shape, the last Dense layer's units): "Fit model to data".
    QString dataFitText() const;
    bool fitModelToData(); // false when there is nothing to fit or the edit was refused
    // "cpu" or "vulkan:N"; the list enumerates Vulkan devices on first use.
    QStringList devices();
    bool setDevice(const QString& id);
    QString device() const;
    void setEpochs(int n);
    void setBatchSize(int n);
    void setOptimizer(const QString& name); // sgd, adam, adamw, rmsprop; resets the learning rate
    void setLearningRate(double lr);
    // Read by sgd and rmsprop (0: none; below 1); Nesterov by sgd with momentum > 0. The fields
    // are disabled for the other optimizers, and settings() then leaves them out of the config.
    void setMomentum(double momentum);
    void setNesterov(bool on);
    // What the model learns to output: "labels" (the dataset's classes) or "input" (every sample
    // itself: an autoencoder, mean squared error). A model whose output has its input's size is
    // offered "input" when it opens.
    bool setTarget(const QString& target);
    QString target() const;
    bool setLoss(const QString& name); // the engine's name, e.g. "categorical_crossentropy"; false when unknown
    QString loss() const;
    void setFromLogits(bool on);
    void setFromScratch(bool on);
    QString lossWarningText() const; // the warning under the loss, whole (its tooltip); empty when output and loss agree
    void setSeed(int seed);
    void setMaxSteps(int64_t steps) { maxSteps_ = steps; } // -1: no limit (no control; tests, benchmarks)
    // Off: runs are not recorded (the screenshot's demonstration run, some tests); on by default.
    void setRecordInProject(bool on);
    TrainSettings settings() const;
    // Data-parallel: processes > 1 runs `mpirun -np N strata-cli train --distributed` (1: in the
    // app); the hostfile names the hosts (empty: this machine).
    void setProcesses(int n);
    int processes() const;
    void setHostfile(const QString& path);
    QString hostfile() const;
    QString commandText() const; // the mpirun command of the last distributed run, as shown

    bool isTraining() const { return job_ != nullptr || mpi_ != nullptr; }
    MetricChart* lossChart() const { return lossChart_; }
    MetricChart* accuracyChart() const { return accuracyChart_; }
    QString statusText() const;
    QString resultText() const; // "Test accuracy 96.4%" after a run; empty before or after an error
    std::optional<double> testAccuracy() const { return testAccuracy_; }
    bool lastRunFailed() const { return failed_; }
    // The project run the last finished training recorded (0: none), for saying whose weights these are.
    qint64 lastRecordedRun() const { return lastRecordedRun_; }
    // The weights the last run ended with, when `spec` is the spec it trained (the inspector
    // shows them); null otherwise.
    const std::map<std::string, Tensor>* trainedWeights(const ModelSpec& spec) const;
    // Weights that came from elsewhere (File > Import ONNX, a checkpoint of the opened version),
    // by variable path: trainedWeights(spec) returns them, for the inspector and Export Model,
    // until a run or another spec replaces them. storedIn/versionId: the project file and model
    // version that already hold them as a checkpoint (empty: none yet).
    void adoptWeights(const ModelSpec& spec, std::map<std::string, Tensor> weights, const QString& storedIn = {},
                      int64_t versionId = 0);
    // Whether the weights held are already a checkpoint of that version of that project file
    // (after a recorded run of it, opening it, or saving it with them).
    bool weightsStoredIn(const QString& file, int64_t versionId) const;
    void setWeightsStoredIn(const QString& file, int64_t versionId) { weightsFile_ = file, weightsVersion_ = versionId; }
    bool weightsStored() const { return weightsVersion_ != 0; } // a checkpoint of some version holds them

public slots:
    void train();
    void stop();
    // Stops a run in progress and waits for its thread (closing the window).
    void stopAndWait();

signals:
    void trainingStarted();
    // The run is in the project (status "running"), before its first step; it grows per epoch.
    void runStarted(qint64 runId, const QString& projectFile);
    void epochFinished(int epoch);
    void trainingFinished(bool ok);
    void runRecorded(qint64 runId, const QString& projectFile);
    void statusMessage(const QString& text);
    // "View data…": the dataset view on the panel's dataset (dataset(), csvLabel()).
    void viewDataRequested();

protected:
    void showEvent(QShowEvent* e) override;

private:
    void ensureDevices();
    void addPickedDataset(const QString& prefix, const QString& path); // "csv:" or "images:"
    void poll();
    void finish();
    void setStatus(const QString& text, bool error = false);
    void setRunning(bool on);
    void suggestDataset();
    void refreshLabelColumns(); // the CSV's columns in the Label choice and the column mapping
    void refreshColumnMapping(); // the model's inputs and outputs, and whether the mapping shows
    void refreshMappingProblem();
    void refreshDataFit();
    void refreshOptimizerFields(); // momentum and Nesterov: enabled only where the optimizer reads them
    void refreshLossWarning();
    // TrainPanelDistributed.cpp: the Processes and Hostfile rows, and running mpirun.
    void addDistributedRows(QGridLayout* form, int& row);
    void trainDistributed();
    void readDistributedOutput();
    void finishDistributed(int exitCode, bool crashed);
    void stopDistributed();
    void killDistributed(bool quietly); // at once, the whole process group; quietly: no signals (the destructor)

    Document* doc_;
    nlohmann::json trainedSpec_;                    // the spec of the last finished run
    std::map<std::string, Tensor> trainedWeights_;  // its variables after the run
    QString weightsFile_;                           // where they are a checkpoint (see weightsStoredIn)
    int64_t weightsVersion_ = 0;
    QComboBox *dataset_, *label_, *target_, *device_, *optimizer_, *loss_;
    QLabel* labelCaption_;
    ColumnMappingTable* mapping_;
    TextColumnBox* text_;
    QLabel* mappingProblem_;
    QLabel* dataFit_;
    QPushButton* fitModel_;
    QString factsKey_;             // the dataset and label dataFacts_ was read for
    std::unique_ptr<DataFacts> dataFacts_;
    QSpinBox *epochs_, *batch_, *seed_;
    QDoubleSpinBox *lr_, *momentum_;
    QCheckBox *nesterov_, *fromLogits_, *fromScratch_;
    bool recordInProject_ = true; // off only for the screenshot and tests
    QLabel* lossWarning_; // train::lossOutputWarning for the model, the loss and from-logits
    QPushButton *train_, *stop_, *viewData_;
    QProgressBar* progress_;
    QLabel *status_, *result_;
    MetricChart *lossChart_, *accuracyChart_;
    QTimer* poll_;
    std::unique_ptr<TrainJob> job_;
    QSpinBox* processes_;
    QLineEdit* hostfile_;
    QPushButton* pickHostfile_;
    QLabel* command_;
    QProcess* mpi_ = nullptr; // the mpirun of a distributed run in progress
    QString mpiDir_, mpiProject_, mpiErr_;
    QByteArray mpiOut_;
    qint64 mpiRun_ = 0;
    int mpiEpochs_ = 0, mpiRanks_ = 0;
    bool mpiStopped_ = false;
    bool devicesListed_ = false;
    int lastDataset_ = 0;
    int64_t maxSteps_ = -1;
    std::optional<double> testAccuracy_;
    bool failed_ = false;
    qint64 lastRecordedRun_ = 0;
    std::string suggestedFor_; // the model the dataset was last suggested for
};

} // namespace strata::gui
