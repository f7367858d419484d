#include "engine/data/FileInput.h"
#include "engine/InputFiles.h"

#include "engine/Error.h"

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <system_error>

#include <zlib.h>

namespace strata::data::internal {

namespace {
constexpr uint64_t kMaxDeflateRatio = 1032; // deflate cannot expand data more than this
constexpr unsigned kBufferBytes = 1u << 18;
} // namespace

GzFile::GzFile(const std::filesystem::path& path) : name_(path.string()) {
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec))
        throw StrataError(name_ + ": is a directory, not a data file");
    if (const std::string why = inputFileProblem(path, kMaxDataFileBytes); !why.empty() && std::filesystem::exists(path, ec))
        throw StrataError(why);
    const uint64_t fileSize = std::filesystem::file_size(path, ec);
    if (ec) throw StrataError(name_ + ": cannot open: " + ec.message());
    gzFile f = gzopen(name_.c_str(), "rb");
    if (!f) throw StrataError(name_ + ": cannot open: " + std::strerror(errno));
    gzbuffer(f, kBufferBytes);
    file_ = f;
    // Right after gzopen, gzdirect reads ahead to look for the gzip magic.
    compressed_ = gzdirect(f) == 0;
    maxDataBytes_ = compressed_ ? fileSize * kMaxDeflateRatio + 64 : fileSize;
}

GzFile::~GzFile() {
    if (file_) gzclose(static_cast<gzFile>(file_));
}

std::size_t GzFile::read(void* buffer, std::size_t n) {
    auto* out = static_cast<unsigned char*>(buffer);
    std::size_t total = 0;
    while (total < n) {
        const unsigned chunk = unsigned(std::min<std::size_t>(n - total, std::size_t(INT_MAX) / 2));
        const int got = gzread(static_cast<gzFile>(file_), out + total, chunk);
        if (got < 0) {
            int code = 0;
            const char* message = gzerror(static_cast<gzFile>(file_), &code);
            throw StrataError(name_ + ": cannot read: " + (message ? message : "zlib error") +
                              " (the compressed data is corrupt or truncated)");
        }
        if (got == 0) break;
        total += std::size_t(got);
    }
    return total;
}

std::string readWholeFile(const std::filesystem::path& path) {
    GzFile file(path);
    std::string content;
    if (!file.compressed()) content.reserve(std::size_t(file.maxDataBytes()));
    char chunk[1 << 16];
    while (const std::size_t got = file.read(chunk, sizeof chunk)) {
        if (content.size() + got > kMaxDecompressedBytes) // a small .gz can inflate to anything
            throw StrataError(file.name() + ": inflates to more than " + std::to_string(kMaxDecompressedBytes) + " bytes, the most read");
        content.append(chunk, got);
    }
    return content;
}

} // namespace strata::data::internal
