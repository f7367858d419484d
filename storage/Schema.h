// The schema of a .strata project: its tables, the application id in the SQLite header, the
// schema version in PRAGMA user_version, and the migrations from each older version.
//
//   models, model_versions   a model by name; each saved version keeps its spec, canvas layout, note
//   datasets                 small ones as bytes, large ones as path + size + SHA-256; built-ins by name
//   runs, metrics            hyper-parameters, seed, backend, status; metrics per step and per epoch
//   checkpoints              one per save: model version, run, (step, epochs done, batches done), metrics
//   checkpoint_variables     one row per variable: key, dtype, shape, size, crc32c and the bytes
//                            (a variable above kChunkBytes continues in checkpoint_chunks)
//   traced_graphs            the op graph of one model version and input signature, as JSON
#pragma once

#include <cstdint>
#include <filesystem>

namespace strata::storage {

class Database;

inline constexpr int32_t kApplicationId = 0x53545241; // "STRA" in the SQLite header
inline constexpr int kSchemaVersion = 2;
// Tensor bytes are stored in pieces of at most this size: SQLite builds a record in memory before
// writing it, so the piece size bounds the extra memory of a save (and SQLite's 1 GB blob limit).
inline constexpr int64_t kChunkBytes = int64_t(16) << 20;
// Page size of new projects. Checkpoints are large blobs stored in overflow pages; 64 KiB pages
// mean 16x fewer pages, page headers and WAL frames per megabyte than the 4 KiB default.
inline constexpr int kPageSize = 65536;
// Pages in the write-ahead log that start its background copy into the file (64 MiB; see WalCheckpointer).
inline constexpr int kLogCopyPages = 1024;

// Reads the first 100 bytes of an existing file and rejects, with a message naming it, a file
// that is not an SQLite database or that is shorter than its header says (truncated).
void checkFileHeader(const std::filesystem::path& file);

// Creates the schema in an empty database (version 0) or migrates an older one, in one
// transaction, and sets application_id and user_version.
void createOrMigrate(Database& db, int fromVersion);

// Throws StorageError naming the file when a table of the current schema is missing.
void checkTables(Database& db, int version);

} // namespace strata::storage
