// Philox4x32-10 (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3"), the counter-based
// generator behind dropout. A mask element is a pure function of (seed, step, element index), so
// forward and backward agree and a GPU kernel reproduces the CPU bit for bit:
//   block   = philox(counter = {lo32(i/4), hi32(i/4), uint32(step), 0}, key = {lo32(seed), hi32(seed)})
//   u(i)    = (block[i % 4] >> 8) * 2^-24            in [0, 1)
//   keep(i) = u(i) >= rate;   y(i) = keep(i) ? x(i) / (1 - rate) : 0
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

namespace strata::ir {

inline std::array<uint32_t, 4> philox4x32(std::array<uint32_t, 4> c, std::array<uint32_t, 2> k) {
    constexpr uint32_t kM0 = 0xD2511F53u, kM1 = 0xCD9E8D57u, kW0 = 0x9E3779B9u, kW1 = 0xBB67AE85u;
    for (int round = 0; round < 10; ++round) {
        const uint64_t p0 = uint64_t(kM0) * c[0];
        const uint64_t p1 = uint64_t(kM1) * c[2];
        c = {uint32_t(p1 >> 32) ^ c[1] ^ k[0], uint32_t(p1), uint32_t(p0 >> 32) ^ c[3] ^ k[1], uint32_t(p0)};
        k[0] += kW0;
        k[1] += kW1;
    }
    return c;
}

inline std::array<uint32_t, 4> dropoutBlock(uint64_t seed, uint32_t step, uint64_t block) {
    return philox4x32({uint32_t(block), uint32_t(block >> 32), step, 0u}, {uint32_t(seed), uint32_t(seed >> 32)});
}

inline float uniformFromBits(uint32_t bits) { return float(bits >> 8) * (1.0f / 16777216.0f); }

// u(i) of the stream (seed, step): the number dropout compares with its rate at element i, and
// element i of the RandomUniform op.
inline float philoxUniform(uint64_t seed, uint32_t step, uint64_t i) {
    return uniformFromBits(dropoutBlock(seed, step, i / 4)[std::size_t(i % 4)]);
}

} // namespace strata::ir
