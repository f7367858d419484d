#include "engine/train/Histogram.h"

#include "engine/Error.h"

#include <algorithm>
#include <cmath>

namespace strata::train {

namespace {
// NumPy's range for bins: (min - 0.5, max + 0.5) for a single value.
std::pair<double, double> binRange(double min, double max) {
    if (min == max) return {min - 0.5, max + 0.5};
    return {min, max};
}
} // namespace

std::vector<double> histogramEdges(double min, double max, std::size_t bins) {
    const auto [lo, hi] = binRange(min, max);
    // np.linspace(lo, hi, bins + 1): start + i * step, the last one exactly hi.
    const double step = (hi - lo) / double(bins);
    std::vector<double> edges(bins + 1);
    for (std::size_t i = 0; i < bins; ++i) edges[i] = lo + double(i) * step;
    edges[bins] = hi;
    return edges;
}

Histogram histogramOf(std::span<const float> values, int bins) {
    if (bins < 1) throw StrataError("a histogram needs at least 1 bin, got " + std::to_string(bins));
    Histogram h;
    h.count = int64_t(values.size());
    h.bins.assign(std::size_t(bins), 0);
    // One pass for the range, the sum and the count of finite values; a second for the bins and
    // the squared deviations (two passes: no cancellation in the variance).
    double lo = INFINITY, hi = -INFINITY, sum = 0;
    int64_t finite = 0;
    for (float v : values) {
        if (!std::isfinite(v)) continue;
        const double d = v;
        lo = std::min(lo, d);
        hi = std::max(hi, d);
        sum += d;
        ++finite;
    }
    h.nonFinite = h.count - finite;
    if (finite == 0) return h;
    h.min = lo;
    h.max = hi;
    h.mean = sum / double(finite);
    const std::vector<double> edges = histogramEdges(lo, hi, std::size_t(bins));
    const double first = edges.front(), norm = double(bins) / (edges.back() - first);
    double squares = 0;
    for (float v : values) {
        if (!std::isfinite(v)) continue;
        const double d = v;
        squares += (d - h.mean) * (d - h.mean);
        // NumPy's _search_sorted-free path: the index from the scaled offset, then corrected
        // against the edges themselves (rounding can put a value one bin off).
        int64_t i = int64_t((d - first) * norm);
        if (i >= bins) i = bins - 1;
        if (i > 0 && d < edges[std::size_t(i)]) --i;
        else if (i < bins - 1 && d >= edges[std::size_t(i) + 1]) ++i;
        ++h.bins[std::size_t(i)];
    }
    h.std = std::sqrt(squares / double(finite));
    return h;
}

Histogram histogramOf(const Tensor& t, int bins) {
    if (t.dtype() != DType::F32)
        throw StrataError("a histogram is made of float32 values, not " + std::string(dtypeName(t.dtype())));
    return histogramOf(t.values(), bins);
}

double histogramQuantile(const std::vector<uint32_t>& bins, double min, double max, double q) {
    uint64_t total = 0;
    for (uint32_t b : bins) total += b;
    if (total == 0 || bins.empty()) return min;
    if (min == max) return min;
    const std::vector<double> edges = histogramEdges(min, max, bins.size());
    const double target = std::clamp(q, 0.0, 1.0) * double(total);
    double below = 0;
    for (std::size_t i = 0; i < bins.size(); ++i) {
        if (bins[i] == 0) continue;
        if (below + double(bins[i]) >= target) {
            const double within = std::max(0.0, target - below) / double(bins[i]);
            return std::clamp(edges[i] + within * (edges[i + 1] - edges[i]), min, max);
        }
        below += double(bins[i]);
    }
    return max;
}

} // namespace strata::train
