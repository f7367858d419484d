// Computing a run's evaluation report off the GUI thread: loads the checkpoint's model and the
// run's dataset split (app/session/Evaluation.h, as `strata-cli evaluate` does), runs
// train::evaluationReports (every output of the model) on the device the run trained on (the CPU,
// with a note saying so, when this machine lacks it) and reports progress and the end by signals
// (queued to the GUI thread). The result keeps the model, backend and split for the panel's
// later questions (one sample's prediction, an autoencoder's reconstructions, thumbnails).
//
//   auto* job = new EvaluationJob({project, checkpointId, "test", "vulkan"}, this);
//   connect(job, &EvaluationJob::progress, ...); connect(job, &EvaluationJob::finished, ...);
//   job->start();
#pragma once

#include "engine/Model.h"
#include "engine/data/Dataset.h"
#include "engine/ir/Backend.h"
#include "engine/train/EvalReport.h"

#include <QObject>
#include <QString>

#include <atomic>
#include <memory>
#include <string>
#include <vector>

class QThread;

namespace strata::gui {

struct EvaluationRequest {
    QString project;        // the .strata file
    qint64 checkpointId = 0; // the weights (a run's newest checkpoint)
    QString split = "test";
    QString device = "cpu";  // the device the run trained on (RunSummary::backend), as session::makeBackend takes it
};

struct EvaluationResult {
    std::vector<train::EvalReport> reports; // one per output of the model, in its output order
    data::Dataset split;
    std::unique_ptr<Model> model;
    std::unique_ptr<ir::Backend> backend;
    std::string source; // where the weights came from
    std::string dataName;
    std::string device;     // the device that computed ("cpu", "vulkan")
    std::string deviceNote; // set when the run's device was not available here, and the CPU computed
};

class EvaluationJob : public QObject {
    Q_OBJECT
public:
    EvaluationJob(EvaluationRequest request, QObject* parent = nullptr);
    ~EvaluationJob() override; // cancels and waits

    void start();
    void cancel();
    bool isRunning() const;
    // After finished(true): the result (moved out once).
    std::shared_ptr<EvaluationResult> takeResult();
    const QString& error() const { return error_; }

signals:
    void status(const QString& text); // "loading the dataset", ...
    void progress(qint64 done, qint64 total);
    void finished(bool ok);

private:
    void work(); // on the worker thread

    EvaluationRequest request_;
    QThread* thread_ = nullptr;
    std::atomic<bool> cancel_{false};
    std::shared_ptr<EvaluationResult> result_;
    QString error_;
};

} // namespace strata::gui
