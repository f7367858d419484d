// NHWC pooling. Windows are clipped to the input: max pooling never sees padding, average
// pooling divides by the number of valid elements (TensorFlow's "same" semantics).
#include "engine/cpu/Kernels.h"
#include "engine/cpu/ParallelFor.h"

#include <algorithm>
#include <bit>
#include <limits>

namespace strata::cpu {

namespace {
struct Span {
    int64_t begin, end;
};
Span rows(const Window2D& w, int64_t oh) {
    const int64_t b = oh * w.strideH - w.padTop;
    return {std::max<int64_t>(b, 0), std::min(b + w.kH, w.inH)};
}
Span cols(const Window2D& w, int64_t ow) {
    const int64_t b = ow * w.strideW - w.padLeft;
    return {std::max<int64_t>(b, 0), std::min(b + w.kW, w.inW)};
}
} // namespace

void maxPool2d(const Window2D& w, const float* x, float* y) {
    const int64_t C = w.inC;
    parallelFor(w.n, 1, [&](int64_t firstImage, int64_t endImage) {
    for (int64_t n = firstImage; n < endImage; ++n) {
        const float* xi = x + n * w.inH * w.inW * C;
        for (int64_t oh = 0; oh < w.outH; ++oh)
            for (int64_t ow = 0; ow < w.outW; ++ow) {
                float* out = y + ((n * w.outH + oh) * w.outW + ow) * C;
                std::fill_n(out, C, -std::numeric_limits<float>::infinity());
                const Span r = rows(w, oh), c = cols(w, ow);
                for (int64_t ih = r.begin; ih < r.end; ++ih)
                    for (int64_t iw = c.begin; iw < c.end; ++iw) {
                        const float* src = xi + (ih * w.inW + iw) * C;
                        for (int64_t ch = 0; ch < C; ++ch) out[ch] = std::max(out[ch], src[ch]);
                    }
            }
    }
    });
}

void avgPool2d(const Window2D& w, const float* x, float* y) {
    const int64_t C = w.inC;
    parallelFor(w.n, 1, [&](int64_t firstImage, int64_t endImage) {
    for (int64_t n = firstImage; n < endImage; ++n) {
        const float* xi = x + n * w.inH * w.inW * C;
        for (int64_t oh = 0; oh < w.outH; ++oh)
            for (int64_t ow = 0; ow < w.outW; ++ow) {
                float* out = y + ((n * w.outH + oh) * w.outW + ow) * C;
                std::fill_n(out, C, 0.0f);
                const Span r = rows(w, oh), c = cols(w, ow);
                for (int64_t ih = r.begin; ih < r.end; ++ih)
                    for (int64_t iw = c.begin; iw < c.end; ++iw) {
                        const float* src = xi + (ih * w.inW + iw) * C;
                        for (int64_t ch = 0; ch < C; ++ch) out[ch] += src[ch];
                    }
                const float inv = 1.0f / float(std::max<int64_t>((r.end - r.begin) * (c.end - c.begin), 1));
                for (int64_t ch = 0; ch < C; ++ch) out[ch] *= inv;
            }
    }
    });
}

namespace {
template <typename Offset>
void maxPool2dGradScan(const Window2D& w, const float* x, const float* dy, float* dx) {
    const int64_t C = w.inC;
    // Windows that tile the image exactly (stride = pool size, no padding, nothing left over):
    // every pixel is in one window, so each window writes its pixels once (the gradient at the
    // winner, 0 elsewhere) and dx needs no clearing pass and no read-modify-write.
    const bool tiles = w.strideH == w.kH && w.strideW == w.kW && w.padTop == 0 && w.padLeft == 0 && w.outH * w.kH == w.inH &&
                       w.outW * w.kW == w.inW && w.dilationH == 1 && w.dilationW == 1;
    parallelFor(w.n, 1, [&](int64_t firstImage, int64_t endImage) {
    constexpr int64_t kBlock = 256; // channels per pass: the maxima live on the stack
    float bv[kBlock];
    Offset bi[kBlock]; // the winning pixel's offset in the image (without the channel)
    for (int64_t n = firstImage; n < endImage; ++n) {
        const float* xi = x + n * w.inH * w.inW * C;
        float* dxi = dx + n * w.inH * w.inW * C;
        if (!tiles) std::fill_n(dxi, w.inH * w.inW * C, 0.0f);
        for (int64_t oh = 0; oh < w.outH; ++oh)
            for (int64_t ow = 0; ow < w.outW; ++ow) {
                const float* g = dy + ((n * w.outH + oh) * w.outW + ow) * C;
                const Span r = rows(w, oh), c = cols(w, ow);
                if (r.begin >= r.end || c.begin >= c.end) continue;
                for (int64_t c0 = 0; c0 < C; c0 += kBlock) {
                    const int64_t cb = std::min(kBlock, C - c0);
                    const auto first = Offset((r.begin * w.inW + c.begin) * C + c0);
                    for (int64_t ch = 0; ch < cb; ++ch) bi[ch] = first, bv[ch] = xi[first + ch];
                    for (int64_t ih = r.begin; ih < r.end; ++ih)
                        for (int64_t iw = c.begin; iw < c.end; ++iw) {
                            const auto at = Offset((ih * w.inW + iw) * C + c0);
                            const float* src = xi + at;
                            for (int64_t ch = 0; ch < cb; ++ch) { // the first maximum wins, as before
                                const float v = src[ch], b = bv[ch];
                                const Offset take = -Offset(v > b); // all ones or zero: no branch
                                bv[ch] = v > b ? v : b;
                                bi[ch] = (at & take) | (bi[ch] & ~take);
                            }
                        }
                    if (!tiles) {
                        for (int64_t ch = 0; ch < cb; ++ch) dxi[bi[ch] + ch] += g[c0 + ch];
                        continue;
                    }
                    for (int64_t ih = r.begin; ih < r.end; ++ih)
                        for (int64_t iw = c.begin; iw < c.end; ++iw) {
                            const auto at = Offset((ih * w.inW + iw) * C + c0);
                            float* dst = dxi + at;
                            const float* gi = g + c0;
                            for (int64_t ch = 0; ch < cb; ++ch) { // g where this pixel won, else 0, by masks
                                const auto mask = uint32_t(-int32_t(bi[ch] == at));
                                dst[ch] = std::bit_cast<float>(std::bit_cast<uint32_t>(gi[ch]) & mask);
                            }
                        }
                }
            }
    }
    });
}
} // namespace

void maxPool2dGrad(const Window2D& w, const float* x, const float* dy, float* dx) {
    const int64_t C = w.inC;
    // Per window, the first maximum of each channel gets the gradient. Channels are innermost in
    // NHWC, so the window is scanned pixel by pixel with every channel's best kept side by side.
    // The winners are kept as int32 offsets of their pixel inside the image, so the scan is a
    // branch-free select over floats and int32s of the same width, which the compiler vectorizes;
    // an image of 2^31 values or more keeps 64-bit offsets.
    const int64_t imageSize = w.inH * w.inW * C;
    if (imageSize < (int64_t(1) << 31)) return maxPool2dGradScan<int32_t>(w, x, dy, dx);
    maxPool2dGradScan<int64_t>(w, x, dy, dx);
}

void avgPool2dGrad(const Window2D& w, const float* dy, float* dx) {
    const int64_t C = w.inC;
    parallelFor(w.n, 1, [&](int64_t firstImage, int64_t endImage) {
    for (int64_t n = firstImage; n < endImage; ++n) {
        float* dxi = dx + n * w.inH * w.inW * C;
        std::fill_n(dxi, w.inH * w.inW * C, 0.0f);
        for (int64_t oh = 0; oh < w.outH; ++oh)
            for (int64_t ow = 0; ow < w.outW; ++ow) {
                const float* g = dy + ((n * w.outH + oh) * w.outW + ow) * C;
                const Span r = rows(w, oh), c = cols(w, ow);
                const float inv = 1.0f / float(std::max<int64_t>((r.end - r.begin) * (c.end - c.begin), 1));
                for (int64_t ih = r.begin; ih < r.end; ++ih)
                    for (int64_t iw = c.begin; iw < c.end; ++iw) {
                        float* dst = dxi + (ih * w.inW + iw) * C;
                        for (int64_t ch = 0; ch < C; ++ch) dst[ch] += g[ch] * inv;
                    }
            }
    }
    });
}

} // namespace strata::cpu
