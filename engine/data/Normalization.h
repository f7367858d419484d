// Feature normalization: a Standardizer fitted on the training set and applied unchanged to the
// others (so no statistic leaks from validation or test data), and plain scaling.
#pragma once

#include "engine/Tensor.h"
#include "engine/data/DatasetSplits.h"

#include <vector>

namespace strata::data {

// Per-feature mean and standard deviation (population, as sklearn's StandardScaler); every
// element of a sample is its own feature. A feature of zero deviation divides by 1.
class Standardizer {
  public:
    static Standardizer fit(const Tensor& x);

    // x := (x - mean) / std, in place. x must have the fitted feature count per sample.
    void apply(Tensor& x) const;
    void apply(Dataset& data) const { apply(data.x); }

    const std::vector<float>& mean() const { return mean_; }
    const std::vector<float>& stddev() const { return stddev_; }

  private:
    std::vector<float> mean_, stddev_;
};

// Fits on splits.train and applies to all three splits; returns the fitted statistics of x (a
// dataset's further inputs, moreX, are standardized each with its own statistics).
Standardizer standardize(DatasetSplits& splits);

// x := x * factor (e.g. 1/255 for pixels).
void scale(Tensor& x, float factor);
void scale(Dataset& data, float factor);
void scale(DatasetSplits& splits, float factor);

} // namespace strata::data
