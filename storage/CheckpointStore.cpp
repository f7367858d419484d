#include "storage/CheckpointStore.h"

#include "engine/JsonDepth.h"

#include "storage/Crc32c.h"
#include "storage/Schema.h"

#include <sqlite3.h>

#include <algorithm>
#include <bit>
#include <cstring>

namespace strata::storage {

static_assert(std::endian::native == std::endian::little, "tensor bytes are stored little-endian, as in memory");

namespace {

constexpr const char* kCheckpointColumns =
    "SELECT c.id, c.model_version_id, c.run_id, m.name, v.version, c.step, c.epochs_done, c.batches_done, c.metrics, "
    "c.keep, c.created_at, (SELECT count(*) FROM checkpoint_variables WHERE checkpoint_id = c.id), "
    "(SELECT coalesce(sum(num_bytes), 0) FROM checkpoint_variables WHERE checkpoint_id = c.id) "
    "FROM checkpoints c JOIN model_versions v ON v.id = c.model_version_id JOIN models m ON m.id = v.model_id "
    "WHERE (?1 IS NULL OR v.model_id = ?1) AND (?2 IS NULL OR c.model_version_id = ?2) AND (?3 IS NULL OR c.run_id = ?3) ";

CheckpointInfo readInfo(const Database& db, const Statement& s) {
    CheckpointInfo c;
    c.id = s.columnInt(0);
    c.modelVersionId = s.columnInt(1);
    if (!s.isNull(2)) c.runId = s.columnInt(2);
    c.modelName = s.columnText(3);
    c.modelVersion = int(s.columnInt(4));
    c.step = s.columnInt(5);
    c.epochsDone = int(s.columnInt(6));
    c.batchesDone = s.columnInt(7);
    try {
        const std::string metrics = s.columnText(8);
        if (const std::string deep = jsonDepthProblem(metrics); !deep.empty())
            throw StorageError(db.fileName() + " is corrupted: the metrics of checkpoint " + std::to_string(c.id) + " are " + deep);
        c.metrics = nlohmann::json::parse(metrics);
    } catch (const nlohmann::json::exception&) {
        throw StorageError(db.fileName() + " is corrupted: the metrics of checkpoint " + std::to_string(c.id) + " are not JSON");
    }
    c.keep = s.columnInt(9) != 0;
    c.createdAt = s.columnText(10);
    c.variableCount = s.columnInt(11);
    c.totalBytes = s.columnInt(12);
    return c;
}

void bindFilter(Statement& s, const CheckpointFilter& f) {
    s.bindOptionalInt(1, f.modelId).bindOptionalInt(2, f.modelVersionId).bindOptionalInt(3, f.runId);
}

std::string where(const Project& p, int64_t checkpointId) {
    return "checkpoint " + std::to_string(checkpointId) + " of " + p.path().string();
}

// Reads one blob cell into `dst` (the incremental blob API reads overflow pages straight into the
// caller's buffer when they are not in the page cache or the log).
int64_t readBlob(Database& db, const char* table, const char* column, int64_t rowid, std::byte* dst, int64_t room,
                 const std::string& what) {
    sqlite3_blob* blob = nullptr;
    int rc = sqlite3_blob_open(db.handle(), "main", table, column, rowid, 0, &blob);
    if (rc != SQLITE_OK) {
        sqlite3_blob_close(blob);
        db.fail(rc, what);
    }
    const int64_t n = sqlite3_blob_bytes(blob);
    if (n > room) {
        sqlite3_blob_close(blob);
        throw StorageError(db.fileName() + " is corrupted: " + what + " found more bytes than its shape holds");
    }
    rc = n ? sqlite3_blob_read(blob, dst, int(n), 0) : SQLITE_OK;
    sqlite3_blob_close(blob);
    if (rc != SQLITE_OK) db.fail(rc, what);
    return n;
}

} // namespace

// ---- writer

CheckpointWriter::CheckpointWriter(Project& project, CheckpointMeta meta) : project_(project), meta_(std::move(meta)) {
    Database& db = project_.database();
    transaction_ = std::make_unique<Transaction>(db);
    Statement s(db, "INSERT INTO checkpoints(model_version_id, run_id, step, epochs_done, batches_done, metrics, keep, created_at) "
                    "VALUES(?, ?, ?, ?, ?, ?, ?, ?)", "starting a checkpoint");
    const std::string metrics = meta_.metrics.is_object() ? meta_.metrics.dump() : "{}", now = utcNow();
    s.bindInt(1, meta_.modelVersionId).bindOptionalInt(2, meta_.runId).bindInt(3, meta_.step).bindInt(4, meta_.epochsDone);
    s.bindInt(5, meta_.batchesDone).bindText(6, metrics).bindInt(7, meta_.keep ? 1 : 0).bindText(8, now).run();
    id_ = db.lastInsertId();
    insertVariable_ = std::make_unique<Statement>(
        db, "INSERT INTO checkpoint_variables(checkpoint_id, key, dtype, shape, num_bytes, crc32c, value) VALUES(?, ?, ?, ?, ?, ?, ?)",
        "writing a checkpoint variable");
    insertChunk_ = std::make_unique<Statement>(db, "INSERT INTO checkpoint_chunks(variable_id, chunk, data) VALUES(?, ?, ?)",
                                               "writing a checkpoint variable");
}

CheckpointWriter::~CheckpointWriter() {
    insertVariable_.reset();
    insertChunk_.reset();
    transaction_.reset(); // rolls back unless committed
}

void CheckpointWriter::add(const std::string& key, const Tensor& value) {
    if (!transaction_) throw StorageError("checkpoint " + std::to_string(id_) + " was already committed");
    Database& db = project_.database();
    {
        Statement dup(db, "SELECT count(*) FROM checkpoint_variables WHERE checkpoint_id = ? AND key = ?", "writing a checkpoint");
        dup.bindInt(1, id_).bindText(2, key);
        if (dup.step() && dup.columnInt(0) > 0)
            throw StorageError("checkpoint " + std::to_string(id_) + ": variable '" + key + "' was added twice");
    }
    const auto* bytes = value.bytes();
    const int64_t n = int64_t(value.byteSize());
    const uint32_t crc = crc32c(bytes, std::size_t(n));
    const std::string shape = value.shape().toJson().dump();
    const int64_t first = std::min(n, kChunkBytes);
    Statement& v = *insertVariable_;
    v.reset();
    v.bindInt(1, id_).bindText(2, key).bindText(3, dtypeName(value.dtype())).bindText(4, shape).bindInt(5, n);
    v.bindInt(6, int64_t(crc)).bindBlob(7, bytes, std::size_t(first)).run();
    const int64_t variableId = db.lastInsertId();
    int64_t chunk = 1;
    for (int64_t offset = first; offset < n; offset += kChunkBytes, ++chunk) {
        Statement& c = *insertChunk_;
        c.reset();
        c.bindInt(1, variableId).bindInt(2, chunk).bindBlob(3, bytes + offset, std::size_t(std::min(kChunkBytes, n - offset))).run();
    }
}

void CheckpointWriter::addModel(const Model& model) {
    for (const Variable* v : model.variables()) add(v->checkpointKey(), v->value());
}

void CheckpointWriter::addBackend(const ir::Backend& backend) {
    std::vector<std::string> paths = backend.variablePaths();
    std::sort(paths.begin(), paths.end());
    for (const auto& path : paths) add(keyOfPath(path), backend.getVariable(path));
}

int64_t CheckpointWriter::commit() {
    if (!transaction_) throw StorageError("checkpoint " + std::to_string(id_) + " was already committed");
    Database& db = project_.database();
    int32_t counter = 1;
    {
        Statement prev(db, "SELECT cv.value FROM checkpoint_variables cv JOIN checkpoints c ON c.id = cv.checkpoint_id "
                           "WHERE cv.key = ?1 AND c.id <> ?2 AND (CASE WHEN ?3 IS NULL THEN c.run_id IS NULL AND "
                           "c.model_version_id = ?4 ELSE c.run_id = ?3 END) ORDER BY c.id DESC LIMIT 1",
                       "numbering a checkpoint");
        prev.bindText(1, kSaveCounterKey).bindInt(2, id_).bindOptionalInt(3, meta_.runId).bindInt(4, meta_.modelVersionId);
        if (prev.step()) {
            auto b = prev.columnBlob(0);
            if (b.size() == 4) std::memcpy(&counter, b.data(), 4), ++counter;
        }
    }
    bool hasCounter = false;
    {
        Statement has(db, "SELECT count(*) FROM checkpoint_variables WHERE checkpoint_id = ? AND key = ?", "writing a checkpoint");
        has.bindInt(1, id_).bindText(2, kSaveCounterKey);
        hasCounter = has.step() && has.columnInt(0) > 0;
    } // no statement may be open at COMMIT: an open read would hold back the WAL checkpoint
    if (!hasCounter) add(kSaveCounterKey, Tensor::fromVector(Shape{}, std::vector<int32_t>{counter}));
    insertVariable_.reset();
    insertChunk_.reset();
    transaction_->commit();
    transaction_.reset();
    return id_;
}

// ---- store

std::vector<CheckpointInfo> CheckpointStore::list(const CheckpointFilter& filter) const {
    Statement s(project_.database(), std::string(kCheckpointColumns) + "ORDER BY c.id", "listing checkpoints");
    bindFilter(s, filter);
    std::vector<CheckpointInfo> out;
    while (s.step()) out.push_back(readInfo(project_.database(), s));
    return out;
}

std::optional<CheckpointInfo> CheckpointStore::latest(const CheckpointFilter& filter) const {
    Statement s(project_.database(), std::string(kCheckpointColumns) + "ORDER BY c.id DESC LIMIT 1", "finding the latest checkpoint");
    bindFilter(s, filter);
    if (!s.step()) return std::nullopt;
    return readInfo(project_.database(), s);
}

CheckpointInfo CheckpointStore::get(int64_t checkpointId) const {
    Statement s(project_.database(), std::string(kCheckpointColumns) + "AND c.id = ?4", "reading a checkpoint");
    bindFilter(s, {});
    s.bindInt(4, checkpointId);
    if (!s.step()) throw StorageError(project_.path().string() + ": no checkpoint with id " + std::to_string(checkpointId));
    return readInfo(project_.database(), s);
}

namespace {
std::vector<std::pair<int64_t, VariableEntry>> readEntries(const Project& project, int64_t checkpointId) {
    Statement s(project.database(), "SELECT id, key, dtype, shape, num_bytes, crc32c FROM checkpoint_variables "
                                    "WHERE checkpoint_id = ? ORDER BY key", "listing checkpoint variables");
    s.bindInt(1, checkpointId);
    std::vector<std::pair<int64_t, VariableEntry>> out;
    while (s.step()) {
        VariableEntry e;
        e.key = s.columnText(1);
        const std::string context = where(project, checkpointId) + ": variable '" + e.key + "'";
        try {
            e.dtype = parseDType(s.columnText(2));
            const std::string shape = s.columnText(3);
            if (const std::string deep = jsonDepthProblem(shape); !deep.empty()) throw StorageError(deep);
            e.shape = Shape::fromJson(nlohmann::json::parse(shape));
        } catch (const std::exception& ex) {
            throw StorageError(context + " has an unreadable dtype or shape (" + ex.what() + ")");
        }
        e.numBytes = s.columnInt(4);
        e.crc32c = uint32_t(s.columnInt(5));
        out.emplace_back(s.columnInt(0), std::move(e));
    }
    return out;
}
} // namespace

std::vector<VariableEntry> CheckpointStore::variables(int64_t checkpointId) const {
    get(checkpointId);
    std::vector<VariableEntry> out;
    for (auto& [id, e] : readEntries(project_, checkpointId)) out.push_back(std::move(e));
    return out;
}

void CheckpointStore::remove(int64_t checkpointId) const {
    Transaction t(project_.database());
    Statement s(project_.database(), "DELETE FROM checkpoints WHERE id = ?", "deleting a checkpoint");
    s.bindInt(1, checkpointId).run();
    t.commit();
}

void CheckpointStore::mergeMetrics(int64_t checkpointId, const nlohmann::json& metrics) const {
    Transaction t(project_.database());
    Statement s(project_.database(), "UPDATE checkpoints SET metrics = json_patch(metrics, ?) WHERE id = ?", "updating checkpoint metrics");
    const std::string text = metrics.dump();
    s.bindText(1, text).bindInt(2, checkpointId).run();
    t.commit();
}

// ---- reader

CheckpointReader::CheckpointReader(const Project& project, int64_t checkpointId)
    : project_(project), info_(CheckpointStore(project).get(checkpointId)) {
    for (auto& [id, e] : readEntries(project, checkpointId)) {
        rowIds_.push_back(id);
        entries_.push_back(std::move(e));
    }
}

std::string CheckpointReader::description() const { return where(project_, info_.id); }

Tensor CheckpointReader::read(const VariableEntry& entry) const {
    auto it = std::find_if(entries_.begin(), entries_.end(), [&](const VariableEntry& e) { return e.key == entry.key; });
    if (it == entries_.end()) throw StorageError(description() + " has no variable '" + entry.key + "'");
    const VariableEntry& e = *it;
    const int64_t rowId = rowIds_[std::size_t(it - entries_.begin())];
    checkStoredShape(e, description());

    Database& db = project_.database();
    const std::string what = "reading variable '" + e.key + "' of " + description();
    // The bytes stored, before the tensor is allocated: a row whose shape claims 1G elements over
    // an 8 KB blob is refused here instead of allocating 4 GB (issue 19).
    Statement stored(db, "SELECT length(value) + coalesce((SELECT sum(length(data)) FROM checkpoint_chunks WHERE variable_id = ?1), 0) "
                         "FROM checkpoint_variables WHERE rowid = ?1", what);
    stored.bindInt(1, rowId);
    const int64_t storedBytes = stored.step() ? stored.columnInt(0) : 0;
    if (storedBytes != e.numBytes)
        throw StorageError(db.fileName() + " is corrupted: variable '" + e.key + "' of " + description() + " has " +
                           std::to_string(storedBytes) + " bytes stored, its shape needs " + std::to_string(e.numBytes));

    Tensor t(e.shape, e.dtype);
    std::byte* dst = t.bytes();
    int64_t offset = readBlob(db, "checkpoint_variables", "value", rowId, dst, e.numBytes, what);
    Statement chunks(db, "SELECT rowid, chunk FROM checkpoint_chunks WHERE variable_id = ? ORDER BY chunk", what);
    chunks.bindInt(1, rowId);
    for (int64_t expected = 1; chunks.step(); ++expected) {
        if (chunks.columnInt(1) != expected)
            throw StorageError(db.fileName() + " is corrupted: piece " + std::to_string(expected) + " of variable '" + e.key +
                               "' in " + description() + " is missing");
        offset += readBlob(db, "checkpoint_chunks", "data", chunks.columnInt(0), dst + offset, e.numBytes - offset, what);
    }
    if (offset != e.numBytes)
        throw StorageError(db.fileName() + " is corrupted: variable '" + e.key + "' of " + description() + " has " +
                           std::to_string(offset) + " bytes stored, its shape needs " + std::to_string(e.numBytes));
    const uint32_t crc = crc32c(dst, std::size_t(e.numBytes));
    if (crc != e.crc32c) {
        char buf[80];
        std::snprintf(buf, sizeof buf, " (stored crc32c %08x, computed %08x)", e.crc32c, crc);
        throw StorageError(db.fileName() + " is corrupted: variable '" + e.key + "' of " + description() +
                           " fails its checksum" + buf);
    }
    return t;
}

} // namespace strata::storage
