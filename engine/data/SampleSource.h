// Features read on demand: a dataset whose samples need not all be in memory (an image folder
// decoded from disk) gives its features as a SampleSource, and the batch pipeline asks it for one
// sample at a time from several worker threads (BatchPrefetcher.h). An in-memory dataset needs
// none: its x tensor is the source.
#pragma once

#include "engine/Shape.h"

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace strata::data {

class SampleSource {
  public:
    virtual ~SampleSource() = default;
    virtual int64_t count() const = 0;
    // One sample's shape, e.g. (28, 28, 1); fully known.
    virtual Shape sampleShape() const = 0;
    // Writes sample `index` in [0, count()) as sampleShape().numElements() float32 values to `out`.
    // Called from several threads at once. Throws StrataError naming the sample (its file).
    virtual void read(int64_t index, float* out) const = 0;
};

using SampleSourcePtr = std::shared_ptr<const SampleSource>;

// The samples of `source` at `indices`, in that order (Dataset::subset of a streamed dataset).
// Throws StrataError for an index out of range.
SampleSourcePtr sampleSubset(SampleSourcePtr source, std::span<const int64_t> indices);
// The same samples seen with another shape of the same element count (reshapeFeatures).
SampleSourcePtr sampleReshape(SampleSourcePtr source, const Shape& shape);
// The decoded cache: every sample of `source` (values in [0, 1], an image's) kept once read, as
// uint8 at its size (value * 255, rounded: what an 8-bit image of that size holds), so later
// epochs skip reading and decoding. count() * sampleShape().numElements() bytes, allocated at once
// (checked against the memory budget). Reads from several threads at once, as the source's.
SampleSourcePtr sampleCache(SampleSourcePtr source);
// The bytes sampleCache(source) allocates.
int64_t sampleCacheBytes(const SampleSource& source);

} // namespace strata::data
