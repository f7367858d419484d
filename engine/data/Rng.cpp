#include "engine/data/Rng.h"

#include <utility>

namespace strata::data {

namespace {
constexpr uint64_t rotl(uint64_t x, int k) {
    return (x << k) | (x >> (64 - k));
}

// Full 64x64 -> 128-bit product in portable C++ (no __int128, which -Wpedantic rejects).
void multiply(uint64_t a, uint64_t b, uint64_t& high, uint64_t& low) {
    const uint64_t aLo = a & 0xFFFFFFFFu, aHi = a >> 32, bLo = b & 0xFFFFFFFFu, bHi = b >> 32;
    const uint64_t ll = aLo * bLo, lh = aLo * bHi, hl = aHi * bLo, hh = aHi * bHi;
    const uint64_t mid = (ll >> 32) + (lh & 0xFFFFFFFFu) + (hl & 0xFFFFFFFFu);
    low = (mid << 32) | (ll & 0xFFFFFFFFu);
    high = hh + (lh >> 32) + (hl >> 32) + (mid >> 32);
}
} // namespace

uint64_t splitMix64(uint64_t& state) {
    uint64_t z = (state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

uint64_t mixSeed(uint64_t a, uint64_t b) {
    uint64_t s = a;
    uint64_t h = splitMix64(s);
    s = h ^ b;
    return splitMix64(s);
}

Rng::Rng(uint64_t seed) {
    uint64_t state = seed;
    for (uint64_t& word : s_)
        word = splitMix64(state);
}

uint64_t Rng::next() {
    const uint64_t result = rotl(s_[1] * 5, 7) * 9;
    const uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
}

uint64_t Rng::below(uint64_t n) {
    // The high word of next() * n is uniform in [0, n) once the low word passes the threshold.
    uint64_t high = 0, low = 0;
    multiply(next(), n, high, low);
    if (low < n) {
        const uint64_t threshold = (0 - n) % n;
        while (low < threshold)
            multiply(next(), n, high, low);
    }
    return high;
}

void shuffle(std::span<int64_t> values, Rng& rng) {
    for (std::size_t i = values.size(); i > 1; --i) {
        const std::size_t j = std::size_t(rng.below(i));
        std::swap(values[i - 1], values[j]);
    }
}

} // namespace strata::data
