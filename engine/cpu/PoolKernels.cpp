// NHWC pooling. Windows are clipped to the input: max pooling never sees padding, average
// pooling divides by the number of valid elements (TensorFlow's "same" semantics).
#include "engine/cpu/Kernels.h"

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
    for (int64_t n = 0; n < w.n; ++n) {
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
}

void avgPool2d(const Window2D& w, const float* x, float* y) {
    const int64_t C = w.inC;
    for (int64_t n = 0; n < w.n; ++n) {
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
}

void maxPool2dGrad(const Window2D& w, const float* x, const float* dy, float* dx) {
    const int64_t C = w.inC;
    std::fill_n(dx, w.n * w.inH * w.inW * C, 0.0f);
    for (int64_t n = 0; n < w.n; ++n) {
        const float* xi = x + n * w.inH * w.inW * C;
        float* dxi = dx + n * w.inH * w.inW * C;
        for (int64_t oh = 0; oh < w.outH; ++oh)
            for (int64_t ow = 0; ow < w.outW; ++ow) {
                const float* g = dy + ((n * w.outH + oh) * w.outW + ow) * C;
                const Span r = rows(w, oh), c = cols(w, ow);
                for (int64_t ch = 0; ch < C; ++ch) { // the first maximum gets the gradient
                    int64_t best = -1;
                    float bestV = -std::numeric_limits<float>::infinity();
                    for (int64_t ih = r.begin; ih < r.end; ++ih)
                        for (int64_t iw = c.begin; iw < c.end; ++iw) {
                            const int64_t at = (ih * w.inW + iw) * C + ch;
                            if (best < 0 || xi[at] > bestV) best = at, bestV = xi[at];
                        }
                    if (best >= 0) dxi[best] += g[ch];
                }
            }
    }
}

void avgPool2dGrad(const Window2D& w, const float* dy, float* dx) {
    const int64_t C = w.inC;
    std::fill_n(dx, w.n * w.inH * w.inW * C, 0.0f);
    for (int64_t n = 0; n < w.n; ++n) {
        float* dxi = dx + n * w.inH * w.inW * C;
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
}

} // namespace strata::cpu
