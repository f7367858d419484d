#include "storage/Sqlite.h"

#include <cctype>
#include <cstdio>
#include <cstring>

#include <sqlite3.h>

namespace strata::storage {

namespace {
constexpr int kBusyTimeoutMs = 10000; // a GUI and a CLI may share a project; a writer waits this long
}

namespace {
// "file:" URI of a path, every byte outside [A-Za-z0-9/._-] percent-encoded (RFC 3986).
std::string fileUri(const std::filesystem::path& file) {
    std::string uri = "file:";
    const std::string path = std::filesystem::absolute(file).string();
    for (unsigned char c : path) {
        if (std::isalnum(c) || c == '/' || c == '.' || c == '_' || c == '-') uri += char(c);
        else {
            char buf[4];
            std::snprintf(buf, sizeof buf, "%%%02X", c);
            uri += buf;
        }
    }
    return uri;
}
} // namespace

Database::Database(const std::filesystem::path& file, bool readOnly, bool create, bool immutable)
    : file_(file), readOnly_(readOnly || immutable) {
    const int flags = (readOnly_ ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | (create ? SQLITE_OPEN_CREATE : 0)) |
                      SQLITE_OPEN_FULLMUTEX | (immutable ? SQLITE_OPEN_URI : 0);
    const std::string name = immutable ? fileUri(file) + "?immutable=1" : file.string();
    const int rc = sqlite3_open_v2(name.c_str(), &db_, flags, nullptr);
    if (rc != SQLITE_OK) {
        std::string msg = db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
        sqlite3_close_v2(db_);
        db_ = nullptr;
        throw StorageError(fileName() + ": cannot be opened (" + msg + ")");
    }
    sqlite3_extended_result_codes(db_, 1);
    sqlite3_busy_timeout(db_, kBusyTimeoutMs);
}

Database::~Database() { sqlite3_close_v2(db_); }

void Database::fail(int rc, std::string_view what) const {
    const int primary = rc & 0xFF;
    std::string detail = db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
    // An I/O error says what the system said: "disk I/O error (No space left on device)".
    if (const int sys = db_ ? sqlite3_system_errno(db_) : 0; sys != 0 && (primary == SQLITE_IOERR || primary == SQLITE_CANTOPEN))
        detail += std::string(" (") + std::strerror(sys) + ")";
    std::string context = what.empty() ? std::string() : " while " + std::string(what);
    switch (primary) {
    case SQLITE_NOTADB:
        throw StorageError(fileName() + " is not a Strata project (not an SQLite database: " + detail + ")");
    case SQLITE_CORRUPT:
        throw StorageError(fileName() + " is corrupted (" + detail + ")" + context);
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        throw StorageError(fileName() + " is locked by another program" + context + " (" + detail + ")");
    case SQLITE_FULL:
        throw StorageError(fileName() + ": the disk is full" + context);
    case SQLITE_READONLY:
        throw StorageError(fileName() + " is read-only" + context + " (" + detail + ")");
    default:
        throw StorageError(fileName() + ": " + detail + context);
    }
}

void Database::exec(std::string_view sql, std::string_view what) {
    char* msg = nullptr;
    const int rc = sqlite3_exec(db_, std::string(sql).c_str(), nullptr, nullptr, &msg);
    sqlite3_free(msg);
    if (rc != SQLITE_OK) fail(rc, what);
}

int64_t Database::queryInt(std::string_view sql, std::string_view what) {
    Statement s(*this, sql, what);
    return s.step() ? s.columnInt(0) : 0;
}

int64_t Database::lastInsertId() const { return sqlite3_last_insert_rowid(db_); }
int64_t Database::changes() const { return sqlite3_changes64(db_); }

Statement::Statement(Database& db, std::string_view sql, std::string_view what) : db_(db), what_(what) {
    const int rc = sqlite3_prepare_v2(db.handle(), sql.data(), int(sql.size()), &stmt_, nullptr);
    if (rc != SQLITE_OK) db.fail(rc, what_);
}

Statement::~Statement() { sqlite3_finalize(stmt_); }

Statement& Statement::bindInt(int i, int64_t v) {
    if (int rc = sqlite3_bind_int64(stmt_, i, v); rc != SQLITE_OK) db_.fail(rc, what_);
    return *this;
}
Statement& Statement::bindReal(int i, double v) {
    if (int rc = sqlite3_bind_double(stmt_, i, v); rc != SQLITE_OK) db_.fail(rc, what_);
    return *this;
}
Statement& Statement::bindText(int i, std::string_view v) {
    // SQLITE_TRANSIENT: SQLite copies the text now, so a temporary (bindText(1, utcNow())) is safe.
    if (int rc = sqlite3_bind_text64(stmt_, i, v.data(), v.size(), SQLITE_TRANSIENT, SQLITE_UTF8); rc != SQLITE_OK)
        db_.fail(rc, what_);
    return *this;
}
Statement& Statement::bindBlob(int i, const void* data, std::size_t size) {
    // SQLITE_STATIC: SQLite reads the caller's buffer in place (no copy at bind time).
    static const char empty = 0;
    if (int rc = sqlite3_bind_blob64(stmt_, i, size ? data : &empty, size, SQLITE_STATIC); rc != SQLITE_OK)
        db_.fail(rc, what_);
    return *this;
}
Statement& Statement::bindNull(int i) {
    if (int rc = sqlite3_bind_null(stmt_, i); rc != SQLITE_OK) db_.fail(rc, what_);
    return *this;
}

bool Statement::step() {
    const int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    sqlite3_reset(stmt_);
    db_.fail(rc, what_);
}

void Statement::run() {
    while (step()) {
    }
}

void Statement::reset() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
}

bool Statement::isNull(int col) const { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }
int64_t Statement::columnInt(int col) const { return sqlite3_column_int64(stmt_, col); }
double Statement::columnReal(int col) const { return sqlite3_column_double(stmt_, col); }
std::string Statement::columnText(int col) const {
    const auto* p = sqlite3_column_text(stmt_, col);
    return p ? std::string(reinterpret_cast<const char*>(p), std::size_t(sqlite3_column_bytes(stmt_, col))) : std::string();
}
std::span<const std::byte> Statement::columnBlob(int col) const {
    const void* p = sqlite3_column_blob(stmt_, col);
    return {static_cast<const std::byte*>(p), std::size_t(sqlite3_column_bytes(stmt_, col))};
}

Transaction::Transaction(Database& db) : db_(db), level_(db.transactionDepth()) {
    if (level_ == 0) db_.exec("BEGIN IMMEDIATE", "starting a transaction");
    else db_.exec("SAVEPOINT s" + std::to_string(level_), "starting a savepoint");
    ++db_.transactionDepth();
}

Transaction::~Transaction() {
    if (done_) return;
    --db_.transactionDepth();
    // Rolling back never throws here: a failed rollback leaves SQLite to roll back on close.
    const std::string sql = level_ == 0 ? "ROLLBACK" : "ROLLBACK TO s" + std::to_string(level_) + "; RELEASE s" + std::to_string(level_);
    sqlite3_exec(db_.handle(), sql.c_str(), nullptr, nullptr, nullptr);
}

void Transaction::commit() {
    if (level_ == 0) db_.exec("COMMIT", "committing");
    else db_.exec("RELEASE s" + std::to_string(level_), "releasing a savepoint");
    done_ = true;
    --db_.transactionDepth();
}

} // namespace strata::storage
