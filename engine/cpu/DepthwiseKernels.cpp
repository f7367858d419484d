// Grouped and depthwise 2-D convolutions, direct (no im2col, no GEMM). With G groups the filter is
// HWIO with I = inC/G (cinG) and outC = G * coutG; output channel o reads the input channels of its
// group g = o / coutG. A depthwise convolution is cinG == 1 (coutG = depth_multiplier).
//
// Every pass loops over kernel taps (kh, kw) and, inside, over the channels of one pixel, which
// are contiguous in NHWC and in the filter's last axis, so the inner loops vectorize:
//   forward         y[oh, ow, o]      = sum_taps sum_ci x[ih, iw, g*cinG + ci] w[kh, kw, ci, o]
//   backprop input  dx[ih, iw, c]     = the same sum gathered over the (oh, ow) that read (ih, iw)
//   backprop filter dw[kh, kw, ci, o] = sum_pixels x[ih, iw, g*cinG + ci] dy[oh, ow, o]
// Forward and backprop input own their output rows; backprop filter splits the taps and channel
// blocks between tasks and sums every pixel in order, so results do not depend on the thread count.
#include "engine/cpu/Kernels.h"
#include "engine/cpu/ParallelFor.h"

#include <algorithm>

namespace strata::cpu {

namespace {

struct Groups {
    int64_t cinG, coutG, G, C, O;
    explicit Groups(const Window2D& w)
        : cinG(w.inC / w.groups), coutG(w.outC / w.groups), G(w.groups), C(w.inC), O(w.outC) {}
};

// y[0..O) += the contribution of one input pixel xp through one tap's filter wp [cinG][O].
void tapForward(const Groups& s, const float* xp, const float* wp, float* yp) {
    if (s.cinG == 1 && s.coutG == 1) {
        for (int64_t o = 0; o < s.O; ++o) yp[o] += xp[o] * wp[o];
    } else if (s.cinG == 1) {
        for (int64_t c = 0; c < s.C; ++c) {
            const float xv = xp[c];
            float* y = yp + c * s.coutG;
            const float* wv = wp + c * s.coutG;
            for (int64_t m = 0; m < s.coutG; ++m) y[m] += xv * wv[m];
        }
    } else {
        for (int64_t g = 0; g < s.G; ++g)
            for (int64_t ci = 0; ci < s.cinG; ++ci) {
                const float xv = xp[g * s.cinG + ci];
                const float* wv = wp + ci * s.O + g * s.coutG;
                float* y = yp + g * s.coutG;
                for (int64_t m = 0; m < s.coutG; ++m) y[m] += xv * wv[m];
            }
    }
}

// dx[0..C) += the contribution of one output gradient pixel dyp through one tap's filter wp.
void tapBackpropInput(const Groups& s, const float* dyp, const float* wp, float* dxp) {
    if (s.cinG == 1 && s.coutG == 1) {
        for (int64_t c = 0; c < s.C; ++c) dxp[c] += dyp[c] * wp[c];
        return;
    }
    for (int64_t g = 0; g < s.G; ++g)
        for (int64_t ci = 0; ci < s.cinG; ++ci) {
            const float* d = dyp + g * s.coutG;
            const float* wv = wp + ci * s.O + g * s.coutG;
            float acc = 0.0f;
            for (int64_t m = 0; m < s.coutG; ++m) acc += d[m] * wv[m];
            dxp[g * s.cinG + ci] += acc;
        }
}

// dw (one tap, [cinG][O]) += x pixel (x) dy pixel, for the groups [g0, g1) only.
void tapBackpropFilter(const Groups& s, const float* xp, const float* dyp, float* dwp, int64_t g0, int64_t g1) {
    if (s.cinG == 1 && s.coutG == 1) {
        for (int64_t o = g0; o < g1; ++o) dwp[o] += xp[o] * dyp[o];
        return;
    }
    for (int64_t g = g0; g < g1; ++g)
        for (int64_t ci = 0; ci < s.cinG; ++ci) {
            const float xv = xp[g * s.cinG + ci];
            const float* d = dyp + g * s.coutG;
            float* dw = dwp + ci * s.O + g * s.coutG;
            for (int64_t m = 0; m < s.coutG; ++m) dw[m] += xv * d[m];
        }
}

} // namespace

void groupedConv2d(const Window2D& w, const float* x, const float* filter, float* y) {
    const Groups s(w);
    const int64_t tap = s.cinG * s.O;
    parallelFor(w.n * w.outH, 1, [&](int64_t first, int64_t end) {
        for (int64_t row = first; row < end; ++row) {
            const int64_t img = row / w.outH, oh = row % w.outH;
            const float* xi = x + img * w.inH * w.inW * s.C;
            for (int64_t ow = 0; ow < w.outW; ++ow) {
                float* yp = y + (row * w.outW + ow) * s.O;
                std::fill_n(yp, s.O, 0.0f);
                for (int64_t kh = 0; kh < w.kH; ++kh) {
                    const int64_t ih = oh * w.strideH - w.padTop + kh * w.dilationH;
                    if (ih < 0 || ih >= w.inH) continue;
                    for (int64_t kw = 0; kw < w.kW; ++kw) {
                        const int64_t iw = ow * w.strideW - w.padLeft + kw * w.dilationW;
                        if (iw < 0 || iw >= w.inW) continue;
                        tapForward(s, xi + (ih * w.inW + iw) * s.C, filter + (kh * w.kW + kw) * tap, yp);
                    }
                }
            }
        }
    });
}

void groupedConv2dBackpropInput(const Window2D& w, const float* dy, const float* filter, float* dx) {
    const Groups s(w);
    const int64_t tap = s.cinG * s.O;
    parallelFor(w.n * w.inH, 1, [&](int64_t first, int64_t end) {
        for (int64_t row = first; row < end; ++row) {
            const int64_t img = row / w.inH, ih = row % w.inH;
            const float* dyi = dy + img * w.outH * w.outW * s.O;
            for (int64_t iw = 0; iw < w.inW; ++iw) {
                float* dxp = dx + (row * w.inW + iw) * s.C;
                std::fill_n(dxp, s.C, 0.0f);
                for (int64_t kh = 0; kh < w.kH; ++kh) {
                    const int64_t th = ih + w.padTop - kh * w.dilationH; // = oh * strideH
                    if (th < 0 || th % w.strideH != 0 || th / w.strideH >= w.outH) continue;
                    const int64_t oh = th / w.strideH;
                    for (int64_t kw = 0; kw < w.kW; ++kw) {
                        const int64_t tw = iw + w.padLeft - kw * w.dilationW;
                        if (tw < 0 || tw % w.strideW != 0 || tw / w.strideW >= w.outW) continue;
                        tapBackpropInput(s, dyi + (oh * w.outW + tw / w.strideW) * s.O, filter + (kh * w.kW + kw) * tap, dxp);
                    }
                }
            }
        }
    });
}

void groupedConv2dBackpropFilter(const Window2D& w, const float* x, const float* dy, float* dfilter) {
    const Groups s(w);
    const int64_t tap = s.cinG * s.O, taps = w.kH * w.kW;
    // Blocks of whole groups, about 64 filter columns each, so two threads find work in a 3x3 filter.
    const int64_t groupsPerBlock = std::max<int64_t>(1, 64 / std::max<int64_t>(s.coutG * s.cinG, 1));
    const int64_t blocks = (s.G + groupsPerBlock - 1) / groupsPerBlock;
    std::fill_n(dfilter, taps * tap, 0.0f);
    parallelFor(taps * blocks, 1, [&](int64_t first, int64_t end) {
        for (int64_t task = first; task < end; ++task) {
            const int64_t k = task / blocks, kh = k / w.kW, kw = k % w.kW;
            const int64_t g0 = (task % blocks) * groupsPerBlock, g1 = std::min(s.G, g0 + groupsPerBlock);
            float* dwp = dfilter + k * tap;
            for (int64_t img = 0; img < w.n; ++img) {
                const float* xi = x + img * w.inH * w.inW * s.C;
                for (int64_t oh = 0; oh < w.outH; ++oh) {
                    const int64_t ih = oh * w.strideH - w.padTop + kh * w.dilationH;
                    if (ih < 0 || ih >= w.inH) continue;
                    const float* dyr = dy + (img * w.outH + oh) * w.outW * s.O;
                    for (int64_t ow = 0; ow < w.outW; ++ow) {
                        const int64_t iw = ow * w.strideW - w.padLeft + kw * w.dilationW;
                        if (iw < 0 || iw >= w.inW) continue;
                        tapBackpropFilter(s, xi + (ih * w.inW + iw) * s.C, dyr + ow * s.O, dwp, g0, g1);
                    }
                }
            }
        }
    });
}

} // namespace strata::cpu
