// ProjectStore on storage/'s SQLite project (storage/Project.h).
#include "app/gui/project/ProjectStore.h"

#include "storage/Project.h"

#include <filesystem>

namespace strata::gui {

namespace {

VersionInfo info(const storage::ModelVersion& v) {
    return {v.id, v.version, QString::fromStdString(v.note), QString::fromStdString(v.createdAt)};
}

class StorageProjectStore : public ProjectStore {
public:
    StorageProjectStore(storage::Project p, std::string readOnlyReason)
        : project_(std::move(p)), readOnlyReason_(std::move(readOnlyReason)) {}

    bool readOnly() const override { return project_.readOnly(); }
    QString readOnlyReason() const override { return QString::fromStdString(readOnlyReason_); }

    QString filePath() const override { return QString::fromStdString(project_.path().string()); }

    std::vector<std::string> modelNames() const override {
        std::vector<std::string> out;
        for (const auto& m : project_.models()) out.push_back(m.name);
        return out;
    }

    std::string lastSavedModel() const override {
        std::string best;
        int64_t bestId = -1;
        for (const auto& m : project_.models())
            if (m.latestVersionId > bestId) {
                bestId = m.latestVersionId;
                best = m.name;
            }
        return best;
    }

    std::vector<VersionInfo> versions(const std::string& model) const override {
        std::vector<VersionInfo> out;
        auto m = project_.findModel(model);
        if (!m) return out;
        for (const auto& v : project_.versions(m->id)) out.push_back(info(v));
        return out;
    }

    StoredModel load(const std::string& model, std::optional<int64_t> versionId) const override {
        storage::ModelVersion v;
        if (versionId) {
            v = project_.version(*versionId);
        } else {
            storage::ModelInfo m = project_.model(model);
            auto latest = project_.latestVersion(m.id);
            if (!latest) throw StrataError(filePath().toStdString() + ": model '" + m.name + "' has no versions");
            v = *latest;
        }
        return {v.modelName, info(v), v.spec, v.layout};
    }

    VersionInfo save(const std::string& model, const ModelSpec& spec, const nlohmann::json& layout,
                     const std::string& note) override {
        if (readOnly())
            throw StrataError(filePath().toStdString() + " cannot be written: " + readOnlyReason_ +
                              ". Use Save As to keep this model in another file.");
        return info(project_.saveVersion(model, spec, layout, note));
    }

    void copyTo(const QString& path) const override { project_.copyTo(path.toStdString()); }

private:
    mutable storage::Project project_;
    std::string readOnlyReason_; // empty when writable
};

} // namespace

std::unique_ptr<ProjectStore> ProjectStore::open(const QString& path, bool create) {
    // A project on a read-only mount or in a folder this user cannot write opens read-only: it
    // can be looked at, trained models predicted with and saved elsewhere, but not changed.
    std::string why;
    const std::filesystem::path file = path.toStdString();
    if (!create && std::filesystem::exists(file) && !storage::Project::writable(file, &why))
        return std::make_unique<StorageProjectStore>(storage::Project::open(file, storage::OpenMode::ReadOnly), why);
    auto mode = create ? storage::OpenMode::Create : storage::OpenMode::ReadWrite;
    return std::make_unique<StorageProjectStore>(storage::Project::open(file, mode), std::string());
}

ProjectFileSummary ProjectStore::summarize(const QString& path) {
    ProjectFileSummary out;
    try {
        const storage::Project p = storage::Project::open(path.toStdString(), storage::OpenMode::ReadOnly);
        for (const auto& m : p.models()) out.modelNames.push_back(m.name);
        out.runs = int(p.runs().size());
        out.project = true;
    } catch (const std::exception& e) {
        out = {};
        out.problem = QString::fromUtf8(e.what());
    }
    return out;
}

} // namespace strata::gui
