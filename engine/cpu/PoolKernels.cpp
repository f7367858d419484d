// NHWC pooling. Windows are clipped to the input: max pooling never sees padding, average
// pooling divides by the number of valid elements (TensorFlow's "same" semantics).
#include "engine/cpu/Kernels.h"
#include "engine/cpu/ParallelFor.h"

#include <algorithm>
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

void maxPool2dGrad(const Window2D& w, const float* x, const float* dy, float* dx) {
    const int64_t C = w.inC;
    // Per window, the first maximum of each channel gets the gradient. Channels are innermost in
    // NHWC, so the window is scanned pixel by pixel with every channel's best kept side by side.
    parallelFor(w.n, 1, [&](int64_t firstImage, int64_t endImage) {
    constexpr int64_t kBlock = 256; // channels per pass: the maxima live on the stack
    float bv[kBlock];
    int64_t bi[kBlock];
    for (int64_t n = firstImage; n < endImage; ++n) {
        const float* xi = x + n * w.inH * w.inW * C;
        float* dxi = dx + n * w.inH * w.inW * C;
        std::fill_n(dxi, w.inH * w.inW * C, 0.0f);
        for (int64_t oh = 0; oh < w.outH; ++oh)
            for (int64_t ow = 0; ow < w.outW; ++ow) {
                const float* g = dy + ((n * w.outH + oh) * w.outW + ow) * C;
                const Span r = rows(w, oh), c = cols(w, ow);
                if (r.begin >= r.end || c.begin >= c.end) continue;
                for (int64_t c0 = 0; c0 < C; c0 += kBlock) {
                    const int64_t cb = std::min(kBlock, C - c0);
                    const int64_t first = (r.begin * w.inW + c.begin) * C + c0;
                    for (int64_t ch = 0; ch < cb; ++ch) bi[ch] = first + ch, bv[ch] = xi[first + ch];
                    for (int64_t ih = r.begin; ih < r.end; ++ih)
                        for (int64_t iw = c.begin; iw < c.end; ++iw) {
                            const int64_t at = (ih * w.inW + iw) * C + c0;
                            const float* src = xi + at;
                            for (int64_t ch = 0; ch < cb; ++ch)
                                if (src[ch] > bv[ch]) bv[ch] = src[ch], bi[ch] = at + ch;
                        }
                    for (int64_t ch = 0; ch < cb; ++ch) dxi[bi[ch]] += g[c0 + ch];
                }
            }
    }
    });
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
