// The training runs a project file holds, as the Runs panel shows them: each run with its model
// version, dataset, device, status and final figures, its per-epoch metrics, and the weights of
// its newest checkpoint. Reads open the project read-only for each call, so a run being recorded by
// a TrainJob (another connection, WAL mode) is seen as far as it has committed; the one write is
// the person's note and tags on a run (setNoteAndTags), through a short read-write connection.
//
//   RunHistory h("/data/p.strata");
//   for (const RunSummary& r : h.runs()) ...        // newest first
//   auto curves = h.epochMetrics(r.id);            // {"loss": [(1, 0.8), (2, 0.5)], ...}
//   auto steps = h.stepMetrics(r.id);              // {"loss": [(1, 2.3), (2, 2.1), ...]}
//   h.setNoteAndTags(r.id, "lr too high", {"baseline"});
//   RunWeights w = h.weights(r.id);                // spec of the run's version + checkpoint values
//   StepSettings s = stepSettingsOf(r, panelSettings, "the Train panel"); // its loss and optimizer
#pragma once

#include "app/gui/inspect/StepSettings.h"

#include "engine/ModelSpec.h"
#include "engine/Tensor.h"

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace strata::gui {

// "cpu × 4" for a run whose hyper-parameters say "distributed": {"ranks": 4}; else `backend`.
std::string runDeviceLabel(const std::string& backend, const nlohmann::json& hyperparameters);

struct RunSummary {
    int64_t id = 0;
    std::string model;
    int modelVersion = 0;
    int64_t modelVersionId = 0;
    std::string dataset, backend, status, startedAt, endedAt;
    // The device column: the backend, or for a data-parallel run its kind times the ranks
    // ("cpu × 4", "vulkan × 2"). `backend` stays the device to evaluate on.
    std::string device;
    nlohmann::json hyperparameters = nlohmann::json::object();
    nlohmann::json result = nlohmann::json::object();
    uint64_t seed = 0;
    // The newest epoch's figures (NaN when the run has none), and the test split's.
    double loss, accuracy, valLoss, valAccuracy, testLoss, testAccuracy;
    int epochsDone = 0;
    int checkpoints = 0;
    std::optional<int64_t> latestCheckpoint; // the newest checkpoint of the run
    std::string note;              // the person's note on the run
    std::vector<std::string> tags; // the person's tags
    // Its metrics per epoch, as RunHistory::epochMetrics gives them (read with the summary).
    std::map<std::string, std::vector<std::pair<double, double>>> epochMetrics;
};

// The loss and optimizer (and batch size) `run` trained with, from its hyper-parameters, for the
// inspector's whole step. What the run did not record, or recorded unreadably, comes from
// `fallback` (named `fallbackName`, e.g. "the Train panel"), and the settings' source says so.
StepSettings stepSettingsOf(const RunSummary& run, const StepSettings& fallback, const QString& fallbackName);

struct RunWeights {
    ModelSpec spec;                       // the model version the run trained
    std::map<std::string, Tensor> values; // by variable path ("model/dense_1/kernel")
    int64_t checkpointId = 0;
    int64_t step = 0;
    int epochsDone = 0;
};

class RunHistory {
public:
    explicit RunHistory(std::string projectFile) : file_(std::move(projectFile)) {}

    const std::string& file() const { return file_; }
    // Newest first, each with its epoch metrics (one read of the file); only `model`'s runs when
    // it is not empty. Throws StorageError naming the file.
    std::vector<RunSummary> runs(const std::string& model = {}) const;
    // name -> (epoch, value), epochs ascending; names as recorded ("loss", "val_accuracy", ...).
    std::map<std::string, std::vector<std::pair<double, double>>> epochMetrics(int64_t runId) const;
    // name -> (step, value), steps ascending (the training loss of every step: "loss").
    std::map<std::string, std::vector<std::pair<double, double>>> stepMetrics(int64_t runId) const;
    // Whether notes and tags can be written; `why` says why not (a read-only file or folder).
    bool writable(std::string* why = nullptr) const;
    // Stores the person's note and tags on a run. Throws StorageError naming the file or the run.
    void setNoteAndTags(int64_t runId, const std::string& note, const std::vector<std::string>& tags) const;
    // The run's model version and its newest checkpoint's model variables. Throws StorageError
    // naming the run when it has no checkpoint, or the key when a value cannot be read.
    RunWeights weights(int64_t runId) const;

private:
    std::string file_;
};

} // namespace strata::gui
