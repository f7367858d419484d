// What evaluating a trained model needs besides the model: the loss and batch size it was trained
// with, the data source as its run named it, and the split reshaped to the model's inputs and
// outputs. `strata-cli evaluate` (with or without --report) and the editor's Evaluation panel
// read a run's settings through here, so both evaluate what the run trained on.
//
//   LoadedModel m = session::loadModel("P.strata", "", "latest");
//   train::TrainOptions o = session::evaluationOptions(m.training);
//   data::DataSource s = session::runDataSource(m.training, "", {});  // the run's own data
//   data::Dataset test = session::loadEvaluationSplit(*m.model, s, "test");
#pragma once

#include "engine/Model.h"
#include "engine/data/Dataset.h"
#include "engine/data/DatasetSource.h"
#include "engine/train/Trainer.h"

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
// and targets reshaped to `model`'s inputs and first output (an image folder's unset size and
// color from the model's input). Throws StrataError naming the dataset, split or shapes.
data::Dataset loadEvaluationSplit(const Model& model, data::DataSource source, const std::string& split);

} // namespace strata::session
