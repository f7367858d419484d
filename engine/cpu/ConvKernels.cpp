// Matmul and 2-D convolution on BLAS. A convolution over a chunk of images is one GEMM:
//   forward:        Y[rows, outC]  = col[rows, K] * W[K, outC]        (K = kH*kW*inC, HWIO order)
//   backprop input: dcol[rows, K]  = dY[rows, outC] * W^T, then col2im (scatter-add)
//   backprop filter dW[K, outC]   += col^T * dY
// where rows = images * outH * outW and col is the im2col matrix. 1x1 stride-1 unpadded
// convolutions skip im2col. Chunks keep the scratch (col) under kScratchBudget floats.
#include "engine/cpu/Kernels.h"
#include "engine/cpu/ParallelFor.h"

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wpedantic" // openblas_config.h uses C99 _Complex
#include <cblas.h>
#pragma GCC diagnostic pop

#include <algorithm>
#include <cstring>

namespace strata::cpu {

namespace {
constexpr int64_t kScratchBudget = int64_t(1) << 22; // 16 MiB of floats

int64_t patchSize(const Window2D& w) { return w.kH * w.kW * w.inC; }
int64_t imagesPerChunk(const Window2D& w) {
    const int64_t perImage = w.outH * w.outW * patchSize(w);
    return std::clamp<int64_t>(kScratchBudget / std::max<int64_t>(perImage, 1), 1, std::max<int64_t>(w.n, 1));
}
bool isPointwise(const Window2D& w) {
    return w.kH == 1 && w.kW == 1 && w.strideH == 1 && w.strideW == 1 && w.padTop == 0 && w.padLeft == 0;
}

// col[(img, oh, ow), (kh, kw, c)] for `count` images starting at x. In NHWC a kernel row's kW
// pixels are kW*C contiguous floats, copied in one go when they lie inside the image.
void im2col(const Window2D& w, const float* x, int64_t count, float* col) {
    const int64_t K = patchSize(w), C = w.inC, rowSpan = w.kW * C;
    parallelFor(count, 1, [&](int64_t firstImage, int64_t endImage) {
    for (int64_t img = firstImage; img < endImage; ++img) {
        const float* xi = x + img * w.inH * w.inW * C;
        for (int64_t oh = 0; oh < w.outH; ++oh)
            for (int64_t ow = 0; ow < w.outW; ++ow) {
                float* row = col + ((img * w.outH + oh) * w.outW + ow) * K;
                const int64_t iw0 = ow * w.strideW - w.padLeft;
                const bool inside = w.dilationW == 1 && iw0 >= 0 && iw0 + w.kW <= w.inW;
                for (int64_t kh = 0; kh < w.kH; ++kh) {
                    const int64_t ih = oh * w.strideH - w.padTop + kh * w.dilationH;
                    float* dst = row + kh * rowSpan;
                    if (ih < 0 || ih >= w.inH) {
                        std::fill_n(dst, rowSpan, 0.0f);
                        continue;
                    }
                    const float* line = xi + ih * w.inW * C;
                    if (inside) {
                        const float* src = line + iw0 * C;
                        for (int64_t i = 0; i < rowSpan; ++i) dst[i] = src[i];
                        continue;
                    }
                    for (int64_t kw = 0; kw < w.kW; ++kw) {
                        const int64_t iw = iw0 + kw * w.dilationW;
                        float* d = dst + kw * C;
                        if (iw < 0 || iw >= w.inW) std::fill_n(d, C, 0.0f);
                        else std::copy_n(line + iw * C, C, d);
                    }
                }
            }
    }
    });
}

// The adjoint of im2col: dx += scatter of dcol (dx must be zeroed by the caller).
void col2im(const Window2D& w, const float* col, int64_t count, float* dx) {
    const int64_t K = patchSize(w), C = w.inC;
    parallelFor(count, 1, [&](int64_t firstImage, int64_t endImage) { // images scatter into their own dx
    for (int64_t img = firstImage; img < endImage; ++img) {
        float* xi = dx + img * w.inH * w.inW * C;
        for (int64_t oh = 0; oh < w.outH; ++oh)
            for (int64_t ow = 0; ow < w.outW; ++ow) {
                const float* row = col + ((img * w.outH + oh) * w.outW + ow) * K;
                for (int64_t kh = 0; kh < w.kH; ++kh) {
                    const int64_t ih = oh * w.strideH - w.padTop + kh * w.dilationH;
                    if (ih < 0 || ih >= w.inH) continue;
                    for (int64_t kw = 0; kw < w.kW; ++kw) {
                        const int64_t iw = ow * w.strideW - w.padLeft + kw * w.dilationW;
                        if (iw < 0 || iw >= w.inW) continue;
                        const float* src = row + (kh * w.kW + kw) * C;
                        float* dst = xi + (ih * w.inW + iw) * C;
                        for (int64_t c = 0; c < C; ++c) dst[c] += src[c];
                    }
                }
            }
    }
    });
}

void gemm(bool ta, bool tb, int64_t m, int64_t n, int64_t k, const float* a, const float* b, float beta, float* c) {
    cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, int(m), int(n), int(k),
                1.0f, a, int(ta ? m : k), b, int(tb ? k : n), beta, c, int(n));
}
} // namespace

void matmul(const float* a, const float* b, float* out, int64_t m, int64_t n, int64_t k, bool ta, bool tb) {
    if (k == 0) {
        std::fill_n(out, m * n, 0.0f);
        return;
    }
    gemm(ta, tb, m, n, k, a, b, 0.0f, out);
}

int64_t convScratchFloats(const Window2D& w) {
    return isPointwise(w) ? 0 : imagesPerChunk(w) * w.outH * w.outW * patchSize(w);
}

void conv2d(const Window2D& w, const float* x, const float* filter, float* y, float* scratch) {
    const int64_t K = patchSize(w), pixels = w.outH * w.outW;
    if (isPointwise(w)) return gemm(false, false, w.n * pixels, w.outC, K, x, filter, 0.0f, y);
    const int64_t chunk = imagesPerChunk(w);
    for (int64_t img = 0; img < w.n; img += chunk) {
        const int64_t count = std::min(chunk, w.n - img);
        im2col(w, x + img * w.inH * w.inW * w.inC, count, scratch);
        gemm(false, false, count * pixels, w.outC, K, scratch, filter, 0.0f, y + img * pixels * w.outC);
    }
}

void conv2dBackpropInput(const Window2D& w, const float* dy, const float* filter, float* dx, float* scratch) {
    const int64_t K = patchSize(w), pixels = w.outH * w.outW;
    if (isPointwise(w)) return gemm(false, true, w.n * pixels, K, w.outC, dy, filter, 0.0f, dx);
    std::fill_n(dx, w.n * w.inH * w.inW * w.inC, 0.0f);
    const int64_t chunk = imagesPerChunk(w);
    for (int64_t img = 0; img < w.n; img += chunk) {
        const int64_t count = std::min(chunk, w.n - img);
        gemm(false, true, count * pixels, K, w.outC, dy + img * pixels * w.outC, filter, 0.0f, scratch);
        col2im(w, scratch, count, dx + img * w.inH * w.inW * w.inC);
    }
}

void conv2dBackpropFilter(const Window2D& w, const float* x, const float* dy, float* dfilter, float* scratch) {
    const int64_t K = patchSize(w), pixels = w.outH * w.outW;
    if (isPointwise(w)) return gemm(true, false, K, w.outC, w.n * pixels, x, dy, 0.0f, dfilter);
    const int64_t chunk = imagesPerChunk(w);
    if (w.n == 0) std::fill_n(dfilter, K * w.outC, 0.0f);
    for (int64_t img = 0; img < w.n; img += chunk) {
        const int64_t count = std::min(chunk, w.n - img);
        im2col(w, x + img * w.inH * w.inW * w.inC, count, scratch);
        gemm(true, false, K, w.outC, count * pixels, scratch, dy + img * pixels * w.outC, img == 0 ? 0.0f : 1.0f, dfilter);
    }
}

} // namespace strata::cpu
