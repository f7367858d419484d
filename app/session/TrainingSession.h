// One training run, as both programs do it: `strata-cli train` and the editor's Train panel.
// Given a spec, a data source, options and (optionally) a project to record in, the session opens
// the project (resume: finds the run, its spec, data and hyper-parameters), makes the backend
// (Devices.h), builds the model, loads and reshapes the dataset, checks it against the model and
// the loss, records the run (ProjectTraining.h), fits with step and epoch events, evaluates the
// test split and finishes the run. An exception after the run was recorded leaves it in a final
// state ("stopped", with the error as its message) before it reaches the caller.
//
//   session::TrainingSession s(request);
//   s.openProject(); s.makeBackend(); s.makeModel(); // optional: run() does what is not done yet;
//                                                    // called one by one, each stage's errors can
//                                                    // be told apart (the CLI's exit codes)
//   TrainingResult r = s.run(events);                // on the calling thread; requestStop() from any
#pragma once

#include "app/session/ProjectTraining.h"

#include "engine/Model.h"
#include "engine/ModelSpec.h"
#include "engine/data/DatasetSource.h"
#include "engine/ir/Backend.h"
#include "engine/train/DataParallelStep.h"
#include "engine/train/Trainer.h"

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

namespace strata::session {

struct TrainingRequest {
    std::optional<ModelSpec> spec; // absent: resuming trains the run's own spec
    data::DataSource data;         // name empty: resuming trains on the run's own data
    // epochs, batch size, loss, optimizer, seed, maxSteps. An empty loss: mean_squared_error for
    // regression and reconstruct sources, else sparse_categorical_crossentropy.
    train::TrainOptions options;
    bool epochsGiven = true; // resuming: options.epochs replaces the run's epoch count
    std::string device;      // "", "auto", "cpu", "vulkan", "vulkan:N" (Devices.h)
    int threads = 1;         // CPU backend threads
    std::optional<ProjectTrainingOptions> project; // record the run in this project
    // Layers to freeze (names or shell patterns, see train::freezeLayers): set in the spec before
    // the model is made, so a project records the frozen layers in the model version it trains.
    std::vector<std::string> freeze;
    // Data-parallel training (strata-cli train --distributed; docs/distributed.md): this process's
    // rank. options.batchSize is then the global batch. Rank 0 alone records the run in the
    // project; the others read it when they must (--resume, or no MODEL.json given). Not owned.
    train::Collectives* collectives = nullptr;
};

struct TrainingEvents {
    // After the run was recorded, just before fit: the project's line for the person ("recording
    // run 3 of model 'm' version 1 in P.strata", "resuming run 3 from checkpoint ..."), empty
    // without a project.
    std::function<void(const std::string& recording)> started;
    // Lines about loading the data, for the person: an image folder's scan progress and the bad
    // files it skipped.
    std::function<void(const std::string& line)> data;
    std::function<void(const train::StepEvent&)> step;
    std::function<void(const train::EpochEvent&)> epoch;
};

struct TrainingResult {
    train::FitResult fit;   // fit.message: why it ended early (stop, step limit, NaN loss)
    train::EvalResult test; // the test split, after fit
    // Data-parallel only: where the steps' time went, and whether every rank ended with the same
    // weights (they must: replicas apply the same update to the same averaged gradients).
    std::optional<train::DataParallelStats> parallel;
    bool replicasAgree = true;
};

class TrainingSession {
public:
    explicit TrainingSession(TrainingRequest request);
    ~TrainingSession();
    TrainingSession(const TrainingSession&) = delete;
    TrainingSession& operator=(const TrainingSession&) = delete;

    // With a project: opens it (created when absent, unless resuming), finds the run to resume and
    // settles the data source (the run's, when resuming). Throws StrataError.
    void openProject();
    // The backend for request.device. Throws DeviceError; backendNote() says why the CPU backend
    // stands in for a Vulkan device that was asked for.
    void makeBackend();
    // The spec (resuming: the run's; a given one must be the same) and the model from it. Throws
    // StrataError when the spec differs from the resumed run's, ModelError when it does not validate.
    void makeModel();
    // The rest of the run (and the stages above not done yet). Throws StrataError when the data
    // cannot be loaded or does not fit the model and the loss, or what a backend or the project
    // throws; the model then holds what fit reached.
    TrainingResult run(const TrainingEvents& events = {});

    // Ends the run after the step in progress; the test split is still evaluated and the run
    // recorded ("stopped"). Before fit begins, fit is skipped. Any thread, any time.
    void requestStop();
    bool stopRequested() const { return stop_; }

    const data::DataSource& dataSource() const { return source_; }
    std::string datasetName() const;      // the built-in dataset's name, or the CSV file's name
    const std::string& backendNote() const { return backendNote_; }
    std::string backendName() const;      // "cpu", "vulkan"; empty before makeBackend
    int64_t runId() const;                // the run recorded in the project; 0 before run() records it
    Model* model() { return model_.get(); } // after makeModel; after run(), with the trained weights
    const train::TrainOptions& options() const { return options_; } // as trained (resume: the run's)
    // After makeModel: the layers request.freeze froze, and the warning when the loss and the
    // model's output disagree on logits (train::lossOutputWarning; empty when they agree).
    const std::vector<std::string>& frozenLayers() const { return frozen_; }
    std::string lossWarning() const;
    // After run() loaded a text column: the vectorizer adapted on the training split (its JSON is
    // what the project records and a saved model's text_vectorization.json holds); else null.
    std::shared_ptr<const data::TextVectorization> textVectorization() const { return text_; }

private:
    ProjectTraining* recorder() const { return project_ && !project_->readOnly() ? project_.get() : nullptr; }
    // Data-parallel: every rank learns whether any failed `stage`; a rank that did not fail throws
    // a StrataError saying so, the one that did rethrows its own error.
    void agreeOrThrow(std::exception_ptr failed, const std::string& stage);
    void finishFailed(const train::FitResult& fit, const std::string& why);
    void settleOptions(); // the default loss; resuming, the run's hyper-parameters
    // Several outputs: options_.outputLosses in the model's output order, each output's loss from
    // what was given by name or its target column's kind. Throws StrataError for an unknown name.
    void settleOutputLosses(const std::vector<std::string>& outputs);

    TrainingRequest request_;
    data::DataSource source_;
    train::TrainOptions options_;
    bool projectOpened_ = false;
    std::unique_ptr<ProjectTraining> project_;
    std::unique_ptr<ir::Backend> backend_;
    std::string backendNote_;
    std::unique_ptr<Model> model_;
    std::vector<std::string> frozen_;
    std::shared_ptr<const data::TextVectorization> text_;
    bool optionsSettled_ = false;
    std::atomic<bool> stop_{false};
    std::mutex trainerMutex_; // guards trainer_ against the trainer's end
    train::Trainer* trainer_ = nullptr;
};

} // namespace strata::session
