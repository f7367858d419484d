// SHA-256 (FIPS 180-4) for content hashes: dataset files, saved-model fingerprints, model specs.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

namespace strata::storage {

class Sha256 {
public:
    Sha256();
    void update(const void* data, std::size_t size);
    void update(std::string_view s) { update(s.data(), s.size()); }
    // The digest as 64 lowercase hex digits; the object is spent afterwards.
    std::string hexDigest();

    static std::string hex(std::string_view s);
    // Streams the file; throws StorageError naming it when it cannot be read. `size` receives its length.
    static std::string hexOfFile(const std::filesystem::path& file, int64_t* size = nullptr);

private:
    void block(const unsigned char* p);
    std::array<uint32_t, 8> h_;
    std::array<unsigned char, 64> buffer_{};
    std::size_t buffered_ = 0;
    uint64_t length_ = 0;
};

} // namespace strata::storage
