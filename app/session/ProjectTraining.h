// What recording a training run in a project adds to it (`strata-cli train --project P.strata`,
// and the editor's Train panel for a document in a project): the model version, the dataset and
// the run are recorded before fit; metrics per step and per epoch, variable histograms per epoch
// (ProjectTrainingOptions::histograms), and checkpoints (every N steps, or at the end of each
// epoch) are written while it trains, each checkpoint in one
// transaction and pruned to max-to-keep; resume continues the latest run of the model from its
// latest checkpoint (weights, optimizer slots, optimizer/iter, and the epoch and batch it had
// reached), so a resumed run ends with the same weights as one never interrupted.
//
// TrainingSession (TrainingSession.h) calls, in order:
//   ProjectTraining project(options);                     // opens or creates the file
//   spec, data source: project.resolve...(...)            // resume: the run's own
//   project.applyRunOptions(opts, epochsGiven);           // resume: the run's hyper-parameters
//   model->build(opts.seed); project.begin(*model, *backend, opts, splits.train, source);
//   trainer.onStep(... project.onStep(e, backend) ...);
//   trainer.onEpoch(... project.onEpoch(e, backend, trainer.epochGradients()) ...)   // metrics, histograms
//   project.finish(fit, test, backend);
#pragma once

#include "engine/Model.h"
#include "engine/data/Dataset.h"
#include "engine/data/DatasetSource.h"
#include "engine/ir/Backend.h"
#include "engine/train/Trainer.h"

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace strata::storage {
class Project;
class CheckpointManager;
struct Metric;
} // namespace strata::storage

namespace strata::session {

struct ProjectTrainingOptions {
    std::string project;                 // --project FILE
    std::string model;                   // --model NAME (default: the spec's name, or the project's only model)
    std::optional<int64_t> checkpointEvery; // --checkpoint-every N steps; absent or 0: at the end of each epoch
    std::optional<int> maxToKeep;           // --max-to-keep K (default 5; 0 keeps all)
    bool resume = false;                 // --resume
    // A new run of a model the project holds starts from the model's newest checkpoint (any
    // version: an import's weights, or the last run's), variables matched by object path and
    // shape; --from-scratch starts from fresh initial values instead.
    bool fromScratch = false;
    // At the end of every epoch, the histogram of every trainable variable's value and of its
    // gradient in the epoch's last step (engine/train/Histogram.h), stored with the run
    // (Project::addHistograms); --no-histograms turns it off.
    bool histograms = true;
    // Data-parallel ranks other than 0 read the project (resume: the run's spec, data and
    // hyper-parameters) and never write it: rank 0 alone records the run.
    bool readOnly = false;
    // A data-parallel run: {"ranks": N}, recorded in the run's hyper-parameters as "distributed";
    // --resume then needs the same N. Null: one process.
    nlohmann::json distributed;
    // Set by the editor, not by the CLI: the canvas layout stored with a new model version.
    nlohmann::json layout = nlohmann::json::object();
};

// A run's "initial_weights" (see ProjectTraining::begin) for a person: where the weights came
// from, and every variable that was new, reinitialized or left out.
std::string initialWeightsText(const nlohmann::json& initialWeights);

// The number of checkpoints kept per run when ProjectTrainingOptions::maxToKeep is absent.
inline constexpr int kDefaultMaxToKeep = 5;

class ProjectTraining {
public:
    // Opens the project (created when absent, unless resuming). Resuming finds the run to
    // continue: the latest run of --model (or of the project's only model). Throws StrataError.
    explicit ProjectTraining(ProjectTrainingOptions options);
    ~ProjectTraining();

    bool resuming() const { return resume_.has_value(); }
    bool readOnly() const { return options_.readOnly; }
    // Resuming: the ranks the run was trained on (its "distributed" hyper-parameters; 1 without).
    int runRanks() const;
    // The spec and dataset to train: as given, or (resuming) the run's. Resuming, a given spec or
    // dataset that differs from the run's is an error naming both. A new run without a spec
    // trains the model's newest version. Throws StrataError.
    ModelSpec resolveSpec(const std::optional<ModelSpec>& given) const;
    // A CSV source is recorded with its file (the bytes, when small), its label column and target kind.
    data::DataSource resolveDataset(const data::DataSource& given) const;
    // Resuming: the run's hyper-parameters replace `opts` (the epoch count too, unless given).
    void applyRunOptions(train::TrainOptions& opts, bool epochsGiven) const;

    // With the model built and before the Trainer exists. A new run: unless fromScratch, sets the
    // model's variables from the model's newest checkpoint where path and shape agree (the run's
    // hyper-parameters record it under "initial_weights", naming every variable that was new or
    // reinitialized); records the model version (a new one only when the spec changed), the
    // dataset (by content hash), the run and its traced graphs. Resuming: restores the run's latest checkpoint into the model and the
    // backend and sets opts.initialEpoch / initialBatch. Returns a line for the person.
    // An image folder is recorded by its path and the hash of `listing` (each image's path, size and
    // modification time: ImageFolderReport), not by its pixels.
    // A text column's vectorizer (`text`, adapted on the training split) is recorded with the run's
    // hyper-parameters as "text_vectorization" (TextVectorization::toJson), beside "text_column"
    // and the options as given, "text_options".
    std::string begin(Model& model, ir::Backend& backend, train::TrainOptions& opts, const data::Dataset& train,
                      const data::DataSource& source, const std::string& listing = {},
                      const data::TextVectorization* text = nullptr);

    // Trainer event hooks.
    void onStep(const train::StepEvent& e, ir::Backend& backend);
    // `gradients`: the epoch's last-step gradients by variable path (Trainer::epochGradients), for
    // the gradient histograms; the value histograms are read from the backend.
    void onEpoch(const train::EpochEvent& e, ir::Backend& backend,
                 const std::vector<std::pair<std::string, Tensor>>& gradients = {});
    // After fit and the test evaluation: a last checkpoint when steps ran since the previous one
    // (not after a NaN stop), the remaining metrics, the run's status and result (with
    // histograms, "histogram_seconds": the time this process spent recording them).
    void finish(const train::FitResult& fit, const train::EvalResult& test, ir::Backend& backend);

    int64_t runId() const { return runId_; }

private:
    // Sets the model's variables from the model's newest checkpoint; returns "initial_weights".
    nlohmann::json warmStart(Model& model, const std::string& name);
    int64_t saveCheckpoint(ir::Backend& backend, const nlohmann::json& metrics);
    void flushMetrics();
    void recordHistograms(int epoch, ir::Backend& backend, const std::vector<std::pair<std::string, Tensor>>& gradients);

    ProjectTrainingOptions options_;
    std::unique_ptr<storage::Project> project_;
    std::optional<int64_t> resume_; // the run being resumed
    ModelSpec runSpec_;             // resuming: the run's spec, dataset and hyper-parameters
    data::DataSource runDataset_;
    std::unique_ptr<storage::CheckpointManager> manager_;
    nlohmann::json hyperparameters_;
    int64_t versionId_ = 0, runId_ = 0;
    int64_t stepOffset_ = 0;     // steps done before this process (resuming)
    int64_t lastStep_ = 0;       // global step of the last step event
    int epochsDone_ = 0;         // where training stands after lastStep_
    int64_t batchesDone_ = 0;
    int64_t lastSavedStep_ = -1; // global step of the last checkpoint
    int64_t lastCheckpointId_ = 0;
    std::vector<storage::Metric> pending_;
    std::vector<std::string> trainablePaths_; // the variables whose histograms are recorded
    double histogramSeconds_ = 0;             // spent making and storing them (the run's result says)
};

} // namespace strata::session
