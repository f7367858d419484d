// Matmul and 2-D convolution on BLAS. A convolution over a chunk of images is one GEMM:
//   forward:        Y[rows, outC]  = col[rows, K] * W[K, outC]        (K = kH*kW*inC, HWIO order)
//   backprop input: dcol[rows, K]  = dY[rows, outC] * W^T, then col2im (scatter-add)
//   backprop filter dW[K, outC]   += col^T * dY
// where rows = images * outH * outW and col is the im2col matrix. 1x1 stride-1 unpadded
// convolutions skip im2col. Chunks keep the scratch (col) under kScratchBudget floats.
// Convolutions with at most kDirectMaxOutC output channels (an image model's last layer) are
// direct instead: a product with 1-4 columns does not pay for a patch matrix of K floats per
// pixel (fashion_autoencoder's 28x28x16 -> 28x28x1 layer took 5.0 of 12 s that way).
// Grouped and depthwise convolutions (groups > 1) are direct too: DepthwiseKernels.cpp.
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

constexpr int64_t kDirectMaxOutC = 4;
bool isDirect(const Window2D& w) { return w.outC <= kDirectMaxOutC && !isPointwise(w); }

// sum a[j] * b[j] in eight independent lanes (vectorizes without reassociating a single sum).
float dot(const float* a, const float* b, int64_t n) {
    float acc[8] = {};
    int64_t j = 0;
    for (; j + 8 <= n; j += 8)
        for (int l = 0; l < 8; ++l) acc[l] += a[j + l] * b[j + l];
    float sum = ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]));
    for (; j < n; ++j) sum += a[j] * b[j];
    return sum;
}

void axpy(float alpha, const float* x, float* y, int64_t n) {
    for (int64_t j = 0; j < n; ++j) y[j] += alpha * x[j];
}

// The window of output pixel (oh, ow) as contiguous runs: f(k, at, len) pairs patch elements
// k .. k+len (in (kh, kw, c) order) with input elements at .. at+len of one image. A kernel row
// that lies inside the image is one run of kW*C floats (NHWC); otherwise one run per pixel.
// Rows outside the image (padding) are skipped. kh >= 0: that kernel row only.
template <class F>
void windowRuns(const Window2D& w, int64_t oh, int64_t ow, int64_t onlyKh, const F& f) {
    const int64_t C = w.inC, iw0 = ow * w.strideW - w.padLeft;
    const bool inside = w.dilationW == 1 && iw0 >= 0 && iw0 + w.kW <= w.inW;
    for (int64_t kh = onlyKh < 0 ? 0 : onlyKh; kh < (onlyKh < 0 ? w.kH : onlyKh + 1); ++kh) {
        const int64_t ih = oh * w.strideH - w.padTop + kh * w.dilationH;
        if (ih < 0 || ih >= w.inH) continue;
        if (inside) {
            f(kh * w.kW * C, (ih * w.inW + iw0) * C, w.kW * C);
            continue;
        }
        for (int64_t kw = 0; kw < w.kW; ++kw) {
            const int64_t iw = iw0 + kw * w.dilationW;
            if (iw >= 0 && iw < w.inW) f((kh * w.kW + kw) * C, (ih * w.inW + iw) * C, C);
        }
    }
}

// filter [K][outC] -> wt [outC][K], so each output channel's weights are contiguous.
void transposeFilter(const Window2D& w, const float* filter, float* wt) {
    const int64_t K = patchSize(w);
    for (int64_t k = 0; k < K; ++k)
        for (int64_t co = 0; co < w.outC; ++co) wt[co * K + k] = filter[k * w.outC + co];
}

void conv2dDirect(const Window2D& w, const float* x, const float* filter, float* y, float* wt) {
    const int64_t K = patchSize(w), O = w.outC;
    transposeFilter(w, filter, wt);
    parallelFor(w.n, 1, [&](int64_t firstImage, int64_t endImage) {
        for (int64_t img = firstImage; img < endImage; ++img) {
            const float* xi = x + img * w.inH * w.inW * w.inC;
            for (int64_t oh = 0; oh < w.outH; ++oh)
                for (int64_t ow = 0; ow < w.outW; ++ow) {
                    float* yp = y + ((img * w.outH + oh) * w.outW + ow) * O;
                    float acc[kDirectMaxOutC] = {};
                    windowRuns(w, oh, ow, -1, [&](int64_t k, int64_t at, int64_t len) {
                        for (int64_t co = 0; co < O; ++co) acc[co] += dot(xi + at, wt + co * K + k, len);
                    });
                    for (int64_t co = 0; co < O; ++co) yp[co] = acc[co];
                }
        }
    });
}

void conv2dBackpropInputDirect(const Window2D& w, const float* dy, const float* filter, float* dx, float* wt) {
    const int64_t K = patchSize(w), O = w.outC;
    transposeFilter(w, filter, wt);
    parallelFor(w.n, 1, [&](int64_t firstImage, int64_t endImage) { // images scatter into their own dx
        for (int64_t img = firstImage; img < endImage; ++img) {
            float* dxi = dx + img * w.inH * w.inW * w.inC;
            for (int64_t oh = 0; oh < w.outH; ++oh)
                for (int64_t ow = 0; ow < w.outW; ++ow) {
                    const float* dyp = dy + ((img * w.outH + oh) * w.outW + ow) * O;
                    windowRuns(w, oh, ow, -1, [&](int64_t k, int64_t at, int64_t len) {
                        for (int64_t co = 0; co < O; ++co) axpy(dyp[co], wt + co * K + k, dxi + at, len);
                    });
                }
        }
    });
}

// Each (output channel, kernel row) pair is one task that owns its part of dwt and sums over
// every pixel in order: the result does not depend on the thread count.
void conv2dBackpropFilterDirect(const Window2D& w, const float* x, const float* dy, float* dfilter, float* dwt) {
    const int64_t K = patchSize(w), O = w.outC;
    std::fill_n(dwt, K * O, 0.0f);
    parallelFor(O * w.kH, 1, [&](int64_t firstTask, int64_t endTask) {
        for (int64_t task = firstTask; task < endTask; ++task) {
            const int64_t co = task / w.kH, kh = task % w.kH;
            float* d = dwt + co * K;
            for (int64_t img = 0; img < w.n; ++img) {
                const float* xi = x + img * w.inH * w.inW * w.inC;
                for (int64_t oh = 0; oh < w.outH; ++oh)
                    for (int64_t ow = 0; ow < w.outW; ++ow) {
                        const float g = dy[((img * w.outH + oh) * w.outW + ow) * O + co];
                        windowRuns(w, oh, ow, kh, [&](int64_t k, int64_t at, int64_t len) { axpy(g, xi + at, d + k, len); });
                    }
            }
        }
    });
    for (int64_t k = 0; k < K; ++k)
        for (int64_t co = 0; co < O; ++co) dfilter[k * O + co] = dwt[co * K + k];
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
    if (w.groups > 1) return 0; // grouped and depthwise convolutions are direct (DepthwiseKernels.cpp)
    if (isDirect(w)) return patchSize(w) * w.outC; // the filter, transposed
    return isPointwise(w) ? 0 : imagesPerChunk(w) * w.outH * w.outW * patchSize(w);
}

void conv2d(const Window2D& w, const float* x, const float* filter, float* y, float* scratch) {
    if (w.groups > 1) return groupedConv2d(w, x, filter, y);
    const int64_t K = patchSize(w), pixels = w.outH * w.outW;
    if (isPointwise(w)) return gemm(false, false, w.n * pixels, w.outC, K, x, filter, 0.0f, y);
    if (isDirect(w)) return conv2dDirect(w, x, filter, y, scratch);
    const int64_t chunk = imagesPerChunk(w);
    for (int64_t img = 0; img < w.n; img += chunk) {
        const int64_t count = std::min(chunk, w.n - img);
        im2col(w, x + img * w.inH * w.inW * w.inC, count, scratch);
        gemm(false, false, count * pixels, w.outC, K, scratch, filter, 0.0f, y + img * pixels * w.outC);
    }
}

void conv2dBackpropInput(const Window2D& w, const float* dy, const float* filter, float* dx, float* scratch) {
    if (w.groups > 1) return groupedConv2dBackpropInput(w, dy, filter, dx);
    const int64_t K = patchSize(w), pixels = w.outH * w.outW;
    if (isPointwise(w)) return gemm(false, true, w.n * pixels, K, w.outC, dy, filter, 0.0f, dx);
    std::fill_n(dx, w.n * w.inH * w.inW * w.inC, 0.0f);
    if (isDirect(w)) return conv2dBackpropInputDirect(w, dy, filter, dx, scratch);
    const int64_t chunk = imagesPerChunk(w);
    for (int64_t img = 0; img < w.n; img += chunk) {
        const int64_t count = std::min(chunk, w.n - img);
        gemm(false, true, count * pixels, K, w.outC, dy + img * pixels * w.outC, filter, 0.0f, scratch);
        col2im(w, scratch, count, dx + img * w.inH * w.inW * w.inC);
    }
}

void conv2dBackpropFilter(const Window2D& w, const float* x, const float* dy, float* dfilter, float* scratch) {
    if (w.groups > 1) return groupedConv2dBackpropFilter(w, x, dy, dfilter);
    const int64_t K = patchSize(w), pixels = w.outH * w.outW;
    if (isPointwise(w)) return gemm(true, false, K, w.outC, w.n * pixels, x, dy, 0.0f, dfilter);
    if (isDirect(w)) return conv2dBackpropFilterDirect(w, x, dy, dfilter, scratch);
    const int64_t chunk = imagesPerChunk(w);
    if (w.n == 0) std::fill_n(dfilter, K * w.outC, 0.0f);
    for (int64_t img = 0; img < w.n; img += chunk) {
        const int64_t count = std::min(chunk, w.n - img);
        im2col(w, x + img * w.inH * w.inW * w.inC, count, scratch);
        gemm(true, false, K, w.outC, count * pixels, scratch, dy + img * pixels * w.outC, img == 0 ? 0.0f : 1.0f, dfilter);
    }
}

} // namespace strata::cpu
