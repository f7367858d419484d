// Project I/O as the editor needs it: models and their versions, each a spec with its canvas
// layout and a note. The one implementation stores a .strata project through storage/; the
// interface keeps the editor independent of it (and lets tests substitute their own).
#pragma once

#include "engine/ModelSpec.h"

#include <QString>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace strata::gui {

struct VersionInfo {
    int64_t id = 0;
    int number = 0; // 1, 2, ... per model
    QString note, createdAt;
};

struct StoredModel {
    std::string model;
    VersionInfo version;
    ModelSpec spec;
    nlohmann::json layout = nlohmann::json::object();
};

// What a file holds, for the question before Save As replaces it or adds to it.
struct ProjectFileSummary {
    bool project = false;                // a Strata project this Strata reads
    QString problem;                     // why not, naming the file (when !project)
    std::vector<std::string> modelNames;
    int runs = 0;
};

class ProjectStore {
public:
    virtual ~ProjectStore() = default;

    virtual QString filePath() const = 0;
    // A project this user cannot write (read-only mount, someone else's folder) is opened
    // read-only: save() throws, naming the reason; Save As still copies it elsewhere.
    virtual bool readOnly() const { return false; }
    virtual QString readOnlyReason() const { return {}; }
    virtual std::vector<std::string> modelNames() const = 0;
    // The model whose latest version was saved last (what a project opens on); empty when none.
    virtual std::string lastSavedModel() const = 0;
    virtual std::vector<VersionInfo> versions(const std::string& model) const = 0; // oldest first
    // The given version, or the latest. Throws StrataError naming the model or version.
    virtual StoredModel load(const std::string& model, std::optional<int64_t> versionId = std::nullopt) const = 0;
    // Stores a new version (creating the model when new); one transaction.
    virtual VersionInfo save(const std::string& model, const ModelSpec& spec, const nlohmann::json& layout,
                             const std::string& note) = 0;

    // A copy of the whole project file (runs, metrics and checkpoints included) at `path`,
    // replacing it when it exists. Throws StrataError naming the file.
    virtual void copyTo(const QString& path) const = 0;

    // Opens (create: or creates) a .strata project; read-only when it cannot be written. Throws
    // StrataError with a message naming the file.
    static std::unique_ptr<ProjectStore> open(const QString& path, bool create);
    // Reads `path` without writing to it. Never throws: an unreadable file is a summary with a problem.
    static ProjectFileSummary summarize(const QString& path);
};

} // namespace strata::gui
