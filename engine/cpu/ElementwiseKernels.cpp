#include "engine/cpu/Kernels.h"
#include "engine/cpu/ParallelFor.h"

#include "engine/Error.h"
#include "engine/ir/Philox.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <numbers>

namespace strata::cpu {

namespace {

// Output dims with each operand's element strides (0 where broadcast), adjacent dims merged
// where both operands are contiguous across them, size-1 dims dropped. Fixed-size: no allocation.
constexpr std::size_t kMaxRank = 8;

struct Strided {
    std::size_t rank = 0;
    int64_t dims[kMaxRank], sa[kMaxRank], sb[kMaxRank];
};

void broadcastStrides(const Shape& s, const Shape& out, int64_t* st) {
    const std::size_t r = out.rank(), off = r - s.rank();
    for (std::size_t i = 0; i < off; ++i) st[i] = 0;
    int64_t acc = 1;
    for (std::size_t i = s.rank(); i-- > 0;) {
        st[i + off] = s[i] == 1 ? 0 : acc;
        acc *= s[i];
    }
}

Strided collapse(const Shape& out, const Shape& a, const Shape& b) {
    if (out.rank() > kMaxRank) throw StrataError("elementwise kernel: rank above 8 is not supported: " + out.toString());
    int64_t sa[kMaxRank], sb[kMaxRank];
    broadcastStrides(a, out, sa);
    broadcastStrides(b, out, sb);
    Strided r;
    for (std::size_t i = 0; i < out.rank(); ++i) {
        if (out[i] == 1) continue;
        if (r.rank && r.sa[r.rank - 1] == sa[i] * out[i] && r.sb[r.rank - 1] == sb[i] * out[i]) {
            r.dims[r.rank - 1] *= out[i];
            r.sa[r.rank - 1] = sa[i];
            r.sb[r.rank - 1] = sb[i];
            continue;
        }
        r.dims[r.rank] = out[i], r.sa[r.rank] = sa[i], r.sb[r.rank] = sb[i];
        ++r.rank;
    }
    if (!r.rank) r.rank = 1, r.dims[0] = 1, r.sa[0] = 0, r.sb[0] = 0;
    return r;
}

template <typename T, typename F>
void inner(const T* a, int64_t sa, const T* b, int64_t sb, T* o, int64_t n, F f) {
    if (sa == 1 && sb == 1) for (int64_t i = 0; i < n; ++i) o[i] = f(a[i], b[i]);
    else if (sa == 1 && sb == 0) { const T bv = *b; for (int64_t i = 0; i < n; ++i) o[i] = f(a[i], bv); }
    else if (sa == 0 && sb == 1) { const T av = *a; for (int64_t i = 0; i < n; ++i) o[i] = f(av, b[i]); }
    else for (int64_t i = 0; i < n; ++i) o[i] = f(a[i * sa], b[i * sb]);
}

// Elements per chunk of a parallel element-wise loop: enough to outweigh waking a worker.
constexpr int64_t kGrain = 32768;

template <typename T, typename F>
void broadcastLoop(const T* a, const Shape& sha, const T* b, const Shape& shb, T* out, const Shape& so, F f) {
    const Strided s = collapse(so, sha, shb);
    const std::size_t r = s.rank;
    const int64_t n = s.dims[r - 1];
    const int64_t lines = n ? so.numElements() / n : 0;
    parallelFor(lines, std::max<int64_t>(1, kGrain / std::max<int64_t>(n, 1)), [&](int64_t first, int64_t end) {
        int64_t idx[kMaxRank] = {};
        int64_t oa = 0, ob = 0;
        for (std::size_t d = r - 1, rest = std::size_t(first); d-- > 0;) { // the odometer at line `first`
            idx[d] = int64_t(rest % std::size_t(s.dims[d]));
            rest /= std::size_t(s.dims[d]);
            oa += idx[d] * s.sa[d], ob += idx[d] * s.sb[d];
        }
        for (int64_t line = first; line < end; ++line) {
            inner(a + oa, s.sa[r - 1], b + ob, s.sb[r - 1], out + line * n, n, f);
            for (std::size_t d = r - 1; d-- > 0;) { // odometer over the outer dims
                oa += s.sa[d], ob += s.sb[d];
                if (++idx[d] < s.dims[d]) break;
                oa -= s.sa[d] * s.dims[d], ob -= s.sb[d] * s.dims[d];
                idx[d] = 0;
            }
        }
    });
}

template <typename T>
void binaryT(OpKind op, const T* a, const Shape& sa, const T* b, const Shape& sb, T* o, const Shape& so) {
    switch (op) {
    case OpKind::Add: return broadcastLoop(a, sa, b, sb, o, so, [](T x, T y) { return x + y; });
    case OpKind::Sub: return broadcastLoop(a, sa, b, sb, o, so, [](T x, T y) { return x - y; });
    case OpKind::Mul: return broadcastLoop(a, sa, b, sb, o, so, [](T x, T y) { return x * y; });
    case OpKind::Div: return broadcastLoop(a, sa, b, sb, o, so, [](T x, T y) { return x / y; });
    default: throw StrataError("binary kernel: unsupported op " + std::string(ir::opName(op)));
    }
}

template <typename F>
void map(const float* x, float* y, int64_t n, F f) {
    parallelFor(n, kGrain, [&](int64_t b, int64_t e) {
        for (int64_t i = b; i < e; ++i) y[i] = f(x[i]);
    });
}

template <typename F>
void mapGrad(const float* x, const float* dy, float* dx, int64_t n, F f) {
    parallelFor(n, kGrain, [&](int64_t b, int64_t e) {
        for (int64_t i = b; i < e; ++i) dx[i] = dy[i] * f(x[i]);
    });
}

inline float geluf(float x) { return 0.5f * x * (1.0f + std::erf(x * float(std::numbers::sqrt2 / 2))); }
inline float geluGrad(float x) {
    const float cdf = 0.5f * (1.0f + std::erf(x * float(std::numbers::sqrt2 / 2)));
    return cdf + x * std::exp(-0.5f * x * x) * float(0.5 * std::numbers::inv_sqrtpi * std::numbers::sqrt2);
}

// Keras 3: hard_sigmoid(x) = relu6(x + 3) / 6; its derivative 1/6 strictly inside (-3, 3), as
// PyTorch's hardsigmoid_backward.
inline float hardSigmoidf(float x) { return std::min(std::max(x + 3.0f, 0.0f), 6.0f) * (1.0f / 6.0f); }
inline float hardSilu(float x) { return x * hardSigmoidf(x); }
inline float hardSiluGrad(float x) { // PyTorch's hardswish_backward: 0 below -3, 1 above 3
    return x < -3.0f ? 0.0f : (x <= 3.0f ? x * (1.0f / 3.0f) + 0.5f : 1.0f);
}
inline float mishf(float x) { return x * std::tanh(softplusf(x)); }
inline float mishGrad(float x) {
    const float t = std::tanh(softplusf(x));
    return t + x * (1.0f - t * t) * sigmoidf(x);
}
// gelu's tanh approximation: 0.5 x (1 + tanh(k (x + 0.044715 x^3))), k = sqrt(2 / pi).
constexpr float kGeluK = 0.7978845608028654f, kGeluC = 0.044715f;
inline float geluTanhf(float x) { return 0.5f * x * (1.0f + std::tanh(kGeluK * (x + kGeluC * x * x * x))); }
inline float geluTanhGrad(float x) {
    const float t = std::tanh(kGeluK * (x + kGeluC * x * x * x));
    return 0.5f * (1.0f + t) + 0.5f * x * (1.0f - t * t) * kGeluK * (1.0f + 3.0f * kGeluC * x * x);
}

} // namespace

void binary(OpKind op, DType t, const void* a, const Shape& sa, const void* b, const Shape& sb, void* out, const Shape& so) {
    if (t == DType::F32)
        binaryT(op, static_cast<const float*>(a), sa, static_cast<const float*>(b), sb, static_cast<float*>(out), so);
    else
        binaryT(op, static_cast<const int32_t*>(a), sa, static_cast<const int32_t*>(b), sb, static_cast<int32_t*>(out), so);
}

void unary(OpKind op, const UnaryParams& p, const float* x, float* y, int64_t n) {
    const float al = p.alpha, lo = p.lo, hi = p.hi, e = p.exponent;
    switch (op) {
    case OpKind::Neg: return map(x, y, n, [](float v) { return -v; });
    case OpKind::Exp: return map(x, y, n, [](float v) { return std::exp(v); });
    case OpKind::Log: return map(x, y, n, [](float v) { return std::log(v); });
    case OpKind::Sqrt: return map(x, y, n, [](float v) { return std::sqrt(v); });
    case OpKind::Square: return map(x, y, n, [](float v) { return v * v; });
    case OpKind::Pow:
        if (e == -0.5f) return map(x, y, n, [](float v) { return 1.0f / std::sqrt(v); });
        return map(x, y, n, [e](float v) { return std::pow(v, e); });
    case OpKind::Abs: return map(x, y, n, [](float v) { return std::fabs(v); });
    // v < 0 ? 0 : v keeps NaN as NaN (as PyTorch does), so a NaN reaches the loss and stops the run.
    case OpKind::Relu: return map(x, y, n, [](float v) { return v < 0.0f ? 0.0f : v; });
    case OpKind::Sigmoid: return map(x, y, n, [](float v) { return sigmoidf(v); });
    case OpKind::Tanh: return map(x, y, n, [](float v) { return tanhFast(v); });
    case OpKind::Elu: return map(x, y, n, [al](float v) { return v > 0.0f ? v : al * std::expm1(v); });
    case OpKind::Selu:
        return map(x, y, n, [](float v) { return kSeluScale * (v > 0.0f ? v : kSeluAlpha * std::expm1(v)); });
    case OpKind::Softplus: return map(x, y, n, softplusf);
    case OpKind::Softsign: return map(x, y, n, [](float v) { return v / (1.0f + std::fabs(v)); });
    case OpKind::Swish: return map(x, y, n, [](float v) { return v * sigmoidf(v); });
    case OpKind::Gelu: return map(x, y, n, geluf);
    case OpKind::LeakyRelu: return map(x, y, n, [al](float v) { return v < 0.0f ? al * v : v; });
    case OpKind::Clip: return map(x, y, n, [lo, hi](float v) { return std::min(std::max(v, lo), hi); });
    case OpKind::HardSigmoid: return map(x, y, n, hardSigmoidf);
    case OpKind::HardSilu: return map(x, y, n, hardSilu);
    case OpKind::Mish: return map(x, y, n, mishf);
    case OpKind::GeluTanh: return map(x, y, n, geluTanhf);
    case OpKind::ThresholdedRelu: return map(x, y, n, [al](float v) { return v > al ? v : 0.0f; });
    case OpKind::Sin: return map(x, y, n, [](float v) { return std::sin(v); });
    case OpKind::Cos: return map(x, y, n, [](float v) { return std::cos(v); });
    case OpKind::Floor: return map(x, y, n, [](float v) { return std::floor(v); });
    default: throw StrataError("unary kernel: unsupported op " + std::string(ir::opName(op)));
    }
}

void unaryGrad(OpKind fn, const UnaryParams& p, const float* x, const float* dy, float* dx, int64_t n) {
    const float al = p.alpha, lo = p.lo, hi = p.hi, e = p.exponent;
    switch (fn) {
    case OpKind::Neg: return mapGrad(x, dy, dx, n, [](float) { return -1.0f; });
    case OpKind::Exp: return mapGrad(x, dy, dx, n, [](float v) { return std::exp(v); });
    case OpKind::Log: return mapGrad(x, dy, dx, n, [](float v) { return 1.0f / v; });
    case OpKind::Sqrt: return mapGrad(x, dy, dx, n, [](float v) { return 0.5f / std::sqrt(v); });
    case OpKind::Square: return mapGrad(x, dy, dx, n, [](float v) { return 2.0f * v; });
    case OpKind::Pow: return mapGrad(x, dy, dx, n, [e](float v) { return e * std::pow(v, e - 1.0f); });
    case OpKind::Abs: return mapGrad(x, dy, dx, n, [](float v) { return v > 0.0f ? 1.0f : (v < 0.0f ? -1.0f : 0.0f); });
    case OpKind::Relu: // as a select of loaded values, which the compiler vectorizes (dy * (x > 0) it does not)
        return parallelFor(n, kGrain, [&](int64_t b, int64_t end) {
            for (int64_t i = b; i < end; ++i) {
                const float v = x[i], g = dy[i];
                dx[i] = v > 0.0f ? g : 0.0f;
            }
        });
    case OpKind::Sigmoid: return mapGrad(x, dy, dx, n, [](float v) { const float s = sigmoidf(v); return s * (1.0f - s); });
    case OpKind::Tanh: return mapGrad(x, dy, dx, n, [](float v) { const float t = tanhFast(v); return 1.0f - t * t; });
    case OpKind::Elu: return mapGrad(x, dy, dx, n, [al](float v) { return v > 0.0f ? 1.0f : al * std::exp(v); });
    case OpKind::Selu:
        return mapGrad(x, dy, dx, n, [](float v) { return kSeluScale * (v > 0.0f ? 1.0f : kSeluAlpha * std::exp(v)); });
    case OpKind::Softplus: return mapGrad(x, dy, dx, n, [](float v) { return sigmoidf(v); });
    case OpKind::Softsign:
        return mapGrad(x, dy, dx, n, [](float v) { const float d = 1.0f + std::fabs(v); return 1.0f / (d * d); });
    case OpKind::Swish:
        return mapGrad(x, dy, dx, n, [](float v) { const float s = sigmoidf(v); return s + v * s * (1.0f - s); });
    case OpKind::Gelu: return mapGrad(x, dy, dx, n, geluGrad);
    case OpKind::LeakyRelu:
        return parallelFor(n, kGrain, [&](int64_t b, int64_t end) {
            const uint32_t one = std::bit_cast<uint32_t>(1.0f), slope = std::bit_cast<uint32_t>(al);
            for (int64_t i = b; i < end; ++i) { // the factor picked by a mask: no branch to stop vectorizing
                const uint32_t m = uint32_t(-int32_t(x[i] > 0.0f));
                dx[i] = dy[i] * std::bit_cast<float>((one & m) | (slope & ~m));
            }
        });
    case OpKind::Clip: return mapGrad(x, dy, dx, n, [lo, hi](float v) { return v >= lo && v <= hi ? 1.0f : 0.0f; });
    case OpKind::HardSigmoid:
        return mapGrad(x, dy, dx, n, [](float v) { return v > -3.0f && v < 3.0f ? 1.0f / 6.0f : 0.0f; });
    case OpKind::HardSilu: return mapGrad(x, dy, dx, n, hardSiluGrad);
    case OpKind::Mish: return mapGrad(x, dy, dx, n, mishGrad);
    case OpKind::GeluTanh: return mapGrad(x, dy, dx, n, geluTanhGrad);
    case OpKind::ThresholdedRelu: return mapGrad(x, dy, dx, n, [al](float v) { return v > al ? 1.0f : 0.0f; });
    case OpKind::Sin: return mapGrad(x, dy, dx, n, [](float v) { return std::cos(v); });
    case OpKind::Cos: return mapGrad(x, dy, dx, n, [](float v) { return -std::sin(v); });
    case OpKind::Floor: return mapGrad(x, dy, dx, n, [](float) { return 0.0f; });
    default: throw StrataError("unary_grad kernel: unsupported op " + std::string(ir::opName(fn)));
    }
}

void cast(DType from, const void* x, DType to, void* y, int64_t n) {
    if (from == to) {
        std::copy_n(static_cast<const float*>(x), n, static_cast<float*>(y));
    } else if (from == DType::I32) {
        const auto* xi = static_cast<const int32_t*>(x);
        auto* yf = static_cast<float*>(y);
        for (int64_t i = 0; i < n; ++i) yf[i] = float(xi[i]);
    } else {
        const auto* xf = static_cast<const float*>(x);
        auto* yi = static_cast<int32_t*>(y);
        for (int64_t i = 0; i < n; ++i) yi[i] = int32_t(xf[i]); // truncation toward zero, as tf.cast
    }
}

void dropout(const float* x, float* y, int64_t n, float rate, uint64_t seed, uint32_t step) {
    const float scale = 1.0f / (1.0f - rate);
    parallelFor((n + 3) / 4, kGrain / 4, [&](int64_t firstBlock, int64_t endBlock) {
        for (int64_t block = firstBlock; block < endBlock; ++block) {
            const auto bits = ir::dropoutBlock(seed, step, uint64_t(block));
            const int64_t end = std::min<int64_t>(4, n - block * 4);
            for (int64_t j = 0; j < end; ++j) {
                const int64_t i = block * 4 + j;
                y[i] = ir::uniformFromBits(bits[std::size_t(j)]) >= rate ? x[i] * scale : 0.0f;
            }
        }
    });
}

void randomUniform(float* y, int64_t n, uint64_t seed, uint32_t step) {
    parallelFor((n + 3) / 4, kGrain / 4, [&](int64_t firstBlock, int64_t endBlock) {
        for (int64_t block = firstBlock; block < endBlock; ++block) {
            const auto bits = ir::dropoutBlock(seed, step, uint64_t(block));
            const int64_t end = std::min<int64_t>(4, n - block * 4);
            for (int64_t j = 0; j < end; ++j) y[block * 4 + j] = ir::uniformFromBits(bits[std::size_t(j)]);
        }
    });
}

} // namespace strata::cpu

namespace strata::cpu {

void broadcastTo(const void* x, const Shape& sx, void* out, const Shape& so) {
    const auto* xu = static_cast<const uint32_t*>(x); // 4-byte elements, copied bit for bit
    broadcastLoop(xu, sx, xu, sx, static_cast<uint32_t*>(out), so, [](uint32_t a, uint32_t) { return a; });
}

} // namespace strata::cpu
