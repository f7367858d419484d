// Project: one .strata file (an SQLite database) holding a person's whole work: models and their
// versions (spec + canvas layout), datasets, training runs with their metrics, checkpoints (see
// CheckpointStore) and traced graphs. The same API serves the GUI and strata-cli.
//
//   Project p = Project::open("work.strata", OpenMode::Create);
//   ModelVersion v = p.saveVersion("digits_mlp", spec, layoutJson, "wider first layer");
//   for (const ModelInfo& m : p.models()) ...;  p.versions(m.id);  p.version(v.id).spec
//
// Opening checks that the file is a Strata project (application_id), not truncated, and not from
// a newer Strata (user_version); older schemas are migrated. Every write is one transaction, and
// the database runs in WAL mode, so a crash at any point leaves the last commit readable.
#pragma once

#include "engine/ModelSpec.h"
#include "storage/Sqlite.h"
#include "storage/WalCheckpointer.h"

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace strata::storage {

enum class OpenMode {
    ReadOnly,  // inspect, export, predict: never writes
    ReadWrite, // the file must exist and be a Strata project
    Create,    // creates the file when absent (or empty), else as ReadWrite
};

struct ModelInfo {
    int64_t id = 0;
    std::string name;
    std::string createdAt;
    int versionCount = 0;
    int64_t latestVersionId = 0;
    int latestVersion = 0;
};

struct ModelVersion {
    int64_t id = 0, modelId = 0;
    std::string modelName;
    int version = 0; // 1, 2, ... per model
    ModelSpec spec;
    nlohmann::json layout = nlohmann::json::object(); // the canvas: node positions, zoom, ... (GUI-defined)
    std::string note, createdAt, specSha256;
};

struct DatasetInfo {
    int64_t id = 0;
    std::string name;
    std::string source; // "builtin" (by name), "bytes" (stored in the project) or "file" (path + hash)
    std::string path;
    int64_t size = 0;
    std::string sha256, createdAt;
};

struct RunInfo {
    int64_t id = 0, modelVersionId = 0;
    std::optional<int64_t> datasetId;
    std::string modelName;
    int modelVersion = 0;
    std::string datasetName;
    nlohmann::json hyperparameters = nlohmann::json::object();
    uint64_t seed = 0;
    std::string backend, startedAt, endedAt;
    std::string status; // running | completed | stopped | diverged | failed
    nlohmann::json result = nlohmann::json::object();
    std::string note;              // the person's note on the run (schema 2)
    std::vector<std::string> tags; // the person's tags, in their order (schema 2)
};

struct NewRun {
    int64_t modelVersionId = 0;
    std::optional<int64_t> datasetId;
    nlohmann::json hyperparameters = nlohmann::json::object();
    uint64_t seed = 0;
    std::string backend = "cpu";
};

struct Metric {
    std::string scope; // "step" or "epoch"
    int64_t at = 0;    // the step (1-based, over the run) or the epoch
    std::string name;
    double value = 0;  // NaN is stored as NULL and read back as NaN
};

// The distribution of one variable (kind "value") or of its gradient ("gradient") at the end of
// one epoch of a run: `bins` counts of equal width over [min, max] (all in the first bin when
// min == max); non-finite elements are left out of the bins and counted in `nonFinite`.
struct VariableHistogram {
    int64_t epoch = 0;
    std::string key;  // the variable's checkpoint key
    std::string kind; // "value" or "gradient"
    int64_t count = 0, nonFinite = 0;
    double min = 0, max = 0, mean = 0, std = 0;
    std::vector<uint32_t> bins;
};

struct TracedGraphRecord {
    std::string signature;
    nlohmann::json graph;
    std::string createdAt;
};

// Datasets at most this large are stored inside the project; larger ones by path, size and hash.
inline constexpr int64_t kInlineDatasetBytes = int64_t(16) << 20;

class Project {
public:
    // Throws StorageError naming the file: absent (unless Create), not a Strata project,
    // truncated, corrupted, or written by a newer Strata. ReadOnly also opens a file this user
    // cannot write (read-only mount, someone else's folder): see openNote().
    static Project open(const std::filesystem::path& file, OpenMode mode = OpenMode::ReadWrite);
    // Whether open(file, ReadWrite) can work: the file and its folder (for the write-ahead log)
    // are writable by this user on a writable file system. `why` says which is not.
    static bool writable(const std::filesystem::path& file, std::string* why = nullptr);
    // Throws StorageError when the file system holding the project has less than `bytes` free,
    // saying how much it has and what `what` needs: a run refuses to start on a nearly full disk
    // rather than fill it.
    void checkFreeSpace(int64_t bytes, const std::string& what) const;

    Project(Project&&) noexcept;
    Project& operator=(Project&&) noexcept;
    ~Project();

    const std::filesystem::path& path() const;
    Database& database() const { return *db_; }
    // Waits until the background copy of the write-ahead log into the file is done (none when read-only).
    void waitForLogCopy();
    int schemaVersion() const { return schemaVersion_; }
    bool readOnly() const { return db_->readOnly(); }
    // Empty, or what a reader should know about how the file was opened: a project that cannot be
    // written was opened without locks, and its left-over write-ahead log (the last commits of a
    // writer that did not close it) is not read.
    const std::string& openNote() const { return openNote_; }
    // PRAGMA integrity_check: {"ok"} or one line per problem.
    std::vector<std::string> integrityCheck() const;
    // A consistent copy of the whole project (models, versions, datasets, runs, metrics,
    // checkpoints, traced graphs) at `target`, which it replaces when it exists: SQLite's VACUUM
    // INTO a temporary file beside it, then a rename, so `target` is never half written. Throws
    // StorageError naming the target.
    void copyTo(const std::filesystem::path& target) const;

    // ---- models and versions
    std::vector<ModelInfo> models() const;
    std::optional<ModelInfo> findModel(const std::string& name) const;
    // The model named `name`, or the only model when `name` is empty; throws StorageError listing
    // the models otherwise.
    ModelInfo model(const std::string& name) const;
    std::vector<ModelVersion> versions(int64_t modelId) const; // oldest first
    ModelVersion version(int64_t versionId) const;             // throws StorageError when absent
    std::optional<ModelVersion> latestVersion(int64_t modelId) const;
    // A new version (creating the model when new), one transaction.
    ModelVersion saveVersion(const std::string& modelName, const ModelSpec& spec,
                             const nlohmann::json& layout = nlohmann::json::object(), const std::string& note = {});
    // Replaces a version's canvas layout (moving nodes does not make a new version).
    void setLayout(int64_t versionId, const nlohmann::json& layout);
    // The latest version when its spec is the same as `spec` (layout aside), else a new version.
    ModelVersion ensureVersion(const std::string& modelName, const ModelSpec& spec,
                               const nlohmann::json& layout = nlohmann::json::object());

    // ---- datasets
    DatasetInfo addBuiltinDataset(const std::string& name, const std::string& contentSha256, int64_t size);
    DatasetInfo addDatasetBytes(const std::string& name, std::span<const std::byte> bytes);
    // Stores the file's bytes when it is at most `inlineLimit` bytes, else its path, size and SHA-256.
    DatasetInfo addDatasetFile(const std::string& name, const std::filesystem::path& file,
                               int64_t inlineLimit = kInlineDatasetBytes);
    // A folder of files (an image folder), by its absolute path and the hash of its file listing.
    DatasetInfo addDatasetFolder(const std::string& name, const std::filesystem::path& folder, const std::string& listingSha256);
    std::vector<DatasetInfo> datasets() const;
    std::vector<std::byte> datasetBytes(int64_t datasetId) const; // empty for builtin and file datasets

    // ---- runs and metrics
    int64_t beginRun(const NewRun& run);
    RunInfo run(int64_t runId) const;
    std::vector<RunInfo> runs(std::optional<int64_t> modelId = std::nullopt) const; // oldest first
    std::optional<RunInfo> latestRun(int64_t modelId) const;
    // Sets the status (ended_at is set for every status but "running", cleared for "running") and
    // merges `result` into the run's result object; `hyperparameters`, when given, replace the old.
    void updateRun(int64_t runId, const std::string& status, const nlohmann::json& result = nlohmann::json::object(),
                   const nlohmann::json* hyperparameters = nullptr);
    // Inserts (or replaces) the points in one transaction.
    void addMetrics(int64_t runId, std::span<const Metric> metrics);
    std::vector<Metric> metrics(int64_t runId, const std::string& scope) const;
    // The person's note and tags on a run (ProjectRunExtras.cpp). Throws StorageError naming the
    // run when it is absent, and naming the file when it is read-only or of schema version 1.
    void setRunNote(int64_t runId, const std::string& note);
    void setRunTags(int64_t runId, const std::vector<std::string>& tags);
    // Inserts (or replaces) histograms of a run in one transaction.
    void addHistograms(int64_t runId, std::span<const VariableHistogram> histograms);
    // A run's histograms, by key, kind and epoch; only `key`'s when given. Empty for schema 1.
    std::vector<VariableHistogram> histograms(int64_t runId, const std::optional<std::string>& key = std::nullopt) const;
    // The keys a run has histograms for, sorted.
    std::vector<std::string> histogramKeys(int64_t runId) const;

    // ---- traced graphs (one per model version and signature; a second save of the same is ignored)
    void saveTracedGraph(int64_t versionId, const std::string& signature, const nlohmann::json& graph);
    std::vector<TracedGraphRecord> tracedGraphs(int64_t versionId) const;

private:
    Project(std::unique_ptr<Database> db, int schemaVersion);
    // Runs left "running" by a process of this machine that is gone become "failed", saying so.
    void markInterruptedRuns();
    std::unique_ptr<Database> db_;
    std::unique_ptr<WalCheckpointer> logCopier_; // declared after db_: stopped before the connection closes
    int schemaVersion_ = 0;
    std::string openNote_;
};

// The current time in UTC, ISO 8601 with milliseconds: "2025-01-31T12:00:00.123Z".
std::string utcNow();

} // namespace strata::storage
