// A small random generator whose output is the same on every platform and compiler, for
// shuffles and splits that must reproduce bit for bit (std::shuffle and the std distributions
// are implementation-defined, so they are not used anywhere in the data layer).
#pragma once

#include <cstdint>
#include <span>

namespace strata::data {

// One step of splitmix64: a good 64-bit mixer, used to seed and to derive sub-seeds.
uint64_t splitMix64(uint64_t& state);
// A pure mix of two values into one seed, e.g. (run seed, epoch) -> epoch seed.
uint64_t mixSeed(uint64_t a, uint64_t b);

// xoshiro256** (Blackman & Vigna), seeded from splitmix64.
class Rng {
  public:
    explicit Rng(uint64_t seed);

    uint64_t next();
    // Uniform in [0, n) without modulo bias (Lemire's multiply-and-reject); n > 0.
    uint64_t below(uint64_t n);

  private:
    uint64_t s_[4];
};

// Fisher-Yates shuffle driven by rng.below(): the same seed gives the same order everywhere.
void shuffle(std::span<int64_t> values, Rng& rng);

} // namespace strata::data
