#include "storage/Schema.h"

#include "storage/Sqlite.h"

#include <array>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <functional>
#include <vector>

namespace strata::storage {

namespace {

constexpr const char* kVersion1 = R"sql(
CREATE TABLE models(
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  created_at TEXT NOT NULL
);
CREATE TABLE model_versions(
  id INTEGER PRIMARY KEY,
  model_id INTEGER NOT NULL REFERENCES models(id) ON DELETE CASCADE,
  version INTEGER NOT NULL,
  spec TEXT NOT NULL,
  spec_sha256 TEXT NOT NULL,
  layout TEXT NOT NULL DEFAULT '{}',
  note TEXT NOT NULL DEFAULT '',
  created_at TEXT NOT NULL,
  UNIQUE(model_id, version)
);
CREATE TABLE datasets(
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  source TEXT NOT NULL CHECK(source IN ('builtin', 'bytes', 'file')),
  path TEXT,
  size INTEGER NOT NULL,
  sha256 TEXT NOT NULL,
  created_at TEXT NOT NULL,
  bytes BLOB,
  UNIQUE(name, source, sha256)
);
CREATE TABLE runs(
  id INTEGER PRIMARY KEY,
  model_version_id INTEGER NOT NULL REFERENCES model_versions(id),
  dataset_id INTEGER REFERENCES datasets(id),
  hyperparameters TEXT NOT NULL,
  seed INTEGER NOT NULL,
  backend TEXT NOT NULL,
  started_at TEXT NOT NULL,
  ended_at TEXT,
  status TEXT NOT NULL CHECK(status IN ('running', 'completed', 'stopped', 'diverged', 'failed')),
  result TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX runs_by_version ON runs(model_version_id);
CREATE TABLE metrics(
  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  scope TEXT NOT NULL CHECK(scope IN ('step', 'epoch')),
  at INTEGER NOT NULL,
  name TEXT NOT NULL,
  value REAL,
  PRIMARY KEY(run_id, scope, at, name)
) WITHOUT ROWID;
CREATE TABLE checkpoints(
  id INTEGER PRIMARY KEY,
  model_version_id INTEGER NOT NULL REFERENCES model_versions(id) ON DELETE CASCADE,
  run_id INTEGER REFERENCES runs(id) ON DELETE CASCADE,
  step INTEGER NOT NULL,
  epochs_done INTEGER NOT NULL,
  batches_done INTEGER NOT NULL,
  metrics TEXT NOT NULL DEFAULT '{}',
  keep INTEGER NOT NULL DEFAULT 0,
  created_at TEXT NOT NULL
);
CREATE INDEX checkpoints_by_run ON checkpoints(run_id);
CREATE INDEX checkpoints_by_version ON checkpoints(model_version_id);
CREATE TABLE checkpoint_variables(
  id INTEGER PRIMARY KEY,
  checkpoint_id INTEGER NOT NULL REFERENCES checkpoints(id) ON DELETE CASCADE,
  key TEXT NOT NULL,
  dtype TEXT NOT NULL,
  shape TEXT NOT NULL,
  num_bytes INTEGER NOT NULL,
  crc32c INTEGER NOT NULL,
  value BLOB NOT NULL,
  UNIQUE(checkpoint_id, key)
);
CREATE TABLE checkpoint_chunks(
  variable_id INTEGER NOT NULL REFERENCES checkpoint_variables(id) ON DELETE CASCADE,
  chunk INTEGER NOT NULL,
  data BLOB NOT NULL,
  PRIMARY KEY(variable_id, chunk)
);
CREATE TABLE traced_graphs(
  id INTEGER PRIMARY KEY,
  model_version_id INTEGER NOT NULL REFERENCES model_versions(id) ON DELETE CASCADE,
  signature TEXT NOT NULL,
  graph TEXT NOT NULL,
  created_at TEXT NOT NULL,
  UNIQUE(model_version_id, signature)
);
)sql";

// Version 2: notes and tags on runs (the Runs panel's comparison), and the distribution of every
// variable and its gradient per epoch of a run (compact histograms, not the values).
constexpr const char* kVersion2 = R"sql(
ALTER TABLE runs ADD COLUMN note TEXT NOT NULL DEFAULT '';
ALTER TABLE runs ADD COLUMN tags TEXT NOT NULL DEFAULT '[]';
CREATE TABLE variable_histograms(
  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  epoch INTEGER NOT NULL,
  key TEXT NOT NULL,
  kind TEXT NOT NULL CHECK(kind IN ('value', 'gradient')),
  count INTEGER NOT NULL,
  min REAL,
  max REAL,
  mean REAL,
  std REAL,
  bins BLOB NOT NULL,
  PRIMARY KEY(run_id, key, kind, epoch)
) WITHOUT ROWID;
)sql";

// migrations[v] turns schema version v into v + 1. A new version appends one entry (and never
// edits an old one), so every file ever written can be brought forward step by step.
const std::vector<std::function<void(Database&)>>& migrations() {
    static const std::vector<std::function<void(Database&)>> m = {
        [](Database& db) { db.exec(kVersion1, "creating the project tables"); },
        [](Database& db) { db.exec(kVersion2, "adding run notes, tags and variable histograms"); },
    };
    return m;
}

constexpr std::array<const char*, 10> kTables = {"models", "model_versions", "datasets", "runs", "metrics",
                                                 "checkpoints", "checkpoint_variables", "checkpoint_chunks",
                                                 "traced_graphs", "variable_histograms"};
// The first schema version that has each table (a version-1 file opened read-only lacks the last).
constexpr std::array<int, 10> kSince = {1, 1, 1, 1, 1, 1, 1, 1, 1, 2};

uint32_t bigEndian32(const unsigned char* p) { return uint32_t(p[0]) << 24 | uint32_t(p[1]) << 16 | uint32_t(p[2]) << 8 | p[3]; }

} // namespace

void checkFileHeader(const std::filesystem::path& file) {
    std::error_code ec;
    const auto size = std::filesystem::file_size(file, ec);
    if (ec) throw StorageError(file.string() + ": cannot be read (" + ec.message() + ")");
    if (size == 0) return; // an empty file is an empty database; the caller decides what that means
    unsigned char h[100] = {};
    std::ifstream in(file, std::ios::binary);
    in.read(reinterpret_cast<char*>(h), sizeof h);
    if (std::memcmp(h, "SQLite format 3", 16) != 0)
        throw StorageError(file.string() + " is not a Strata project (not an SQLite database)");
    if (in.gcount() < 100)
        throw StorageError(file.string() + " is truncated (" + std::to_string(size) + " bytes, shorter than its 100-byte header)");
    const uint32_t pageSize = h[16] == 0 && h[17] == 1 ? 65536u : (uint32_t(h[16]) << 8 | h[17]);
    if (pageSize < 512 || (pageSize & (pageSize - 1)))
        throw StorageError(file.string() + " is corrupted (page size " + std::to_string(pageSize) + " in its header)");
    // A write-ahead log beside the file holds pages not yet copied into it (a checkpoint killed
    // half-way leaves the file shorter than page 1 says); SQLite replays the log on open.
    const auto wal = std::filesystem::path(file.string() + "-wal");
    if (std::filesystem::exists(wal, ec) && std::filesystem::file_size(wal, ec) > 0) return;
    // The page count in the header is valid when "version-valid-for" equals the change counter.
    const uint32_t pages = bigEndian32(h + 28);
    if (pages != 0 && bigEndian32(h + 92) == bigEndian32(h + 24) && uint64_t(pages) * pageSize > size)
        throw StorageError(file.string() + " is truncated: its header says " + std::to_string(pages) + " pages of " +
                           std::to_string(pageSize) + " bytes (" + std::to_string(uint64_t(pages) * pageSize) +
                           " bytes) but the file has " + std::to_string(size) + " bytes");
    if (size % pageSize != 0)
        throw StorageError(file.string() + " is truncated (" + std::to_string(size) + " bytes is not a whole number of " +
                           std::to_string(pageSize) + "-byte pages)");
}

void createOrMigrate(Database& db, int fromVersion) {
    Transaction t(db);
    for (int v = fromVersion; v < kSchemaVersion; ++v) migrations().at(std::size_t(v))(db);
    db.exec("PRAGMA application_id = " + std::to_string(kApplicationId), "setting the application id");
    db.exec("PRAGMA user_version = " + std::to_string(kSchemaVersion), "setting the schema version");
    t.commit();
}

void checkTables(Database& db, int version) {
    for (std::size_t i = 0; i < kTables.size(); ++i) {
        const char* table = kTables[i];
        if (kSince[i] > version) continue;
        Statement s(db, "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = ?", "reading the schema");
        s.bindText(1, table);
        if (!s.step() || s.columnInt(0) != 1)
            throw StorageError(db.fileName() + " is corrupted: table '" + std::string(table) + "' of schema version " +
                               std::to_string(kSchemaVersion) + " is missing");
    }
}

} // namespace strata::storage
