// Shared by the op tests: a case table entry, deterministic inputs, and double-precision
// reference helpers (broadcast indexing, convolution/pool windows written out independently).
// References read RefTensors (double values), so tst_ops can take finite differences of them in
// float64 at any point, not only at float32 inputs.
#pragma once

#include "engine/Tensor.h"
#include "engine/ir/Graph.h"

#include <cmath>
#include <functional>
#include <string>
#include <vector>

namespace optest {

using strata::DType;
using strata::Shape;
using strata::Tensor;
using strata::ir::Graph;
using strata::ir::ValueId;
using Ref = std::vector<double>;
using Inputs = std::vector<Tensor>;

// An input of a reference: the shape, dtype and values of a Tensor, held as doubles.
class RefTensor {
public:
    RefTensor() = default;
    explicit RefTensor(const Tensor& t) : shape_(t.shape()), dtype_(t.dtype()), values_(std::size_t(t.size())) {
        for (int64_t i = 0; i < t.size(); ++i)
            values_[std::size_t(i)] = t.dtype() == DType::I32 ? double(t.i32()[i]) : double(t.f32()[i]);
    }
    const Shape& shape() const { return shape_; }
    DType dtype() const { return dtype_; }
    int64_t size() const { return int64_t(values_.size()); }
    double operator[](int64_t i) const { return values_[std::size_t(i)]; }
    double& operator[](int64_t i) { return values_[std::size_t(i)]; }

private:
    Shape shape_;
    DType dtype_ = DType::F32;
    std::vector<double> values_;
};
using RefInputs = std::vector<RefTensor>;

inline RefInputs refInputs(const Inputs& in) {
    RefInputs out;
    for (const Tensor& t : in) out.emplace_back(t);
    return out;
}

struct Input {
    Shape shape;
    float lo = -1.0f, hi = 1.0f;
    bool differentiable = true;
    bool spread = false;   // values at least 0.05 apart (max pooling: a unique maximum per window)
    int32_t classes = 0;   // > 0: int32 labels in [0, classes)
    bool awayFromZero = false; // |x| >= 0.1 (kinks at 0: relu, abs, leaky_relu, ...)
};

struct OpCase {
    std::string name;
    std::vector<Input> inputs;
    std::function<ValueId(Graph&, const std::vector<ValueId>&)> build;
    std::function<Ref(const RefInputs&)> reference; // double precision; every case with a gradient needs one
    bool gradient = true;
};

inline uint32_t lcg(uint32_t& s) { return s = s * 1664525u + 1013904223u; }
inline float uniform(uint32_t& s) { return float(lcg(s) >> 8) / 16777216.0f; }

inline Tensor makeInput(const Input& in, uint32_t seed) {
    uint32_t s = seed * 2654435761u + 12345u;
    if (in.classes > 0) {
        Tensor t(in.shape, DType::I32);
        for (int64_t i = 0; i < t.size(); ++i) t.i32()[i] = int32_t(lcg(s) >> 8) % in.classes;
        return t;
    }
    Tensor t(in.shape);
    const int64_t n = t.size();
    for (int64_t i = 0; i < n; ++i) {
        float v = in.lo + (in.hi - in.lo) * uniform(s);
        if (in.awayFromZero && std::fabs(v) < 0.1f) v = v < 0 ? v - 0.1f : v + 0.1f;
        t.f32()[i] = v;
    }
    if (in.spread) { // a shuffled ramp: distinct values 0.05 apart
        for (int64_t i = 0; i < n; ++i) t.f32()[i] = -1.0f + 0.05f * float(i);
        for (int64_t i = n - 1; i > 0; --i) std::swap(t.f32()[i], t.f32()[int64_t(lcg(s) >> 8) % (i + 1)]);
    }
    return t;
}

inline double at(const Tensor& t, int64_t i) { return t.dtype() == DType::I32 ? double(t.i32()[i]) : double(t.f32()[i]); }
inline double at(const RefTensor& t, int64_t i) { return t[i]; }

// Index of `out` flat position in a (trailing-aligned, broadcast) operand of shape s.
inline int64_t broadcastIndex(const Shape& out, int64_t flat, const Shape& s) {
    int64_t idx = 0, stride = 1;
    for (std::size_t i = 0; i < out.rank(); ++i) {
        const std::size_t d = out.rank() - 1 - i;
        const int64_t coord = flat % out[d];
        flat /= out[d];
        if (i < s.rank()) {
            const std::size_t sd = s.rank() - 1 - i;
            if (s[sd] != 1) idx += coord * stride;
            stride *= s[sd];
        }
    }
    return idx;
}

inline Ref unaryRef(const RefTensor& x, const std::function<double(double)>& f) {
    Ref r(std::size_t(x.size()));
    for (int64_t i = 0; i < x.size(); ++i) r[std::size_t(i)] = f(at(x, i));
    return r;
}

inline Ref binaryRef(const RefTensor& a, const RefTensor& b, const Shape& out, const std::function<double(double, double)>& f) {
    Ref r(std::size_t(out.numElements()));
    for (int64_t i = 0; i < out.numElements(); ++i)
        r[std::size_t(i)] = f(at(a, broadcastIndex(out, i, a.shape())), at(b, broadcastIndex(out, i, b.shape())));
    return r;
}

// Rows of the last axis.
inline Ref softmaxRef(const RefTensor& x, bool log) {
    const int64_t c = x.shape().back(), rows = x.size() / c;
    Ref r(std::size_t(x.size()));
    for (int64_t i = 0; i < rows; ++i) {
        double mx = -1e300, sum = 0;
        for (int64_t j = 0; j < c; ++j) mx = std::max(mx, at(x, i * c + j));
        for (int64_t j = 0; j < c; ++j) sum += std::exp(at(x, i * c + j) - mx);
        for (int64_t j = 0; j < c; ++j) {
            const double v = at(x, i * c + j) - mx - std::log(sum);
            r[std::size_t(i * c + j)] = log ? v : std::exp(v);
        }
    }
    return r;
}

// TF/Keras window rule written out on its own, to check ConvGeometry against it.
struct Axis {
    int64_t out, pad;
};
inline Axis windowAxis(int64_t in, int64_t k, int64_t s, int64_t d, bool same) {
    const int64_t span = (k - 1) * d + 1;
    if (!same) return {(in - span) / s + 1, 0};
    const int64_t out = (in + s - 1) / s;
    const int64_t total = std::max<int64_t>((out - 1) * s + span - in, 0);
    return {out, total / 2};
}

// groups > 1: output channel co reads input channels (co / (outC/groups)) * cinG + ci, ci < cinG = ws[2].
inline Ref conv2dRef(const RefTensor& x, const RefTensor& w, int64_t sh, int64_t sw, int64_t dh, int64_t dw, bool same,
                     int64_t groups = 1) {
    const Shape& xs = x.shape();
    const Shape& ws = w.shape();
    const int64_t cinG = ws[2], coutG = ws[3] / groups;
    const Axis ah = windowAxis(xs[1], ws[0], sh, dh, same), aw = windowAxis(xs[2], ws[1], sw, dw, same);
    Ref r(std::size_t(xs[0] * ah.out * aw.out * ws[3]), 0.0);
    for (int64_t n = 0; n < xs[0]; ++n)
        for (int64_t oh = 0; oh < ah.out; ++oh)
            for (int64_t ow = 0; ow < aw.out; ++ow)
                for (int64_t co = 0; co < ws[3]; ++co) {
                    double acc = 0;
                    for (int64_t kh = 0; kh < ws[0]; ++kh)
                        for (int64_t kw = 0; kw < ws[1]; ++kw) {
                            const int64_t ih = oh * sh - ah.pad + kh * dh, iw = ow * sw - aw.pad + kw * dw;
                            if (ih < 0 || ih >= xs[1] || iw < 0 || iw >= xs[2]) continue;
                            for (int64_t ci = 0; ci < cinG; ++ci)
                                acc += at(x, ((n * xs[1] + ih) * xs[2] + iw) * xs[3] + (co / coutG) * cinG + ci) *
                                       at(w, ((kh * ws[1] + kw) * ws[2] + ci) * ws[3] + co);
                        }
                    r[std::size_t(((n * ah.out + oh) * aw.out + ow) * ws[3] + co)] = acc;
                }
    return r;
}

// The transposed convolution (conv2d_backprop_input): every x[n, oh, ow, co] spreads over the
// window of the output y (shape yShape) that the forward convolution would have read.
inline Ref conv2dTransposeRef(const RefTensor& x, const RefTensor& w, const Shape& ys, int64_t s, int64_t d, bool same) {
    const Shape& xs = x.shape();
    const Shape& ws = w.shape();
    const Axis ah = windowAxis(ys[1], ws[0], s, d, same), aw = windowAxis(ys[2], ws[1], s, d, same);
    Ref r(std::size_t(ys.numElements()), 0.0);
    for (int64_t n = 0; n < xs[0]; ++n)
        for (int64_t oh = 0; oh < ah.out; ++oh)
            for (int64_t ow = 0; ow < aw.out; ++ow)
                for (int64_t kh = 0; kh < ws[0]; ++kh)
                    for (int64_t kw = 0; kw < ws[1]; ++kw) {
                        const int64_t ih = oh * s - ah.pad + kh * d, iw = ow * s - aw.pad + kw * d;
                        if (ih < 0 || ih >= ys[1] || iw < 0 || iw >= ys[2]) continue;
                        for (int64_t ci = 0; ci < ys[3]; ++ci)
                            for (int64_t co = 0; co < xs[3]; ++co)
                                r[std::size_t(((n * ys[1] + ih) * ys[2] + iw) * ys[3] + ci)] +=
                                    at(x, ((n * xs[1] + oh) * xs[2] + ow) * xs[3] + co) *
                                    at(w, ((kh * ws[1] + kw) * ws[2] + ci) * ws[3] + co);
                    }
    return r;
}

inline Ref poolRef(const RefTensor& x, int64_t k, int64_t s, bool same, bool max) {
    const Shape& xs = x.shape();
    const Axis ah = windowAxis(xs[1], k, s, 1, same), aw = windowAxis(xs[2], k, s, 1, same);
    Ref r;
    for (int64_t n = 0; n < xs[0]; ++n)
        for (int64_t oh = 0; oh < ah.out; ++oh)
            for (int64_t ow = 0; ow < aw.out; ++ow)
                for (int64_t c = 0; c < xs[3]; ++c) {
                    double acc = max ? -1e300 : 0.0;
                    int count = 0;
                    for (int64_t i = 0; i < k; ++i)
                        for (int64_t j = 0; j < k; ++j) {
                            const int64_t ih = oh * s - ah.pad + i, iw = ow * s - aw.pad + j;
                            if (ih < 0 || ih >= xs[1] || iw < 0 || iw >= xs[2]) continue;
                            const double v = at(x, ((n * xs[1] + ih) * xs[2] + iw) * xs[3] + c);
                            acc = max ? std::max(acc, v) : acc + v;
                            ++count;
                        }
                    r.push_back(max ? acc : acc / count);
                }
    return r;
}

} // namespace optest
