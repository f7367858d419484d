#include "app/gui/project/VersionWeights.h"

#include "storage/CheckpointStore.h"
#include "storage/Project.h"
#include "storage/VariableSource.h"

namespace strata::gui {

std::map<std::string, Tensor> checkpointModelValues(const storage::Project& project, int64_t checkpointId) {
    std::map<std::string, Tensor> values;
    const storage::CheckpointReader reader(project, checkpointId);
    for (const storage::VariableEntry& e : reader.entries())
        if (storage::isModelKey(e.key))
            if (auto path = storage::pathOfKey(e.key)) values.emplace(*path, reader.read(e));
    return values;
}

std::optional<VersionWeights> latestVersionWeights(const QString& projectFile, int64_t versionId) {
    const storage::Project project = storage::Project::open(projectFile.toStdString(), storage::OpenMode::ReadOnly);
    const auto latest = storage::CheckpointStore(project).latest({std::nullopt, versionId, std::nullopt});
    if (!latest) return std::nullopt;
    return VersionWeights{latest->id, checkpointModelValues(project, latest->id)};
}

int64_t storeVersionWeights(const QString& projectFile, int64_t versionId, const std::map<std::string, Tensor>& values) {
    storage::Project project = storage::Project::open(projectFile.toStdString(), storage::OpenMode::ReadWrite);
    storage::CheckpointMeta meta;
    meta.modelVersionId = versionId;
    meta.keep = true;
    storage::CheckpointWriter w(project, meta);
    for (const auto& [path, value] : values) w.add(storage::keyOfPath(path), value);
    return w.commit();
}

int64_t versionOfRun(const QString& projectFile, int64_t runId) {
    const storage::Project project = storage::Project::open(projectFile.toStdString(), storage::OpenMode::ReadOnly);
    return project.run(runId).modelVersionId;
}

} // namespace strata::gui
