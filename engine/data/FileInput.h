// Reading data files that may be gzip-compressed (decided by content, not by name): zlib's
// gzread passes plain files through unchanged. Internal to the data layer's loaders.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>

namespace strata::data::internal {

class GzFile {
  public:
    // Throws StrataError naming the file when it cannot be opened.
    explicit GzFile(const std::filesystem::path& path);
    ~GzFile();
    GzFile(const GzFile&) = delete;
    GzFile& operator=(const GzFile&) = delete;

    // Reads up to n bytes; returns how many were read (fewer only at the end of the data).
    std::size_t read(void* buffer, std::size_t n);
    // True when the file is gzip data rather than plain bytes.
    bool compressed() const { return compressed_; }
    // The largest number of data bytes the file can hold: its size when plain, a bound from the
    // maximum deflate ratio when compressed. Used to reject absurd headers before allocating.
    uint64_t maxDataBytes() const { return maxDataBytes_; }
    const std::string& name() const { return name_; }

  private:
    void* file_ = nullptr; // gzFile
    std::string name_;
    bool compressed_ = false;
    uint64_t maxDataBytes_ = 0;
};

// The whole (decompressed) content of a file.
std::string readWholeFile(const std::filesystem::path& path);

} // namespace strata::data::internal
