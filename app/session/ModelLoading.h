// Loading a model with its weights, for everything that runs or exports a trained model: from a
// saved-model folder, from a project's checkpoint (a model's latest, or one by id), or from a
// model version's newest checkpoint. `strata-cli inspect/export/predict/evaluate` and the
// editor's trained weights (app/gui/project/VersionWeights) read through here.
//
//   LoadedModel m = session::loadModel("P.strata", "digits_mlp", "latest"); // or a folder, or an id
//   m.model->... (built, holding the stored weights); m.source: "checkpoint 4 of P.strata ..."
#pragma once

#include "engine/Error.h"
#include "engine/Model.h"
#include "engine/Tensor.h"

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace strata::storage {
class Project;
struct CheckpointInfo;
} // namespace strata::storage

namespace strata::session {

// The person asked for a checkpoint or model that the arguments cannot name together: a
// malformed id, a checkpoint of another model, a project option given with a saved-model folder.
class SelectionError : public StrataError {
public:
    using StrataError::StrataError;
};

struct LoadedModel {
    std::unique_ptr<Model> model; // built, with the stored weights
    std::string source;           // where the weights came from, for a person
    nlohmann::json training = nlohmann::json::object(); // the run's hyper-parameters, when known
};

// The checkpoint `which` ("" or "latest": the newest of model `modelName`, which may be empty when
// the project holds one model; else a checkpoint id, which must belong to `modelName` when given).
// Throws StorageError (no such model or checkpoint, none yet) or SelectionError.
storage::CheckpointInfo findCheckpoint(const storage::Project& project, const std::string& modelName, const std::string& which);

// The model of checkpoint `c` (its version's spec) with the checkpoint's variables. Throws
// RestoreError naming every key that does not fit, ModelError when the stored spec does not validate.
LoadedModel loadCheckpoint(const storage::Project& project, const storage::CheckpointInfo& c);

// `where` is a saved-model folder (modelName and a checkpoint other than latest are then a
// SelectionError) or a project file (findCheckpoint, then loadCheckpoint).
LoadedModel loadModel(const std::string& where, const std::string& modelName, const std::string& checkpoint);

// The newest checkpoint of a model version; nullopt when it has none.
std::optional<storage::CheckpointInfo> newestCheckpointOfVersion(const storage::Project& project, int64_t versionId);

// The model variables of a checkpoint (optimizer slots and counters left out), by variable path.
// Throws StorageError naming the key when a value cannot be read.
std::map<std::string, Tensor> checkpointModelValues(const storage::Project& project, int64_t checkpointId);

// The version's model with the weights of its newest checkpoint; nullopt when it has none.
std::optional<LoadedModel> loadVersion(const storage::Project& project, int64_t versionId);

} // namespace strata::session
