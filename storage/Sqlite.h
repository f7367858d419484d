// A thin RAII layer over SQLite's C API for storage/: one connection, prepared statements, and
// transactions that nest (the outermost is BEGIN IMMEDIATE, inner ones are savepoints). Every
// failure throws StorageError naming the file and what was being done; SQLITE_CORRUPT and
// SQLITE_NOTADB read as "corrupted" and "not a Strata project". sqlite3.h is not included here.
#pragma once

#include "storage/StorageError.h"

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>

struct sqlite3;
struct sqlite3_stmt;

namespace strata::storage {

class Database {
public:
    // Opens (readOnly) or opens-or-creates the file. Throws StorageError naming it. `immutable`
    // (read-only only): SQLite's immutable=1, for a file on a read-only mount or in a folder this
    // user cannot write, where SQLite cannot make the write-ahead log's shared-memory file; no
    // locks are taken and a left-over -wal file is not read.
    Database(const std::filesystem::path& file, bool readOnly, bool create, bool immutable = false);
    ~Database();
    Database(const Database&) = delete;
    Database& operator=(const Database&) = delete;

    sqlite3* handle() const { return db_; }
    const std::filesystem::path& file() const { return file_; }
    std::string fileName() const { return file_.string(); }
    bool readOnly() const { return readOnly_; }

    // Runs SQL without results (several statements allowed). `what` describes it for messages.
    void exec(std::string_view sql, std::string_view what = {});
    // The first column of the first row as an integer (0 when there is no row).
    int64_t queryInt(std::string_view sql, std::string_view what = {});
    int64_t lastInsertId() const;
    int64_t changes() const;

    // Throws the StorageError for result code `rc` while doing `what`.
    [[noreturn]] void fail(int rc, std::string_view what) const;

    // Transaction depth bookkeeping (see Transaction).
    int& transactionDepth() { return depth_; }

private:
    sqlite3* db_ = nullptr;
    std::filesystem::path file_;
    bool readOnly_ = false;
    int depth_ = 0;
};

class Statement {
public:
    Statement(Database& db, std::string_view sql, std::string_view what = {});
    ~Statement();
    Statement(const Statement&) = delete;
    Statement& operator=(const Statement&) = delete;

    // Parameters are 1-based. Text is copied when bound; a blob is read in place (tensors are large),
    // so its buffer must outlive step().
    Statement& bindInt(int i, int64_t v);
    Statement& bindReal(int i, double v);
    Statement& bindText(int i, std::string_view v);
    Statement& bindBlob(int i, const void* data, std::size_t size);
    Statement& bindNull(int i);
    Statement& bindOptionalInt(int i, const std::optional<int64_t>& v) { return v ? bindInt(i, *v) : bindNull(i); }

    // Advances; true when a row is available.
    bool step();
    // Steps to completion (a statement without results).
    void run();
    void reset();

    bool isNull(int col) const;
    int64_t columnInt(int col) const;
    double columnReal(int col) const;
    std::string columnText(int col) const;
    std::span<const std::byte> columnBlob(int col) const;

private:
    Database& db_;
    sqlite3_stmt* stmt_ = nullptr;
    std::string what_;
};

// One unit of work: committed by commit(), rolled back when destroyed without it. Transactions
// nest: the outermost is BEGIN IMMEDIATE (so a second writer waits rather than failing late),
// inner ones are savepoints that roll back alone.
class Transaction {
public:
    explicit Transaction(Database& db);
    ~Transaction();
    Transaction(const Transaction&) = delete;
    Transaction& operator=(const Transaction&) = delete;
    void commit();

private:
    Database& db_;
    int level_;
    bool done_ = false;
};

} // namespace strata::storage
