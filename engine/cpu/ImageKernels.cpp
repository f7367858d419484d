// The ImageTransform op and its adjoint (engine/ir/ImageGeometry.h says how a pixel is sampled).
#include "engine/cpu/Kernels.h"
#include "engine/cpu/ParallelFor.h"
#include "engine/ir/ImageGeometry.h"

#include <algorithm>
#include <cmath>

namespace strata::cpu {

namespace {

// The taps (flat pixel index, or -1 for the fill value, and weight) of output pixel (i, j).
struct Taps {
    int64_t at[4] = {-1, -1, -1, -1};
    float w[4] = {0, 0, 0, 0};
    int count = 0;
};

Taps taps(const ImageTransformParams& p, const float* t, int64_t i, int64_t j) {
    Taps r;
    const float fj = float(j), fi = float(i);
    const float k = t[6] * fj + t[7] * fi + 1.0f;
    if (k == 0.0f) {
        r.count = 1, r.w[0] = 1.0f;
        return r;
    }
    const auto mode = ir::ImageFill(p.fillMode);
    const float x = ir::mapImageCoordinate((t[0] * fj + t[1] * fi + t[2]) / k, p.w, mode);
    const float y = ir::mapImageCoordinate((t[3] * fj + t[4] * fi + t[5]) / k, p.h, mode);
    auto index = [&](float yy, float xx) -> int64_t {
        if (!(yy >= 0.0f && yy < float(p.h) && xx >= 0.0f && xx < float(p.w))) return -1;
        return int64_t(yy) * p.w + int64_t(xx);
    };
    if (p.interpolation == 0) {
        r.count = 1, r.w[0] = 1.0f, r.at[0] = index(std::round(y), std::round(x));
        return r;
    }
    const float y0 = std::floor(y), x0 = std::floor(x), y1 = y0 + 1.0f, x1 = x0 + 1.0f;
    r.count = 4;
    r.at[0] = index(y0, x0), r.w[0] = (y1 - y) * (x1 - x);
    r.at[1] = index(y0, x1), r.w[1] = (y1 - y) * (x - x0);
    r.at[2] = index(y1, x0), r.w[2] = (y - y0) * (x1 - x);
    r.at[3] = index(y1, x1), r.w[3] = (y - y0) * (x - x0);
    return r;
}

} // namespace

void imageTransform(const ImageTransformParams& p, const float* x, const float* transforms, float* y) {
    parallelFor(p.n * p.h, 1, [&](int64_t first, int64_t end) {
        for (int64_t row = first; row < end; ++row) {
            const int64_t n = row / p.h, i = row % p.h;
            const float* img = x + n * p.h * p.w * p.c;
            for (int64_t j = 0; j < p.w; ++j) {
                const Taps tp = taps(p, transforms + n * 8, i, j);
                float* out = y + ((n * p.h + i) * p.w + j) * p.c;
                for (int64_t c = 0; c < p.c; ++c) {
                    // The weighted taps in TF's order: (x1 - x) v00 + (x - x0) v01 along x, then along y.
                    if (tp.count == 1) {
                        out[c] = tp.at[0] >= 0 ? img[tp.at[0] * p.c + c] : p.fillValue;
                        continue;
                    }
                    float v[4];
                    for (int k = 0; k < 4; ++k) v[k] = tp.at[k] >= 0 ? img[tp.at[k] * p.c + c] : p.fillValue;
                    out[c] = tp.w[0] * v[0] + tp.w[1] * v[1] + tp.w[2] * v[2] + tp.w[3] * v[3];
                }
            }
        }
    });
}

void imageTransformGrad(const ImageTransformParams& p, const float* dy, const float* transforms, float* dx) {
    std::fill(dx, dx + p.n * p.h * p.w * p.c, 0.0f);
    parallelFor(p.n, 1, [&](int64_t first, int64_t end) { // one image per task: no two tasks write one pixel
        for (int64_t n = first; n < end; ++n) {
            float* img = dx + n * p.h * p.w * p.c;
            for (int64_t i = 0; i < p.h; ++i)
                for (int64_t j = 0; j < p.w; ++j) {
                    const Taps tp = taps(p, transforms + n * 8, i, j);
                    const float* g = dy + ((n * p.h + i) * p.w + j) * p.c;
                    for (int k = 0; k < tp.count; ++k)
                        if (tp.at[k] >= 0)
                            for (int64_t c = 0; c < p.c; ++c) img[tp.at[k] * p.c + c] += tp.w[k] * g[c];
                }
        }
    });
}

} // namespace strata::cpu
