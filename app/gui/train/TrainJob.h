// One training run of the editor, on its own thread: a session::TrainingSession (the same run as
// `strata-cli train`, app/session) over a copy of the spec that loads the dataset, makes the
// backend, trains, evaluates the test split and (for a document in a project) records the run. The GUI never waits on it: it
// takes the updates the run has queued (TrainJob::takeUpdates, polled by a timer), asks it to
// stop, and its destructor stops and joins the thread.
//
//   TrainJob job(spec, settings);                 // starts at once
//   for (const TrainUpdate& u : job.takeUpdates()) ...   // Started, Step, Epoch, Finished
//   job.stop();                                   // ends after the current step, still evaluates
#pragma once

#include "engine/ModelSpec.h"
#include "engine/data/ColumnMapping.h"
#include "engine/data/TextVectorization.h"
#include "engine/train/Trainer.h"

#include <atomic>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

namespace strata::session {
class TrainingSession;
}

namespace strata::gui {

struct TrainSettings {
    std::string dataset = "digits"; // a built-in dataset name; ignored when csvFile is set
    std::string csvFile;            // a CSV table, split 70/10/20 (see data::DataSource)
    std::string csvLabel;           // its target column (header name or index); empty: the last
    data::ColumnMapping columns;    // a model with several inputs or outputs: the CSV's columns for each
    std::string textColumn;         // a CSV column of text: the one input, as token ids (data::DataSource::textColumn)
    data::TextVectorizationOptions text; // how that text becomes ids
    bool reconstruct = false;       // every sample is its own target (an autoencoder), labels unused
    std::string device = "cpu";     // "cpu", "vulkan:N" (or "" for the automatic choice, app/session/Devices.h)
    int threads = 1;                // CPU backend threads
    train::TrainOptions options;    // epochs, batch, optimizer, seed, maxSteps
    // When set, the run is recorded in this project under `modelName` (with `layout` for a new
    // model version), with metrics and a checkpoint per epoch.
    std::string projectFile, modelName;
    nlohmann::json layout = nlohmann::json::object();
    bool fromScratch = false; // recorded: fresh weights, not the model's newest checkpoint in the project
};

// What ended the run, read by the GUI after the Finished update.
struct TrainOutcome {
    std::string error;            // non-empty: training could not start or failed; why, for a person
    train::FitResult fit;         // fit.message: why it ended early (stop, step limit, NaN loss)
    train::EvalResult test;       // the test split, after fit
    bool tested = false;
    std::string backend;          // "cpu", "vulkan"...
    std::string datasetName;
    int64_t runId = 0;            // the run recorded in the project; 0 when none (set before Started)
    double seconds = 0;
    std::map<std::string, Tensor> weights; // the model's variables after the run, by path
};

struct TrainUpdate {
    enum class Kind { Started, Step, Epoch, Finished } kind;
    train::StepEvent step;   // Step
    train::EpochEvent epoch; // Epoch
    std::string text;        // Started: backend, dataset and project notes for the status line
};

class TrainJob {
public:
    TrainJob(ModelSpec spec, TrainSettings settings);
    ~TrainJob(); // stops the run and waits for its thread
    TrainJob(const TrainJob&) = delete;
    TrainJob& operator=(const TrainJob&) = delete;

    // Ends the run after the step in progress; the test split is still evaluated and the run
    // recorded (as "stopped"). Safe from any thread, at any time.
    void stop();
    bool stopRequested() const { return stop_; }
    // The updates queued since the last call, oldest first.
    std::vector<TrainUpdate> takeUpdates();
    // Waits for the thread; the outcome is complete afterwards.
    void wait();
    bool finished() const { return finished_; }
    const TrainOutcome& outcome() const { return outcome_; } // after finished()
    const TrainSettings& settings() const { return settings_; }
    const ModelSpec& spec() const { return spec_; }

private:
    void run();
    void post(TrainUpdate u);

    ModelSpec spec_;
    TrainSettings settings_;
    TrainOutcome outcome_;
    std::mutex mutex_; // guards updates_ and session_
    std::vector<TrainUpdate> updates_;
    session::TrainingSession* session_ = nullptr; // while run() holds one
    std::atomic<bool> stop_{false}, finished_{false};
    std::thread thread_;
};

} // namespace strata::gui
