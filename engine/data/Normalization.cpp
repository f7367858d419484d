#include "engine/data/Normalization.h"

#include "engine/Error.h"

#include <cmath>

namespace strata::data {

namespace {
int64_t featuresPerSample(const Tensor& x) {
    if (x.shape().rank() < 1 || x.dtype() != DType::F32)
        throw StrataError("cannot normalize a " + std::string(dtypeName(x.dtype())) +
                          " tensor of shape " + x.shape().toString() +
                          ": expected float32 with a sample dimension");
    return x.shape().numElementsFrom(1);
}
} // namespace

Standardizer Standardizer::fit(const Tensor& x) {
    const int64_t features = featuresPerSample(x);
    const int64_t samples = x.shape()[0];
    std::vector<double> sum(std::size_t(features), 0.0), sumSq(std::size_t(features), 0.0);
    const float* v = x.f32();
    // Two passes in double: the mean first, then squared deviations (no catastrophic cancellation).
    for (int64_t i = 0; i < samples; ++i)
        for (int64_t f = 0; f < features; ++f)
            sum[std::size_t(f)] += v[i * features + f];
    Standardizer s;
    s.mean_.resize(std::size_t(features));
    s.stddev_.resize(std::size_t(features));
    const double n = samples ? double(samples) : 1.0;
    for (int64_t f = 0; f < features; ++f)
        sum[std::size_t(f)] /= n;
    for (int64_t i = 0; i < samples; ++i)
        for (int64_t f = 0; f < features; ++f) {
            const double d = v[i * features + f] - sum[std::size_t(f)];
            sumSq[std::size_t(f)] += d * d;
        }
    for (std::size_t f = 0; f < std::size_t(features); ++f) {
        const double sd = std::sqrt(sumSq[f] / n);
        s.mean_[f] = float(sum[f]);
        s.stddev_[f] = sd > 1e-12 ? float(sd) : 1.0f;
    }
    return s;
}

void Standardizer::apply(Tensor& x) const {
    if (x.empty()) return; // an empty split (e.g. no validation set) has nothing to change
    const int64_t features = featuresPerSample(x);
    if (std::size_t(features) != mean_.size())
        throw StrataError("the standardizer was fitted on " + std::to_string(mean_.size()) +
                          " features per sample but this data has " + std::to_string(features) +
                          " (shape " + x.shape().toString() + ")");
    float* v = x.f32();
    const int64_t samples = x.shape()[0];
    for (int64_t i = 0; i < samples; ++i)
        for (int64_t f = 0; f < features; ++f)
            v[i * features + f] =
                (v[i * features + f] - mean_[std::size_t(f)]) / stddev_[std::size_t(f)];
}

Standardizer standardize(DatasetSplits& splits) {
    Standardizer s = Standardizer::fit(splits.train.x);
    s.apply(splits.train);
    s.apply(splits.validation);
    s.apply(splits.test);
    for (std::size_t i = 0; i < splits.train.moreX.size(); ++i) { // a model's further inputs, each on its own
        const Standardizer more = Standardizer::fit(splits.train.moreX[i]);
        for (Dataset* d : {&splits.train, &splits.validation, &splits.test})
            if (i < d->moreX.size()) more.apply(d->moreX[i]);
    }
    return s;
}

void scale(Tensor& x, float factor) {
    for (float& v : x.values())
        v *= factor;
}

void scale(Dataset& data, float factor) {
    scale(data.x, factor);
}

void scale(DatasetSplits& splits, float factor) {
    scale(splits.train, factor);
    scale(splits.validation, factor);
    scale(splits.test, factor);
}

} // namespace strata::data
