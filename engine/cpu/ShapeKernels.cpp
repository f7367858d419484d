#include "engine/cpu/Kernels.h"

#include "engine/Error.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

namespace strata::cpu {

namespace {
constexpr std::size_t kMaxRank = 8;

void requireRank(const Shape& s, const char* what) {
    if (s.rank() > kMaxRank) throw StrataError(std::string(what) + ": rank above 8 is not supported: " + s.toString());
}
} // namespace

void reduce(bool mean, const float* x, const Shape& s, const std::vector<int64_t>& axes, float* out) {
    requireRank(s, "reduce");
    // Output stride per input dim: 0 on reduced axes. Then merge runs of alike dims.
    int64_t os[kMaxRank];
    int64_t acc = 1;
    for (std::size_t i = s.rank(); i-- > 0;) {
        const bool reduced = std::binary_search(axes.begin(), axes.end(), int64_t(i));
        os[i] = reduced ? 0 : acc;
        if (!reduced) acc *= s[i];
    }
    const int64_t outN = acc, inN = s.numElements();
    int64_t dims[kMaxRank], st[kMaxRank];
    std::size_t r = 0;
    for (std::size_t i = 0; i < s.rank(); ++i) {
        if (s[i] == 1) continue;
        if (r && ((st[r - 1] == 0 && os[i] == 0) || (st[r - 1] != 0 && st[r - 1] == os[i] * s[i]))) {
            dims[r - 1] *= s[i];
            st[r - 1] = os[i];
            continue;
        }
        dims[r] = s[i], st[r] = os[i];
        ++r;
    }
    if (!r) dims[0] = 1, st[0] = 0, r = 1;
    std::fill_n(out, outN, 0.0f);
    const int64_t n = dims[r - 1], last = st[r - 1];
    int64_t idx[kMaxRank] = {};
    int64_t o = 0;
    for (int64_t done = 0; done < inN; done += n) {
        const float* xr = x + done;
        if (last == 0) {
            float sum = 0.0f;
            for (int64_t j = 0; j < n; ++j) sum += xr[j];
            out[o] += sum;
        } else {
            float* orow = out + o;
            for (int64_t j = 0; j < n; ++j) orow[j] += xr[j];
        }
        for (std::size_t d = r - 1; d-- > 0;) {
            o += st[d];
            if (++idx[d] < dims[d]) break;
            o -= st[d] * dims[d];
            idx[d] = 0;
        }
    }
    if (mean && outN > 0 && inN > 0) {
        const float scale = float(outN) / float(inN);
        for (int64_t i = 0; i < outN; ++i) out[i] *= scale;
    }
}

void transpose(const void* xv, const Shape& sx, const std::vector<int64_t>& perm, void* outv) {
    requireRank(sx, "transpose");
    const auto* x = static_cast<const uint32_t*>(xv);
    auto* out = static_cast<uint32_t*>(outv);
    const std::size_t r = sx.rank();
    int64_t inStride[kMaxRank], dims[kMaxRank], st[kMaxRank];
    int64_t acc = 1;
    for (std::size_t i = r; i-- > 0;) inStride[i] = acc, acc *= sx[i];
    for (std::size_t i = 0; i < r; ++i) dims[i] = sx[std::size_t(perm[i])], st[i] = inStride[perm[i]];
    const int64_t total = sx.numElements();
    if (r == 0 || total == 0) {
        if (total) out[0] = x[0];
        return;
    }
    const int64_t n = dims[r - 1], s = st[r - 1];
    int64_t idx[kMaxRank] = {};
    int64_t off = 0;
    for (int64_t done = 0; done < total; done += n) {
        for (int64_t j = 0; j < n; ++j) out[done + j] = x[off + j * s];
        for (std::size_t d = r - 1; d-- > 0;) {
            off += st[d];
            if (++idx[d] < dims[d]) break;
            off -= st[d] * dims[d];
            idx[d] = 0;
        }
    }
}

void concat(const std::vector<const void*>& xs, const std::vector<Shape>& shapes, int64_t axis, void* outv) {
    const Shape& s0 = shapes[0];
    int64_t outer = 1, inner = 1, outAxis = 0;
    for (int64_t i = 0; i < axis; ++i) outer *= s0[std::size_t(i)];
    for (std::size_t i = std::size_t(axis) + 1; i < s0.rank(); ++i) inner *= s0[i];
    for (const Shape& s : shapes) outAxis += s[std::size_t(axis)];
    auto* out = static_cast<std::byte*>(outv);
    int64_t col = 0;
    for (std::size_t k = 0; k < xs.size(); ++k) {
        const int64_t chunk = shapes[k][std::size_t(axis)] * inner;
        const auto* x = static_cast<const std::byte*>(xs[k]);
        for (int64_t o = 0; o < outer; ++o)
            std::memcpy(out + (o * outAxis * inner + col) * 4, x + o * chunk * 4, std::size_t(chunk) * 4);
        col += chunk;
    }
}

void slice(const void* xv, const Shape& sx, int64_t axis, int64_t begin, int64_t size, void* outv) {
    int64_t outer = 1, inner = 1;
    for (int64_t i = 0; i < axis; ++i) outer *= sx[std::size_t(i)];
    for (std::size_t i = std::size_t(axis) + 1; i < sx.rank(); ++i) inner *= sx[i];
    const int64_t inRow = sx[std::size_t(axis)] * inner, outRow = size * inner;
    const auto* x = static_cast<const std::byte*>(xv);
    auto* out = static_cast<std::byte*>(outv);
    for (int64_t o = 0; o < outer; ++o)
        std::memcpy(out + o * outRow * 4, x + (o * inRow + begin * inner) * 4, std::size_t(outRow) * 4);
}

void softmaxRows(const float* x, float* y, int64_t rows, int64_t cols, bool logSoftmax) {
    for (int64_t r = 0; r < rows; ++r) {
        const float* xr = x + r * cols;
        float* yr = y + r * cols;
        float mx = -std::numeric_limits<float>::infinity();
        for (int64_t j = 0; j < cols; ++j) mx = std::max(mx, xr[j]);
        float sum = 0.0f;
        for (int64_t j = 0; j < cols; ++j) {
            yr[j] = std::exp(xr[j] - mx);
            sum += yr[j];
        }
        if (logSoftmax) {
            const float lse = mx + std::log(sum);
            for (int64_t j = 0; j < cols; ++j) yr[j] = xr[j] - lse;
        } else {
            const float inv = 1.0f / sum;
            for (int64_t j = 0; j < cols; ++j) yr[j] *= inv;
        }
    }
}

} // namespace strata::cpu
