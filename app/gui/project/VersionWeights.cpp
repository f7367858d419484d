#include "app/gui/project/VersionWeights.h"

#include "storage/CheckpointStore.h"
#include "storage/Project.h"
#include "storage/VariableSource.h"

#include "app/session/ModelLoading.h"

namespace strata::gui {

std::optional<VersionWeights> latestVersionWeights(const QString& projectFile, int64_t versionId) {
    const storage::Project project = storage::Project::open(projectFile.toStdString(), storage::OpenMode::ReadOnly);
    const auto latest = session::newestCheckpointOfVersion(project, versionId);
    if (!latest) return std::nullopt;
    return VersionWeights{latest->id, session::checkpointModelValues(project, latest->id)};
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
