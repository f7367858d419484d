// Variable initializers with Keras' names and defaults, seeded so that a value depends only on
// (seed, variable path): the same seed gives bit-identical variables on every run.
#pragma once

#include "engine/Tensor.h"

#include <cstdint>
#include <string>
#include <vector>

namespace strata {

const std::vector<std::string>& initializerNames();
bool isInitializer(const std::string& name);
// Fills `t` with the named initializer. fanIn/fanOut are used by the variance-scaling ones.
void initializeTensor(Tensor& t, const std::string& initializer, int64_t fanIn, int64_t fanOut, uint64_t seed,
                      const std::string& path);

// A small, portable generator (splitmix64-seeded xoshiro128+-style); identical on every platform.
class Rng {
public:
    explicit Rng(uint64_t seed);
    uint64_t next();
    float uniform(); // [0, 1)
    float normal();  // standard normal (Box-Muller)
private:
    uint64_t s_[2];
};

uint64_t hashString(const std::string& s, uint64_t seed = 0);

} // namespace strata
