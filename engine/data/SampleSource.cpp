#include "engine/data/SampleSource.h"

#include "engine/Error.h"
#include "engine/MemoryBudget.h"

#include <atomic>
#include <cmath>
#include <memory>

namespace strata::data {

namespace {

class CachedSource final : public SampleSource {
  public:
    explicit CachedSource(SampleSourcePtr base)
        : base_(std::move(base)), elements_(std::size_t(base_->sampleShape().numElements())),
          bytes_(std::size_t(base_->count()) * elements_), state_(new std::atomic<uint8_t>[std::size_t(base_->count())]) {
        for (int64_t i = 0; i < base_->count(); ++i) state_[std::size_t(i)].store(kEmpty, std::memory_order_relaxed);
    }
    int64_t count() const override { return base_->count(); }
    Shape sampleShape() const override { return base_->sampleShape(); }
    void read(int64_t index, float* out) const override {
        if (index < 0 || index >= count())
            throw StrataError("sample " + std::to_string(index) + " is out of range [0, " + std::to_string(count()) + ")");
        std::atomic<uint8_t>& state = state_[std::size_t(index)];
        const uint8_t* cached = bytes_.data() + std::size_t(index) * elements_;
        if (state.load(std::memory_order_acquire) == kReady) {
            for (std::size_t i = 0; i < elements_; ++i) out[i] = float(cached[i]) / 255.0f;
            return;
        }
        base_->read(index, out);
        uint8_t expected = kEmpty;
        if (!state.compare_exchange_strong(expected, kFilling, std::memory_order_acq_rel)) return; // another thread keeps it
        uint8_t* slot = bytes_.data() + std::size_t(index) * elements_;
        for (std::size_t i = 0; i < elements_; ++i) {
            const float v = std::isfinite(out[i]) ? std::fmin(std::fmax(out[i], 0.0f), 1.0f) : 0.0f;
            slot[i] = uint8_t(std::lround(v * 255.0f));
            out[i] = float(slot[i]) / 255.0f; // the first epoch sees what the later ones will
        }
        state.store(kReady, std::memory_order_release);
    }

  private:
    static constexpr uint8_t kEmpty = 0, kFilling = 1, kReady = 2;
    SampleSourcePtr base_;
    std::size_t elements_;
    mutable std::vector<uint8_t> bytes_;
    std::unique_ptr<std::atomic<uint8_t>[]> state_;
};

class SubsetSource final : public SampleSource {
  public:
    SubsetSource(SampleSourcePtr base, std::vector<int64_t> indices) : base_(std::move(base)), indices_(std::move(indices)) {}
    int64_t count() const override { return int64_t(indices_.size()); }
    Shape sampleShape() const override { return base_->sampleShape(); }
    void read(int64_t index, float* out) const override { base_->read(indices_.at(std::size_t(index)), out); }

  private:
    SampleSourcePtr base_;
    std::vector<int64_t> indices_;
};

class ReshapedSource final : public SampleSource {
  public:
    ReshapedSource(SampleSourcePtr base, Shape shape) : base_(std::move(base)), shape_(std::move(shape)) {}
    int64_t count() const override { return base_->count(); }
    Shape sampleShape() const override { return shape_; }
    void read(int64_t index, float* out) const override { base_->read(index, out); }

  private:
    SampleSourcePtr base_;
    Shape shape_;
};

} // namespace

SampleSourcePtr sampleSubset(SampleSourcePtr source, std::span<const int64_t> indices) {
    const int64_t n = source->count();
    for (const int64_t i : indices)
        if (i < 0 || i >= n)
            throw StrataError("sample index " + std::to_string(i) + " is out of range [0, " + std::to_string(n) + ")");
    return std::make_shared<SubsetSource>(std::move(source), std::vector<int64_t>(indices.begin(), indices.end()));
}

SampleSourcePtr sampleReshape(SampleSourcePtr source, const Shape& shape) {
    if (shape.numElements() != source->sampleShape().numElements())
        throw StrataError("cannot see samples of shape " + source->sampleShape().toString() + " as " + shape.toString());
    return std::make_shared<ReshapedSource>(std::move(source), shape);
}

int64_t sampleCacheBytes(const SampleSource& source) { return source.count() * source.sampleShape().numElements(); }

SampleSourcePtr sampleCache(SampleSourcePtr source) {
    checkMemoryBudget(double(sampleCacheBytes(*source)), "the decoded cache of " + std::to_string(source->count()) + " samples");
    return std::make_shared<CachedSource>(std::move(source));
}

} // namespace strata::data
