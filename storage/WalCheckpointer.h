// Copies a project's write-ahead log into the project file on a background thread, with its own
// connection and SQLite's PASSIVE checkpoint (it never blocks a reader or the writer), once a
// commit leaves more than `thresholdPages` in the log. A checkpoint save then returns as soon as
// its bytes are committed to the log, durable against a crash of the program, and the second
// write (log -> file) overlaps with training instead of adding to the save.
#pragma once

#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <thread>

struct sqlite3;

namespace strata::storage {

class Database;

class WalCheckpointer {
public:
    // Replaces SQLite's automatic checkpoint on `db`'s connection (which would copy the log in
    // the committing thread).
    WalCheckpointer(Database& db, int thresholdPages);
    ~WalCheckpointer(); // finishes a copy in progress and stops the thread
    WalCheckpointer(const WalCheckpointer&) = delete;
    WalCheckpointer& operator=(const WalCheckpointer&) = delete;

    // Blocks until no copy is pending or running (tests and the benchmark).
    void waitIdle();

private:
    static int onCommit(void* self, sqlite3* db, const char* schema, int pagesInLog);
    void run();

    std::filesystem::path file_;
    int thresholdPages_;
    std::mutex mutex_;
    std::condition_variable wake_, idle_;
    bool pending_ = false, busy_ = false, stop_ = false;
    std::thread thread_;
};

} // namespace strata::storage
