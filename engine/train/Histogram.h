// A compact summary of a tensor's values for "weights over time" (TensorBoard's histograms and
// distributions): element count, non-finite count, min, max, mean and population standard
// deviation of the finite values, and the counts of kHistogramBins equal-width bins over
// [min, max] with NumPy's np.histogram(x, bins=30) semantics: edges lo + i * (hi - lo) / n (the
// last edge exactly hi), every bin half-open [e_i, e_i+1) except the last, which includes hi;
// when min == max the range is (min - 0.5, max + 0.5) as in NumPy. Non-finite values (NaN, +-Inf)
// are left out of every figure but nonFinite. A training run records one per trainable variable
// and epoch (app/session/ProjectTraining.cpp); the variables view draws them.
#pragma once

#include "engine/Tensor.h"

#include <cstdint>
#include <span>
#include <vector>

namespace strata::train {

inline constexpr int kHistogramBins = 30;

struct Histogram {
    int64_t count = 0;     // every element, finite or not
    int64_t nonFinite = 0; // NaN and +-Inf, in no bin
    double min = 0, max = 0, mean = 0, std = 0; // of the finite elements; 0 when there are none
    std::vector<uint32_t> bins;                 // kHistogramBins counts (all 0 when nothing is finite)
};

// The histogram of `values` in `bins` bins (at least 1).
Histogram histogramOf(std::span<const float> values, int bins = kHistogramBins);
// A float32 tensor's; throws StrataError for another dtype.
Histogram histogramOf(const Tensor& t, int bins = kHistogramBins);

// The bin edges of a histogram: bins.size() + 1 values from lo to hi, as histogramOf used them
// (lo, hi: min and max, or min - 0.5 and max + 0.5 when they are equal).
std::vector<double> histogramEdges(double min, double max, std::size_t bins);

// The value below which a fraction q (0..1) of the binned elements lie, reading the histogram as
// uniform within each bin (TensorBoard's distributions use q = 0, .0668, .1587, .3085, .5, ...);
// min for an empty histogram.
double histogramQuantile(const std::vector<uint32_t>& bins, double min, double max, double q);

} // namespace strata::train
