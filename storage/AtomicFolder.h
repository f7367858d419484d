// Writing a folder so that it appears complete or not at all: files go into a hidden temporary
// folder beside the target (".NAME.partial-PID-N"), each synced; commit() syncs the folder and
// renames it into place. Destroyed without commit(), it removes the temporary folder. Temporary
// folders left in the same parent by killed writers (their process is gone) are removed by the
// next writer.
#pragma once

#include <filesystem>
#include <string_view>

namespace strata::storage {

class AtomicFolder {
public:
    // Throws StorageError when `target` already exists.
    explicit AtomicFolder(std::filesystem::path target);
    ~AtomicFolder();
    AtomicFolder(const AtomicFolder&) = delete;
    AtomicFolder& operator=(const AtomicFolder&) = delete;

    const std::filesystem::path& path() const { return temp_; } // where to write
    void commit();

private:
    std::filesystem::path target_, temp_;
    bool committed_ = false;
};

// A file written with write(2) and fsync'd on close; errors name the file.
class DurableFile {
public:
    explicit DurableFile(const std::filesystem::path& file);
    ~DurableFile();
    DurableFile(const DurableFile&) = delete;
    DurableFile& operator=(const DurableFile&) = delete;
    void write(const void* data, std::size_t size);
    void close(); // fsync + close

private:
    std::filesystem::path file_;
    int fd_ = -1;
};

void writeDurably(const std::filesystem::path& file, std::string_view text);

// Writes `text` to a hidden temporary file beside `target` (".NAME.partial-PID-N"), syncs it and
// renames it over `target`: a reader sees the old file or the new one, never a part. On failure
// (a full disk, a read-only folder) the temporary is removed, `target` is left as it was, and the
// StorageError says so, naming `target` and the system's reason.
void replaceFileAtomically(const std::filesystem::path& target, std::string_view text);
// fsync on a folder, so that a rename or a new entry in it is durable.
void syncFolder(const std::filesystem::path& folder);

} // namespace strata::storage
