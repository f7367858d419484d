#include "storage/Project.h"
#include "engine/InputFiles.h"

#include "engine/JsonDepth.h"
#include "engine/MemoryBudget.h"

#include "storage/RunOwner.h"
#include "storage/Schema.h"
#include "storage/Sha256.h"

#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <fstream>
#include <limits>
#include <sstream>

#include <signal.h>
#include <sys/statvfs.h>
#include <unistd.h>

namespace strata::storage {

namespace fs = std::filesystem;

std::string utcNow() {
    using namespace std::chrono;
    const auto now = system_clock::now();
    const std::time_t t = system_clock::to_time_t(now);
    const auto ms = duration_cast<milliseconds>(now.time_since_epoch()).count() % 1000;
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[96];
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                  tm.tm_hour, tm.tm_min, tm.tm_sec, int(ms));
    return buf;
}

namespace {

std::string hex32(int64_t v) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "0x%08X", uint32_t(v));
    return buf;
}

nlohmann::json parseJsonColumn(const Database& db, const std::string& text, const std::string& what) {
    if (const std::string deep = jsonDepthProblem(text); !deep.empty())
        throw StorageError(db.fileName() + " is corrupted: " + what + " is " + deep);
    try {
        return text.empty() ? nlohmann::json::object() : nlohmann::json::parse(text);
    } catch (const nlohmann::json::exception& e) {
        throw StorageError(db.fileName() + " is corrupted: " + what + " is not valid JSON (" + e.what() + ")");
    }
}

} // namespace

Project::Project(std::unique_ptr<Database> db, int schemaVersion) : db_(std::move(db)), schemaVersion_(schemaVersion) {
    if (!db_->readOnly()) logCopier_ = std::make_unique<WalCheckpointer>(*db_, kLogCopyPages);
}

void Project::waitForLogCopy() {
    if (logCopier_) logCopier_->waitIdle();
}
Project::Project(Project&&) noexcept = default;
Project& Project::operator=(Project&&) noexcept = default;
Project::~Project() = default;

const fs::path& Project::path() const { return db_->file(); }

void Project::copyTo(const fs::path& target) const {
    std::error_code ec;
    if (fs::exists(target, ec) && fs::equivalent(target, path(), ec))
        throw StorageError(target.string() + " is this project's own file; choose another name to copy it to");
    const fs::path tmp = target.parent_path() / (target.filename().string() + ".copying");
    fs::remove(tmp, ec);
    try {
        const std::string into = tmp.string(); // bound without copying: outlives step()
        Statement s(*db_, "VACUUM INTO ?1", "copy the project");
        s.bindText(1, into);
        s.step();
    } catch (const StorageError& e) {
        fs::remove(tmp, ec);
        throw StorageError("cannot copy " + path().string() + " to " + target.string() + ": " + e.what());
    }
    fs::rename(tmp, target, ec);
    if (ec) {
        fs::remove(tmp, ec);
        throw StorageError("cannot write " + target.string() + ": " + ec.message());
    }
}

Project Project::open(const fs::path& file, OpenMode mode) {
    std::error_code ec;
    const bool exists = fs::exists(file, ec);
    if (exists && fs::is_directory(file, ec))
        throw StorageError(file.string() + " is a folder, not a Strata project file");
    if (exists && !fs::is_regular_file(file, ec)) // a FIFO would block the header check forever
        throw StorageError(inputFileProblem(file, UINT64_MAX));
    if (!exists && mode != OpenMode::Create) throw StorageError(file.string() + ": no such project file");
    if (exists) checkFileHeader(file);

    // A project this user cannot write is read without SQLite's shared-memory file (which it
    // could not create): immutable, no locks. Only for ReadOnly; a writer is told why it cannot.
    // The same when SQLite cannot make that file for another reason (a full disk).
    std::string whyNotWritable, note;
    auto immutableNote = [&](const std::string& why) {
        note = file.string() + " is opened read-only without locks: " + why;
        const fs::path wal = file.string() + "-wal";
        if (fs::file_size(wal, ec) > 0 && !ec)
            note += "; its write-ahead log " + wal.string() + " (" + std::to_string(fs::file_size(wal, ec)) +
                    " bytes: the last commits of a writer that did not close the project) is not read";
    };
    bool immutable = exists && mode == OpenMode::ReadOnly && !writable(file, &whyNotWritable);
    if (immutable) immutableNote(whyNotWritable);
    else if (exists && mode != OpenMode::ReadOnly && !writable(file, &whyNotWritable))
        throw StorageError(file.string() + " cannot be written: " + whyNotWritable +
                           " (it can still be inspected, exported and used for predict, which only read it)");
    auto db = std::make_unique<Database>(file, mode == OpenMode::ReadOnly, mode == OpenMode::Create, immutable);
    // These reads are the first to touch the file: a damaged header fails here, by name.
    int64_t appId = 0;
    try {
        appId = db->queryInt("PRAGMA application_id", "reading the project header");
    } catch (const StorageError& e) {
        if (!exists || mode != OpenMode::ReadOnly || immutable) throw;
        db = std::make_unique<Database>(file, true, false, true);
        try {
            appId = db->queryInt("PRAGMA application_id", "reading the project header");
        } catch (const StorageError&) {
            throw e; // damaged: the first reason is the one to give
        }
        immutable = true;
        immutableNote(std::string("SQLite could not open it normally (") + e.what() + ")");
    }
    int64_t version = db->queryInt("PRAGMA user_version", "reading the project header");
    const int64_t objects = db->queryInt("SELECT count(*) FROM sqlite_schema", "reading the schema");

    if (appId == 0 && version == 0 && objects == 0) { // a new file, or one whose creation was interrupted
        if (mode != OpenMode::Create)
            throw StorageError(file.string() + " is an empty database, not a Strata project");
        db->exec("PRAGMA page_size = " + std::to_string(kPageSize), "setting the page size");
        db->exec("PRAGMA journal_mode = WAL", "turning on write-ahead logging");
        createOrMigrate(*db, 0);
        version = kSchemaVersion;
    } else {
        if (appId != kApplicationId)
            throw StorageError(file.string() + (appId == 0 ? " is an SQLite database but not a Strata project (no Strata application id)"
                                                           : " is not a Strata project (application id " + hex32(appId) +
                                                                 " belongs to another program)"));
        if (version > kSchemaVersion)
            throw StorageError(file.string() + " was written by a newer Strata (project schema version " +
                               std::to_string(version) + "; this Strata reads versions up to " +
                               std::to_string(kSchemaVersion) + "). Update Strata to open it.");
        if (version < 1) throw StorageError(file.string() + " is corrupted: it has the Strata application id but no schema version");
        // Read-only, an older file is read as it is: what a later version added (run notes and
        // tags, variable histograms) reads as empty.
        if (version < kSchemaVersion && mode != OpenMode::ReadOnly) {
            createOrMigrate(*db, int(version));
            version = kSchemaVersion;
        }
        if (mode != OpenMode::ReadOnly) db->exec("PRAGMA journal_mode = WAL", "turning on write-ahead logging");
    }
    db->exec("PRAGMA foreign_keys = ON", "turning on foreign keys");
    // WAL + NORMAL: a commit is atomic and survives a crash of the program at any point (the
    // crash test kills the writer mid-save); after a power cut the last commits may be lost but the
    // file stays consistent. FULL would add an fsync per commit (per checkpoint step) for that.
    db->exec("PRAGMA synchronous = NORMAL", "setting the sync mode");
    // A large checkpoint passes through the write-ahead log; once it is copied into the file,
    // the log is cut back to this size instead of keeping the checkpoint's size on disk.
    db->exec("PRAGMA journal_size_limit = " + std::to_string(int64_t(32) << 20), "limiting the log size");
    checkTables(*db, int(version));
    Project p(std::move(db), int(version));
    if (mode != OpenMode::ReadOnly) p.markInterruptedRuns();
    p.openNote_ = std::move(note);
    return p;
}

void Project::checkFreeSpace(int64_t bytes, const std::string& what) const {
    const fs::path folder = path().has_parent_path() ? path().parent_path() : fs::path(".");
    struct statvfs v {};
    if (::statvfs(folder.c_str(), &v) != 0) return; // not knowable here: the writes will say
    const double free = double(v.f_bavail) * double(v.f_frsize);
    if (free < double(bytes))
        throw StorageError(path().string() + ": its disk has only " + readableBytes(free) + " free; " + what + " needs about " +
                           readableBytes(double(bytes)) + ". Free some space, or record in a project on another disk.");
}

bool Project::writable(const fs::path& file, std::string* why) {
    auto no = [&](const std::string& reason) {
        if (why) *why = reason;
        return false;
    };
    const fs::path folder = file.has_parent_path() ? file.parent_path() : fs::path(".");
    if (::access(file.c_str(), W_OK) != 0)
        return no(errno == EROFS ? "it is on a read-only file system" : "the file is not writable by this user (" +
                                                                          std::string(std::strerror(errno)) + ")");
    if (::access(folder.c_str(), W_OK) != 0)
        return no(errno == EROFS ? "it is on a read-only file system"
                                 : "its folder " + folder.string() +
                                       " is not writable by this user, and the write-ahead log must be made there");
    return true;
}

std::vector<std::string> Project::integrityCheck() const {
    Statement s(*db_, "PRAGMA integrity_check", "checking integrity");
    std::vector<std::string> out;
    while (s.step()) out.push_back(s.columnText(0));
    return out;
}

// ---- models and versions

namespace {
constexpr const char* kModelColumns =
    "SELECT m.id, m.name, m.created_at, count(v.id), coalesce(max(v.version), 0), "
    "(SELECT id FROM model_versions WHERE model_id = m.id ORDER BY version DESC LIMIT 1) "
    "FROM models m LEFT JOIN model_versions v ON v.model_id = m.id ";

ModelInfo readModel(const Statement& s) {
    ModelInfo m;
    m.id = s.columnInt(0);
    m.name = s.columnText(1);
    m.createdAt = s.columnText(2);
    m.versionCount = int(s.columnInt(3));
    m.latestVersion = int(s.columnInt(4));
    m.latestVersionId = s.columnInt(5);
    return m;
}

constexpr const char* kVersionColumns =
    "SELECT v.id, v.model_id, m.name, v.version, v.spec, v.layout, v.note, v.created_at, v.spec_sha256 "
    "FROM model_versions v JOIN models m ON m.id = v.model_id ";

ModelVersion readVersion(const Database& db, const Statement& s) {
    ModelVersion v;
    v.id = s.columnInt(0);
    v.modelId = s.columnInt(1);
    v.modelName = s.columnText(2);
    v.version = int(s.columnInt(3));
    const std::string where = "model '" + v.modelName + "' version " + std::to_string(v.version);
    v.spec = ModelSpec::parse(s.columnText(4), db.fileName() + ": " + where);
    v.layout = parseJsonColumn(db, s.columnText(5), "the canvas layout of " + where);
    v.note = s.columnText(6);
    v.createdAt = s.columnText(7);
    v.specSha256 = s.columnText(8);
    return v;
}
} // namespace

std::vector<ModelInfo> Project::models() const {
    Statement s(*db_, std::string(kModelColumns) + "GROUP BY m.id ORDER BY m.name", "listing models");
    std::vector<ModelInfo> out;
    while (s.step()) out.push_back(readModel(s));
    return out;
}

std::optional<ModelInfo> Project::findModel(const std::string& name) const {
    Statement s(*db_, std::string(kModelColumns) + "WHERE m.name = ? GROUP BY m.id", "finding a model");
    s.bindText(1, name);
    if (!s.step()) return std::nullopt;
    return readModel(s);
}

ModelInfo Project::model(const std::string& name) const {
    if (!name.empty()) {
        if (auto m = findModel(name)) return *m;
    }
    const auto all = models();
    if (name.empty() && all.size() == 1) return all[0];
    std::string names;
    for (const auto& m : all) names += (names.empty() ? "" : ", ") + m.name;
    if (name.empty())
        throw StorageError(path().string() + (all.empty() ? " holds no model yet" : " holds several models (" + names + "); name one with --model"));
    throw StorageError(path().string() + " has no model named '" + name + "'" + (all.empty() ? " (it holds none)" : " (it holds: " + names + ")"));
}

std::vector<ModelVersion> Project::versions(int64_t modelId) const {
    Statement s(*db_, std::string(kVersionColumns) + "WHERE v.model_id = ? ORDER BY v.version", "listing model versions");
    s.bindInt(1, modelId);
    std::vector<ModelVersion> out;
    while (s.step()) out.push_back(readVersion(*db_, s));
    return out;
}

ModelVersion Project::version(int64_t versionId) const {
    Statement s(*db_, std::string(kVersionColumns) + "WHERE v.id = ?", "reading a model version");
    s.bindInt(1, versionId);
    if (!s.step()) throw StorageError(path().string() + ": no model version with id " + std::to_string(versionId));
    return readVersion(*db_, s);
}

std::optional<ModelVersion> Project::latestVersion(int64_t modelId) const {
    Statement s(*db_, std::string(kVersionColumns) + "WHERE v.model_id = ? ORDER BY v.version DESC LIMIT 1",
                "reading the latest model version");
    s.bindInt(1, modelId);
    if (!s.step()) return std::nullopt;
    return readVersion(*db_, s);
}

ModelVersion Project::saveVersion(const std::string& modelName, const ModelSpec& spec, const nlohmann::json& layout,
                                  const std::string& note) {
    if (modelName.empty()) throw StorageError(path().string() + ": a model needs a name to be saved");
    const std::string specText = spec.toJson().dump();
    const std::string layoutText = (layout.is_null() ? nlohmann::json::object() : layout).dump();
    const std::string now = utcNow();
    Transaction t(*db_);
    {
        Statement ins(*db_, "INSERT OR IGNORE INTO models(name, created_at) VALUES(?, ?)", "adding a model");
        ins.bindText(1, modelName).bindText(2, now).run();
    }
    Statement next(*db_, "SELECT m.id, coalesce(max(v.version), 0) + 1 FROM models m LEFT JOIN model_versions v "
                         "ON v.model_id = m.id WHERE m.name = ? GROUP BY m.id", "numbering a model version");
    next.bindText(1, modelName);
    next.step();
    const int64_t modelId = next.columnInt(0);
    const int64_t number = next.columnInt(1);
    const std::string sha = Sha256::hex(specText);
    Statement ins(*db_, "INSERT INTO model_versions(model_id, version, spec, spec_sha256, layout, note, created_at) "
                        "VALUES(?, ?, ?, ?, ?, ?, ?)", "saving a model version");
    ins.bindInt(1, modelId).bindInt(2, number).bindText(3, specText).bindText(4, sha).bindText(5, layoutText);
    ins.bindText(6, note).bindText(7, now).run();
    const int64_t id = db_->lastInsertId();
    t.commit();
    return version(id);
}

void Project::setLayout(int64_t versionId, const nlohmann::json& layout) {
    Transaction t(*db_);
    Statement s(*db_, "UPDATE model_versions SET layout = ? WHERE id = ?", "saving a canvas layout");
    const std::string text = (layout.is_null() ? nlohmann::json::object() : layout).dump();
    s.bindText(1, text).bindInt(2, versionId).run();
    if (db_->changes() != 1) throw StorageError(path().string() + ": no model version with id " + std::to_string(versionId));
    t.commit();
}

ModelVersion Project::ensureVersion(const std::string& modelName, const ModelSpec& spec, const nlohmann::json& layout) {
    if (auto m = findModel(modelName)) {
        if (auto latest = latestVersion(m->id); latest && latest->specSha256 == Sha256::hex(spec.toJson().dump()))
            return *latest;
    }
    return saveVersion(modelName, spec, layout);
}

// ---- datasets

namespace {
constexpr const char* kDatasetColumns = "SELECT id, name, source, coalesce(path, ''), size, sha256, created_at FROM datasets ";

DatasetInfo readDataset(const Statement& s) {
    return {s.columnInt(0), s.columnText(1), s.columnText(2), s.columnText(3), s.columnInt(4), s.columnText(5), s.columnText(6)};
}

DatasetInfo addDataset(Database& db, const std::string& name, const std::string& source, const std::string& path,
                       int64_t size, const std::string& sha, std::span<const std::byte> bytes) {
    Transaction t(db);
    Statement ins(db, "INSERT OR IGNORE INTO datasets(name, source, path, size, sha256, created_at, bytes) VALUES(?, ?, ?, ?, ?, ?, ?)",
                  "adding a dataset");
    ins.bindText(1, name).bindText(2, source).bindInt(4, size).bindText(5, sha).bindText(6, utcNow());
    if (path.empty()) ins.bindNull(3);
    else ins.bindText(3, path);
    if (source == "bytes") ins.bindBlob(7, bytes.data(), bytes.size());
    else ins.bindNull(7);
    ins.run();
    Statement sel(db, std::string(kDatasetColumns) + "WHERE name = ? AND source = ? AND sha256 = ?", "reading a dataset");
    sel.bindText(1, name).bindText(2, source).bindText(3, sha);
    sel.step();
    DatasetInfo info = readDataset(sel);
    t.commit();
    return info;
}
} // namespace

DatasetInfo Project::addBuiltinDataset(const std::string& name, const std::string& contentSha256, int64_t size) {
    return addDataset(*db_, name, "builtin", {}, size, contentSha256, {});
}

DatasetInfo Project::addDatasetBytes(const std::string& name, std::span<const std::byte> bytes) {
    Sha256 h;
    h.update(bytes.data(), bytes.size());
    return addDataset(*db_, name, "bytes", {}, int64_t(bytes.size()), h.hexDigest(), bytes);
}

DatasetInfo Project::addDatasetFile(const std::string& name, const fs::path& file, int64_t inlineLimit) {
    if (const std::string why = inputFileProblem(file, kMaxDataFileBytes); !why.empty() && fs::exists(file)) throw StorageError(why);
    std::error_code ec;
    const auto size = fs::file_size(file, ec);
    if (ec) throw StorageError(file.string() + ": cannot be read (" + ec.message() + ")");
    if (int64_t(size) <= inlineLimit) {
        std::ifstream in(file, std::ios::binary);
        std::vector<std::byte> bytes(size);
        if (!in.read(reinterpret_cast<char*>(bytes.data()), std::streamsize(size)))
            throw StorageError(file.string() + ": read error");
        Sha256 h;
        h.update(bytes.data(), bytes.size());
        return addDataset(*db_, name, "bytes", fs::absolute(file).string(), int64_t(size), h.hexDigest(), bytes);
    }
    int64_t hashed = 0;
    const std::string sha = Sha256::hexOfFile(file, &hashed);
    return addDataset(*db_, name, "file", fs::absolute(file).string(), hashed, sha, {});
}

DatasetInfo Project::addDatasetFolder(const std::string& name, const fs::path& folder, const std::string& listingSha256) {
    return addDataset(*db_, name, "file", fs::absolute(folder).lexically_normal().string(), 0, listingSha256, {});
}

std::vector<DatasetInfo> Project::datasets() const {
    Statement s(*db_, std::string(kDatasetColumns) + "ORDER BY id", "listing datasets");
    std::vector<DatasetInfo> out;
    while (s.step()) out.push_back(readDataset(s));
    return out;
}

std::vector<std::byte> Project::datasetBytes(int64_t datasetId) const {
    Statement s(*db_, "SELECT bytes FROM datasets WHERE id = ?", "reading a dataset");
    s.bindInt(1, datasetId);
    if (!s.step()) throw StorageError(path().string() + ": no dataset with id " + std::to_string(datasetId));
    auto b = s.columnBlob(0);
    return {b.begin(), b.end()};
}

// ---- runs and metrics

namespace {
// Schema version 1 has no run notes and tags: they read as empty there.
std::string runColumns(int schemaVersion) {
    return std::string("SELECT r.id, r.model_version_id, r.dataset_id, m.name, v.version, coalesce(d.name, ''), r.hyperparameters, "
                       "r.seed, r.backend, r.started_at, coalesce(r.ended_at, ''), r.status, r.result, ") +
           (schemaVersion >= 2 ? "r.note, r.tags " : "'', '[]' ") +
           "FROM runs r JOIN model_versions v ON v.id = r.model_version_id JOIN models m ON m.id = v.model_id "
           "LEFT JOIN datasets d ON d.id = r.dataset_id ";
}

RunInfo readRun(const Database& db, const Statement& s) {
    RunInfo r;
    r.id = s.columnInt(0);
    r.modelVersionId = s.columnInt(1);
    if (!s.isNull(2)) r.datasetId = s.columnInt(2);
    r.modelName = s.columnText(3);
    r.modelVersion = int(s.columnInt(4));
    r.datasetName = s.columnText(5);
    r.hyperparameters = parseJsonColumn(db, s.columnText(6), "the hyper-parameters of run " + std::to_string(r.id));
    r.seed = uint64_t(s.columnInt(7));
    r.backend = s.columnText(8);
    r.startedAt = s.columnText(9);
    r.endedAt = s.columnText(10);
    r.status = s.columnText(11);
    r.result = parseJsonColumn(db, s.columnText(12), "the result of run " + std::to_string(r.id));
    r.note = s.columnText(13);
    const nlohmann::json tags = parseJsonColumn(db, s.columnText(14), "the tags of run " + std::to_string(r.id));
    if (tags.is_array())
        for (const auto& t : tags)
            if (t.is_string()) r.tags.push_back(t.get<std::string>());
    if (r.status == "running" && runOwnerIsGone(r.result)) { // what Project::open writes when it can
        r.status = "failed";
        r.result["message"] = interruptedRunMessage(r.result["owner"]);
        r.result.erase("owner");
    }
    return r;
}
} // namespace

int64_t Project::beginRun(const NewRun& run) {
    Transaction t(*db_);
    Statement s(*db_, "INSERT INTO runs(model_version_id, dataset_id, hyperparameters, seed, backend, started_at, status, "
                      "result) VALUES(?, ?, ?, ?, ?, ?, 'running', ?)", "starting a run");
    s.bindInt(1, run.modelVersionId).bindOptionalInt(2, run.datasetId);
    const std::string hp = run.hyperparameters.dump();
    s.bindText(3, hp).bindInt(4, int64_t(run.seed)).bindText(5, run.backend);
    const std::string now = utcNow(), result = nlohmann::json{{"owner", currentRunOwner()}}.dump();
    s.bindText(6, now).bindText(7, result).run();
    const int64_t id = db_->lastInsertId();
    t.commit();
    return id;
}

RunInfo Project::run(int64_t runId) const {
    Statement s(*db_, runColumns(schemaVersion_) + "WHERE r.id = ?", "reading a run");
    s.bindInt(1, runId);
    if (!s.step()) throw StorageError(path().string() + ": no run with id " + std::to_string(runId));
    return readRun(*db_, s);
}

std::vector<RunInfo> Project::runs(std::optional<int64_t> modelId) const {
    Statement s(*db_, runColumns(schemaVersion_) + "WHERE ?1 IS NULL OR v.model_id = ?1 ORDER BY r.id", "listing runs");
    s.bindOptionalInt(1, modelId);
    std::vector<RunInfo> out;
    while (s.step()) out.push_back(readRun(*db_, s));
    return out;
}

std::optional<RunInfo> Project::latestRun(int64_t modelId) const {
    Statement s(*db_, runColumns(schemaVersion_) + "WHERE v.model_id = ? ORDER BY r.id DESC LIMIT 1", "finding the latest run");
    s.bindInt(1, modelId);
    if (!s.step()) return std::nullopt;
    return readRun(*db_, s);
}

void Project::markInterruptedRuns() {
    std::vector<RunInfo> gone;
    {
        Statement s(*db_, runColumns(schemaVersion_) + "WHERE r.status = 'running'", "finding interrupted runs");
        while (s.step()) {
            RunInfo r = readRun(*db_, s);
            if (r.status == "failed") gone.push_back(std::move(r));
        }
    }
    for (const RunInfo& r : gone) {
        try {
            updateRun(r.id, "failed", {{"message", r.result["message"]}});
        } catch (const StorageError&) { // still no room: readers keep showing it as failed
        }
    }
}

void Project::updateRun(int64_t runId, const std::string& status, const nlohmann::json& result,
                        const nlohmann::json* hyperparameters) {
    Transaction t(*db_);
    Statement s(*db_, "UPDATE runs SET status = ?1, ended_at = CASE WHEN ?1 = 'running' THEN NULL ELSE ?2 END, "
                      "result = json_patch(result, ?3), hyperparameters = coalesce(?4, hyperparameters) WHERE id = ?5",
                "updating a run");
    nlohmann::json patch = result.is_object() ? result : nlohmann::json::object();
    patch["owner"] = status == "running" ? currentRunOwner() : nlohmann::json(nullptr); // null: json_patch removes it
    const std::string now = utcNow(), res = patch.dump(), hp = hyperparameters ? hyperparameters->dump() : std::string();
    s.bindText(1, status).bindText(2, now).bindText(3, res);
    if (hyperparameters) s.bindText(4, hp);
    else s.bindNull(4);
    s.bindInt(5, runId).run();
    if (db_->changes() != 1) throw StorageError(path().string() + ": no run with id " + std::to_string(runId));
    t.commit();
}

void Project::addMetrics(int64_t runId, std::span<const Metric> metrics) {
    if (metrics.empty()) return;
    Transaction t(*db_);
    Statement s(*db_, "INSERT OR REPLACE INTO metrics(run_id, scope, at, name, value) VALUES(?, ?, ?, ?, ?)", "writing metrics");
    for (const Metric& m : metrics) {
        s.reset();
        s.bindInt(1, runId).bindText(2, m.scope).bindInt(3, m.at).bindText(4, m.name);
        if (std::isfinite(m.value)) s.bindReal(5, m.value);
        else s.bindNull(5);
        s.run();
    }
    t.commit();
}

std::vector<Metric> Project::metrics(int64_t runId, const std::string& scope) const {
    Statement s(*db_, "SELECT scope, at, name, value FROM metrics WHERE run_id = ? AND scope = ? ORDER BY at, name", "reading metrics");
    s.bindInt(1, runId).bindText(2, scope);
    std::vector<Metric> out;
    while (s.step())
        out.push_back({s.columnText(0), s.columnInt(1), s.columnText(2),
                       s.isNull(3) ? std::numeric_limits<double>::quiet_NaN() : s.columnReal(3)});
    return out;
}

// ---- traced graphs

void Project::saveTracedGraph(int64_t versionId, const std::string& signature, const nlohmann::json& graph) {
    Transaction t(*db_);
    Statement s(*db_, "INSERT OR IGNORE INTO traced_graphs(model_version_id, signature, graph, created_at) VALUES(?, ?, ?, ?)",
                "saving a traced graph");
    const std::string text = graph.dump(), now = utcNow();
    s.bindInt(1, versionId).bindText(2, signature).bindText(3, text).bindText(4, now).run();
    t.commit();
}

std::vector<TracedGraphRecord> Project::tracedGraphs(int64_t versionId) const {
    Statement s(*db_, "SELECT signature, graph, created_at FROM traced_graphs WHERE model_version_id = ? ORDER BY id",
                "reading traced graphs");
    s.bindInt(1, versionId);
    std::vector<TracedGraphRecord> out;
    while (s.step())
        out.push_back({s.columnText(0), parseJsonColumn(*db_, s.columnText(1), "a traced graph"), s.columnText(2)});
    return out;
}

} // namespace strata::storage
