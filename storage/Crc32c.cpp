#include "storage/Crc32c.h"

#include <array>
#include <cstring>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <nmmintrin.h>
#define STRATA_CRC32C_SSE42 1
#endif

namespace strata::storage {

namespace {

constexpr uint32_t kPolynomial = 0x82F63B78u; // Castagnoli, reflected

using Tables = std::array<std::array<uint32_t, 256>, 8>;

constexpr Tables makeTables() {
    Tables t{};
    for (uint32_t i = 0; i < 256; ++i) {
        uint32_t c = i;
        for (int k = 0; k < 8; ++k) c = (c & 1) ? (c >> 1) ^ kPolynomial : c >> 1;
        t[0][i] = c;
    }
    for (uint32_t i = 0; i < 256; ++i)
        for (std::size_t s = 1; s < 8; ++s) t[s][i] = (t[s - 1][i] >> 8) ^ t[0][t[s - 1][i] & 0xFF];
    return t;
}

constexpr Tables kTables = makeTables();

#ifdef STRATA_CRC32C_SSE42
__attribute__((target("sse4.2"))) uint32_t crc32cHardware(const unsigned char* p, std::size_t n, uint32_t crc) {
    uint64_t c = ~crc;
    for (; n && (reinterpret_cast<std::uintptr_t>(p) & 7); --n) c = _mm_crc32_u8(uint32_t(c), *p++);
    // Three independent streams would be faster still; one stream is already far above disk speed.
    for (; n >= 8; n -= 8, p += 8) {
        uint64_t w;
        std::memcpy(&w, p, 8);
        c = _mm_crc32_u64(c, w);
    }
    for (; n; --n) c = _mm_crc32_u8(uint32_t(c), *p++);
    return ~uint32_t(c);
}

bool hasSse42() {
    static const bool has = __builtin_cpu_supports("sse4.2");
    return has;
}
#endif

} // namespace

uint32_t crc32cPortable(const void* data, std::size_t n, uint32_t crc) {
    const auto* p = static_cast<const unsigned char*>(data);
    uint32_t c = ~crc;
    for (; n && (reinterpret_cast<std::uintptr_t>(p) & 7); --n) c = (c >> 8) ^ kTables[0][(c ^ *p++) & 0xFF];
    for (; n >= 8; n -= 8, p += 8) { // slicing-by-8 (little-endian loads)
        const uint32_t lo = c ^ (uint32_t(p[0]) | uint32_t(p[1]) << 8 | uint32_t(p[2]) << 16 | uint32_t(p[3]) << 24);
        const uint32_t hi = uint32_t(p[4]) | uint32_t(p[5]) << 8 | uint32_t(p[6]) << 16 | uint32_t(p[7]) << 24;
        c = kTables[7][lo & 0xFF] ^ kTables[6][(lo >> 8) & 0xFF] ^ kTables[5][(lo >> 16) & 0xFF] ^ kTables[4][lo >> 24] ^
            kTables[3][hi & 0xFF] ^ kTables[2][(hi >> 8) & 0xFF] ^ kTables[1][(hi >> 16) & 0xFF] ^ kTables[0][hi >> 24];
    }
    for (; n; --n) c = (c >> 8) ^ kTables[0][(c ^ *p++) & 0xFF];
    return ~c;
}

uint32_t crc32c(const void* data, std::size_t size, uint32_t crc) {
#ifdef STRATA_CRC32C_SSE42
    if (hasSse42()) return crc32cHardware(static_cast<const unsigned char*>(data), size, crc);
#endif
    return crc32cPortable(data, size, crc);
}

} // namespace strata::storage
