// What evaluating a trained model needs besides the model: the loss and batch size it was trained
// with, the data source as its run named it, and the split reshaped to the model's inputs and
// outputs. `strata-cli evaluate` (with or without --report) and the editor's Evaluation panel
// read a run's settings through here, so both evaluate what the run trained on.
//
//   LoadedModel m = session::loadModel("P.strata", "", "latest");
//   train::TrainOptions o = session::evaluationOptions(m.training);
//   data::DataSource s = session::runDataSource(m.training, "", {});  // the run's own data
//   data::Dataset test = session::loadEvaluationSplit(*m.model, s, "test");
//   EvaluationDevice d = session::evaluationDevice("", session::runDevice("P.strata", "", "latest"), 1);
//   d.note; // "the run trained on vulkan, which is not available here (...). Evaluated on the CPU instead"
#pragma once

#include "engine/Model.h"
#include "engine/data/Dataset.h"
#include "engine/data/DatasetSource.h"
#include "engine/ir/Backend.h"
#include "engine/train/Trainer.h"

#include <memory>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace strata::session {

// The loss, logits flag, batch size and per-output losses a run recorded (`training`: its
// hyper-parameters, LoadedModel::training); sparse categorical cross-entropy and 32 where absent.
train::TrainOptions evaluationOptions(const nlohmann::json& training);

// What the person said about the data; unset fields come from the run.
struct DataChoice {
    std::optional<std::string> label; // CSV: the target column
    bool regression = false;          // CSV: a real-valued target (with label, or alone)
    bool reconstruct = false;         // the targets are the inputs (also when the run trained so)
};

// The data source `dataName` (empty: the run's own dataset) with the run's settings: a CSV
// table's label column, kind and column mapping unless `choice` names a label or regression;
// an image folder's size, color and validation fraction.
data::DataSource runDataSource(const nlohmann::json& training, const std::string& dataName, const DataChoice& choice);

// Loads `source` and returns split `split` ("test", "validation" or "train") with its features
// and targets reshaped to `model`'s inputs and outputs (an image folder's unset size and color
// from the model's input). Throws StrataError naming the dataset, split or shapes.
data::Dataset loadEvaluationSplit(const Model& model, data::DataSource source, const std::string& split);

// The device the run of a checkpoint trained on, as the project recorded it ("cpu", "vulkan",
// "vulkan:N"); empty for a saved-model folder or a checkpoint no run made. `where`, `modelName`
// and `checkpoint` as session::loadModel takes them; throws as it does.
std::string runDevice(const std::string& where, const std::string& modelName, const std::string& checkpoint);

struct EvaluationDevice {
    std::unique_ptr<ir::Backend> backend;
    std::string device; // the device that computes, as session::makeBackend names it ("cpu", "vulkan")
    std::string note;   // set when another device stands in for the one asked for, and why (for a person)
};

// The backend an evaluation runs on: the device a person asked for (`asked`: --device, or the GUI's
// choice; one that cannot be used is a DeviceError), else the run's own (`recorded`, runDevice;
// empty: the CPU). A recorded device this machine lacks gives the CPU backend and a note saying so.
EvaluationDevice evaluationDevice(const std::string& asked, const std::string& recorded, int threads);

} // namespace strata::session
