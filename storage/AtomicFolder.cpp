#include "storage/AtomicFolder.h"

#include "storage/StorageError.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>

namespace strata::storage {

namespace fs = std::filesystem;

namespace {

std::string errorText() { return std::strerror(errno); }

// Removes ".NAME.partial-PID-N" folders and files (any NAME) whose writer process no longer exists.
void removeStaleTemporaries(const fs::path& parent) {
    const std::string marker = ".partial-";
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(parent.empty() ? fs::path(".") : parent, ec)) {
        const std::string file = entry.path().filename().string();
        const auto at = file.rfind(marker);
        if (file.empty() || file[0] != '.' || at == std::string::npos) continue;
        char* end = nullptr;
        const long pid = std::strtol(file.c_str() + at + marker.size(), &end, 10);
        if (pid <= 0 || *end != '-') continue;
        if (::kill(pid_t(pid), 0) != 0 && errno == ESRCH) fs::remove_all(entry.path(), ec);
    }
}

} // namespace

AtomicFolder::AtomicFolder(fs::path target) : target_(std::move(target)) {
    if (target_.filename().empty()) target_ = target_.parent_path(); // "out/" -> "out"
    std::error_code ec;
    if (fs::exists(target_, ec))
        throw StorageError(target_.string() + " already exists; remove it or choose another output folder");
    const fs::path parent = target_.parent_path();
    if (!parent.empty() && !fs::is_directory(parent, ec))
        throw StorageError(target_.string() + ": the folder " + parent.string() + " does not exist");
    const std::string name = target_.filename().string();
    removeStaleTemporaries(parent);
    static std::atomic<int> counter{0};
    temp_ = parent / ("." + name + ".partial-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    if (!fs::create_directory(temp_, ec))
        throw StorageError(temp_.string() + ": cannot be created (" + (ec ? ec.message() : "exists") + ")");
}

AtomicFolder::~AtomicFolder() {
    if (committed_) return;
    std::error_code ec;
    fs::remove_all(temp_, ec);
}

void AtomicFolder::commit() {
    for (const auto& entry : fs::recursive_directory_iterator(temp_))
        if (entry.is_directory()) syncFolder(entry.path());
    syncFolder(temp_);
    if (::rename(temp_.c_str(), target_.c_str()) != 0)
        throw StorageError(target_.string() + ": cannot be put in place (" + errorText() + ")");
    committed_ = true;
    const fs::path parent = target_.parent_path();
    syncFolder(parent.empty() ? fs::path(".") : parent);
}

DurableFile::DurableFile(const fs::path& file) : file_(file) {
    fd_ = ::open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd_ < 0) throw StorageError(file_.string() + ": cannot be created (" + errorText() + ")");
}

DurableFile::~DurableFile() {
    if (fd_ >= 0) ::close(fd_);
}

void DurableFile::write(const void* data, std::size_t size) {
    const char* p = static_cast<const char*>(data);
    while (size) {
        const ssize_t n = ::write(fd_, p, std::min<std::size_t>(size, std::size_t(1) << 30));
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) throw StorageError(file_.string() + ": write failed (" + errorText() + ")");
        p += n;
        size -= std::size_t(n);
    }
}

void DurableFile::close() {
    if (::fsync(fd_) != 0) throw StorageError(file_.string() + ": fsync failed (" + errorText() + ")");
    if (::close(fd_) != 0) {
        fd_ = -1;
        throw StorageError(file_.string() + ": close failed (" + errorText() + ")");
    }
    fd_ = -1;
}

void writeDurably(const fs::path& file, std::string_view text) {
    DurableFile f(file);
    f.write(text.data(), text.size());
    f.close();
}

void replaceFileAtomically(const fs::path& target, std::string_view text) {
    const fs::path parent = target.parent_path();
    removeStaleTemporaries(parent);
    static std::atomic<int> counter{0};
    const fs::path temp =
        parent / ("." + target.filename().string() + ".partial-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    try {
        writeDurably(temp, text);
        if (::rename(temp.c_str(), target.c_str()) != 0)
            throw StorageError(target.string() + ": cannot be put in place (" + errorText() + ")");
    } catch (const StorageError& e) {
        std::error_code ec;
        fs::remove(temp, ec);
        const bool existed = fs::exists(target, ec);
        throw StorageError(std::string(e.what()) + "; " + target.string() +
                           (existed ? " was left as it was" : " was not created"));
    }
    syncFolder(parent.empty() ? fs::path(".") : parent);
}

void syncFolder(const fs::path& folder) {
    const int fd = ::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) throw StorageError(folder.string() + ": cannot be opened to sync (" + errorText() + ")");
    ::fsync(fd);
    ::close(fd);
}

} // namespace strata::storage
