#include "storage/WalCheckpointer.h"

#include "storage/Sqlite.h"

#include <sqlite3.h>

namespace strata::storage {

WalCheckpointer::WalCheckpointer(Database& db, int thresholdPages) : file_(db.file()), thresholdPages_(thresholdPages) {
    thread_ = std::thread([this] { run(); });
    sqlite3_wal_hook(db.handle(), &WalCheckpointer::onCommit, this);
}

WalCheckpointer::~WalCheckpointer() {
    {
        std::lock_guard lock(mutex_);
        stop_ = true;
    }
    wake_.notify_all();
    thread_.join();
}

int WalCheckpointer::onCommit(void* self, sqlite3*, const char*, int pagesInLog) {
    auto* c = static_cast<WalCheckpointer*>(self);
    if (pagesInLog < c->thresholdPages_) return SQLITE_OK;
    {
        std::lock_guard lock(c->mutex_);
        c->pending_ = true;
    }
    c->wake_.notify_one();
    return SQLITE_OK;
}

void WalCheckpointer::waitIdle() {
    std::unique_lock lock(mutex_);
    idle_.wait(lock, [this] { return !pending_ && !busy_; });
}

void WalCheckpointer::run() {
    sqlite3* connection = nullptr;
    std::unique_lock lock(mutex_);
    while (true) {
        wake_.wait(lock, [this] { return pending_ || stop_; });
        if (!pending_ && stop_) break;
        pending_ = false;
        busy_ = true;
        lock.unlock();
        if (!connection && sqlite3_open_v2(file_.c_str(), &connection, SQLITE_OPEN_READWRITE | SQLITE_OPEN_FULLMUTEX, nullptr) == SQLITE_OK) {
            sqlite3_busy_timeout(connection, 1000);
            // A connection finds out that the file is in WAL mode on its first read.
            sqlite3_exec(connection, "SELECT count(*) FROM sqlite_schema", nullptr, nullptr, nullptr);
        }
        // A failure (the file busy, the disk full) only leaves the log longer; the next commit retries,
        // and closing the project copies what is left.
        if (connection) sqlite3_wal_checkpoint_v2(connection, nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
        lock.lock();
        busy_ = false;
        idle_.notify_all();
    }
    lock.unlock();
    sqlite3_close_v2(connection);
}

} // namespace strata::storage
