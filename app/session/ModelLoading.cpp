#include "app/session/ModelLoading.h"

#include "storage/CheckpointStore.h"
#include "storage/Project.h"
#include "storage/Restore.h"
#include "storage/SavedModel.h"
#include "storage/VariableSource.h"

#include <charconv>
#include <filesystem>

namespace strata::session {

storage::CheckpointInfo findCheckpoint(const storage::Project& p, const std::string& modelName, const std::string& which) {
    storage::CheckpointStore store(p);
    if (which.empty() || which == "latest") {
        const storage::ModelInfo m = p.model(modelName);
        storage::CheckpointFilter f;
        f.modelId = m.id;
        auto c = store.latest(f);
        if (!c) throw storage::StorageError(p.path().string() + ": model '" + m.name + "' has no checkpoint yet (train it with --project)");
        return *c;
    }
    int64_t id = 0;
    const auto [end, ec] = std::from_chars(which.data(), which.data() + which.size(), id);
    if (ec != std::errc() || end != which.data() + which.size() || id <= 0)
        throw SelectionError("--checkpoint takes a checkpoint id or 'latest', got '" + which + "'");
    storage::CheckpointInfo c = store.get(id);
    if (!modelName.empty() && c.modelName != modelName)
        throw SelectionError("checkpoint " + which + " belongs to model '" + c.modelName + "', not '" + modelName + "'");
    return c;
}

LoadedModel loadCheckpoint(const storage::Project& project, const storage::CheckpointInfo& c) {
    storage::CheckpointReader reader(project, c.id);
    LoadedModel r{Model::fromSpec(project.version(c.modelVersionId).spec), reader.description(), nlohmann::json::object()};
    storage::restoreModel(reader, *r.model);
    if (c.runId) r.training = project.run(*c.runId).hyperparameters;
    return r;
}

LoadedModel loadModel(const std::string& where, const std::string& modelName, const std::string& checkpoint) {
    if (std::filesystem::is_directory(where)) {
        if (!modelName.empty() || (!checkpoint.empty() && checkpoint != "latest"))
            throw SelectionError("--model and --checkpoint apply to project files, and " + where + " is a saved-model folder");
        const storage::SavedModel saved = storage::SavedModel::load(where);
        LoadedModel r{saved.instantiate(), saved.description(), saved.metadata().value("training", nlohmann::json::object())};
        if (!r.training.is_object()) r.training = nlohmann::json::object();
        if (!saved.textVectorization().is_null()) r.training["text_vectorization"] = saved.textVectorization();
        return r;
    }
    const storage::Project project = storage::Project::open(where, storage::OpenMode::ReadOnly);
    return loadCheckpoint(project, findCheckpoint(project, modelName, checkpoint));
}

std::optional<storage::CheckpointInfo> newestCheckpointOfVersion(const storage::Project& project, int64_t versionId) {
    return storage::CheckpointStore(project).latest({std::nullopt, versionId, std::nullopt});
}

std::map<std::string, Tensor> checkpointModelValues(const storage::Project& project, int64_t checkpointId) {
    std::map<std::string, Tensor> values;
    const storage::CheckpointReader reader(project, checkpointId);
    for (const storage::VariableEntry& e : reader.entries())
        if (storage::isModelKey(e.key))
            if (auto path = storage::pathOfKey(e.key)) values.emplace(*path, reader.read(e));
    return values;
}

std::optional<LoadedModel> loadVersion(const storage::Project& project, int64_t versionId) {
    const auto c = newestCheckpointOfVersion(project, versionId);
    if (!c) return std::nullopt;
    return loadCheckpoint(project, *c);
}

} // namespace strata::session
