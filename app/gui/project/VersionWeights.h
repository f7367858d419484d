// Trained weights kept with a model version in the project, so that a project reopened later
// still has them for Inspect and Export: the newest checkpoint of a version (of a recorded run, or
// one stored when the version was saved with weights the project did not have yet, such as an
// imported ONNX model's or an unrecorded run's). Each call opens the project file on its own; the
// reading goes through app/session/ModelLoading.h, as the CLI's.
#pragma once

#include "app/session/ModelLoading.h"
#include "engine/Tensor.h"

#include <QString>

#include <cstdint>
#include <map>
#include <optional>
#include <string>

namespace strata::storage {
class Project;
}

namespace strata::gui {

// The model variables of a checkpoint (optimizer slots and counters left out), by variable path
// (app/session/ModelLoading.h).
using session::checkpointModelValues;

struct VersionWeights {
    int64_t checkpointId = 0;
    std::map<std::string, Tensor> values; // model variables by path ("model/dense_1/kernel")
};

// The model variables of the newest checkpoint of the version; nullopt when it has none. Throws
// StorageError naming the file or key when the project cannot be read.
std::optional<VersionWeights> latestVersionWeights(const QString& projectFile, int64_t versionId);

// Stores `values` as a checkpoint of the version, kept whatever the retention policy (no run).
// Returns the checkpoint id.
int64_t storeVersionWeights(const QString& projectFile, int64_t versionId, const std::map<std::string, Tensor>& values);

// The model version a recorded run trained (StorageError when the run is not in the file).
int64_t versionOfRun(const QString& projectFile, int64_t runId);

} // namespace strata::gui
