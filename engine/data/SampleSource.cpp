#include "engine/data/SampleSource.h"

#include "engine/Error.h"

namespace strata::data {

namespace {

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

} // namespace strata::data
