// Labels, the fused softmax cross-entropy and the fused Adam update.
#include "engine/cpu/Kernels.h"

#include "engine/Error.h"

#include <algorithm>
#include <cmath>
#include <limits>

#if defined(__SSE2__)
#include <immintrin.h>
#endif

namespace strata::cpu {

namespace {
void checkLabel(int32_t label, int64_t classes, int64_t row) {
    if (label < 0 || label >= classes)
        throw StrataError("label " + std::to_string(label) + " at batch row " + std::to_string(row) +
                          " is outside [0, " + std::to_string(classes) + ")");
}

// log(sum(exp(x))) of one row, stable.
float logSumExp(const float* x, int64_t cols) {
    float mx = -std::numeric_limits<float>::infinity();
    for (int64_t j = 0; j < cols; ++j) mx = std::max(mx, x[j]);
    float sum = 0.0f;
    for (int64_t j = 0; j < cols; ++j) sum += std::exp(x[j] - mx);
    return mx + std::log(sum);
}
} // namespace

void oneHot(const int32_t* labels, int64_t n, int64_t depth, float* out) {
    std::fill_n(out, n * depth, 0.0f);
    for (int64_t i = 0; i < n; ++i) {
        checkLabel(labels[i], depth, i);
        out[i * depth + labels[i]] = 1.0f;
    }
}

void sparseSoftmaxCrossEntropy(const float* logits, const int32_t* labels, int64_t rows, int64_t cols, float* loss) {
    for (int64_t r = 0; r < rows; ++r) {
        checkLabel(labels[r], cols, r);
        const float* x = logits + r * cols;
        loss[r] = logSumExp(x, cols) - x[labels[r]];
    }
}

void sparseSoftmaxCrossEntropyGrad(const float* logits, const int32_t* labels, const float* dloss, int64_t rows,
                                   int64_t cols, float* dlogits) {
    for (int64_t r = 0; r < rows; ++r) {
        checkLabel(labels[r], cols, r);
        const float* x = logits + r * cols;
        float* d = dlogits + r * cols;
        const float lse = logSumExp(x, cols), g = dloss[r];
        for (int64_t j = 0; j < cols; ++j) d[j] = std::exp(x[j] - lse) * g;
        d[labels[r]] -= g;
    }
}

namespace {
// In place on distinct arrays. The 4-wide SSE body exists because std::sqrt keeps its errno
// branch without -fno-math-errno, which stops the compiler from vectorizing this loop.
void adamInPlace(const AdamParams& p, float* __restrict var, const float* __restrict grad, float* __restrict m,
                 float* __restrict v, int64_t n) {
    const float b1 = p.beta1, b2 = p.beta2, eps = p.epsilon;
    const float c1 = 1.0f - b1, c2 = 1.0f - b2;
    const float decay = 1.0f - p.lr * p.weightDecay;
    const float stepSize = p.lr / float(1.0 - std::pow(double(b1), double(p.t)));
    const float invSqrtBc2 = float(1.0 / std::sqrt(1.0 - std::pow(double(b2), double(p.t))));
    int64_t i = 0;
#if defined(__SSE2__)
    const __m128 vb1 = _mm_set1_ps(b1), vb2 = _mm_set1_ps(b2), vc1 = _mm_set1_ps(c1), vc2 = _mm_set1_ps(c2);
    const __m128 vdecay = _mm_set1_ps(decay), vstep = _mm_set1_ps(stepSize), vbc2 = _mm_set1_ps(invSqrtBc2);
    const __m128 veps = _mm_set1_ps(eps);
    for (; i + 4 <= n; i += 4) {
        const __m128 g = _mm_loadu_ps(grad + i);
        const __m128 mi = _mm_add_ps(_mm_mul_ps(vb1, _mm_loadu_ps(m + i)), _mm_mul_ps(vc1, g));
        const __m128 vi = _mm_add_ps(_mm_mul_ps(vb2, _mm_loadu_ps(v + i)), _mm_mul_ps(vc2, _mm_mul_ps(g, g)));
        const __m128 denom = _mm_add_ps(_mm_mul_ps(_mm_sqrt_ps(vi), vbc2), veps);
        const __m128 w = _mm_sub_ps(_mm_mul_ps(_mm_loadu_ps(var + i), vdecay), _mm_div_ps(_mm_mul_ps(vstep, mi), denom));
        _mm_storeu_ps(m + i, mi);
        _mm_storeu_ps(v + i, vi);
        _mm_storeu_ps(var + i, w);
    }
#endif
    for (; i < n; ++i) {
        const float g = grad[i];
        const float mi = b1 * m[i] + c1 * g;
        const float vi = b2 * v[i] + c2 * g * g;
        m[i] = mi;
        v[i] = vi;
        var[i] = var[i] * decay - stepSize * mi / (std::sqrt(vi) * invSqrtBc2 + eps);
    }
}
} // namespace

void adamUpdate(const AdamParams& p, const float* var, const float* grad, const float* m, const float* v, float* varOut,
                float* mOut, float* vOut, int64_t n) {
    // Each output is either exactly its input (an in-place variable update) or a separate buffer.
    if (varOut != var) std::copy_n(var, n, varOut);
    if (mOut != m) std::copy_n(m, n, mOut);
    if (vOut != v) std::copy_n(v, n, vOut);
    adamInPlace(p, varOut, grad, mOut, vOut, n);
}

} // namespace strata::cpu
