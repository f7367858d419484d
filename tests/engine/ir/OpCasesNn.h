// Op-test cases: matmul, convolution, pooling, dropout, normalization and every loss.
#pragma once

#include "OpTestSupport.h"

#include "engine/ir/Composite.h"
#include "engine/ir/Losses.h"
#include "engine/ir/Philox.h"

#include <algorithm>
#include <array>

namespace optest {

using strata::ir::Conv2DParams;
using strata::ir::Padding;
using strata::ir::Pool2DParams;
namespace losses = strata::ir::losses;

inline Ref matmulRef(const RefTensor& a, const RefTensor& b, bool ta, bool tb) {
    const int64_t m = ta ? a.shape()[1] : a.shape()[0], k = ta ? a.shape()[0] : a.shape()[1];
    const int64_t n = tb ? b.shape()[0] : b.shape()[1];
    Ref r(std::size_t(m * n), 0.0);
    for (int64_t i = 0; i < m; ++i)
        for (int64_t j = 0; j < n; ++j)
            for (int64_t p = 0; p < k; ++p)
                r[std::size_t(i * n + j)] += at(a, ta ? p * m + i : i * k + p) * at(b, tb ? j * k + p : p * n + j);
    return r;
}

inline OpCase matmulCase(bool ta, bool tb) {
    const Shape a = ta ? Shape{4, 3} : Shape{3, 4}, b = tb ? Shape{5, 4} : Shape{4, 5};
    return {std::string("matmul_") + (ta ? "t" : "n") + (tb ? "t" : "n"), {Input{a}, Input{b}},
            [ta, tb](Graph& g, const std::vector<ValueId>& v) { return g.matmul(v[0], v[1], ta, tb); },
            [ta, tb](const RefInputs& t) { return matmulRef(t[0], t[1], ta, tb); }};
}

// BatchMatMul: MatMul's reference per batch entry, written out again (a naive loop).
inline Ref batchMatmulRef(const RefTensor& a, const RefTensor& b, bool ta, bool tb) {
    const int64_t batch = a.shape()[0], m = ta ? a.shape()[2] : a.shape()[1], k = ta ? a.shape()[1] : a.shape()[2];
    const int64_t n = tb ? b.shape()[1] : b.shape()[2];
    Ref r(std::size_t(batch * m * n), 0.0);
    for (int64_t z = 0; z < batch; ++z)
        for (int64_t i = 0; i < m; ++i)
            for (int64_t j = 0; j < n; ++j)
                for (int64_t p = 0; p < k; ++p)
                    r[std::size_t((z * m + i) * n + j)] += at(a, z * m * k + (ta ? p * m + i : i * k + p)) *
                                                           at(b, z * k * n + (tb ? j * k + p : p * n + j));
    return r;
}

// (batch, m, k, n): odd sizes, and sizes whose rows are whole vec4 (the Vulkan kernels' texel loads).
inline OpCase batchMatmulCase(bool ta, bool tb, int64_t batch, int64_t m, int64_t k, int64_t n) {
    const Shape a = ta ? Shape{batch, k, m} : Shape{batch, m, k}, b = tb ? Shape{batch, n, k} : Shape{batch, k, n};
    return {"batch_matmul_" + std::string(ta ? "t" : "n") + (tb ? "t" : "n") + "_" + std::to_string(batch) + "x" +
                std::to_string(m) + "x" + std::to_string(k) + "x" + std::to_string(n),
            {Input{a}, Input{b}},
            [ta, tb](Graph& g, const std::vector<ValueId>& v) { return g.batchMatmul(v[0], v[1], ta, tb); },
            [ta, tb](const RefInputs& t) { return batchMatmulRef(t[0], t[1], ta, tb); }};
}

inline OpCase convCase(const std::string& name, Shape x, Shape w, int64_t stride, int64_t dilation, bool same,
                       int64_t groups = 1) {
    Conv2DParams p;
    p.strideH = p.strideW = stride;
    p.dilationH = p.dilationW = dilation;
    p.padding = same ? Padding::Same : Padding::Valid;
    p.groups = groups;
    return {name, {Input{x}, Input{w}}, [p](Graph& g, const std::vector<ValueId>& v) { return g.conv2d(v[0], v[1], p); },
            [=](const RefInputs& t) { return conv2dRef(t[0], t[1], stride, stride, dilation, dilation, same, groups); }};
}

// A transposed convolution (the layer Conv2DTranspose): conv2d_backprop_input as an op of its
// own, x (N, H, W, Cx) and w (kh, kw, Cy, Cx) onto y of shape ys, with its gradients.
inline OpCase convTransposeCase(const std::string& name, Shape x, Shape w, Shape ys, int64_t stride, int64_t dilation, bool same) {
    Conv2DParams p;
    p.strideH = p.strideW = stride;
    p.dilationH = p.dilationW = dilation;
    p.padding = same ? Padding::Same : Padding::Valid;
    return {name, {Input{x}, Input{w}},
            [p, ys](Graph& g, const std::vector<ValueId>& v) { return g.conv2dBackpropInput(v[0], v[1], ys, p); },
            [=](const RefInputs& t) { return conv2dTransposeRef(t[0], t[1], ys, stride, dilation, same); }};
}

inline OpCase poolCase(const std::string& name, Shape x, int64_t k, int64_t s, bool same, bool max) {
    Pool2DParams p;
    p.poolH = p.poolW = k;
    p.strideH = p.strideW = s;
    p.padding = same ? Padding::Same : Padding::Valid;
    Input in{x};
    in.spread = max;
    return {name, {in}, [p, max](Graph& g, const std::vector<ValueId>& v) { return max ? g.maxPool2d(v[0], p) : g.avgPool2d(v[0], p); },
            [=](const RefInputs& t) { return poolRef(t[0], k, s, same, max); }};
}

// Targets/labels are frozen inputs: not differentiated.
inline Input target(Shape s, float lo = 0.0f, float hi = 1.0f) { return {std::move(s), lo, hi, false}; }
inline Input labels(Shape s, int32_t classes) { return {std::move(s), 0, 0, false, false, classes}; }

inline double meanOf(const Ref& r) {
    double s = 0;
    for (double v : r) s += v;
    return s / double(r.size());
}

inline std::vector<OpCase> nnCases() {
    std::vector<OpCase> c;
    for (bool ta : {false, true})
        for (bool tb : {false, true}) c.push_back(matmulCase(ta, tb));
    c.push_back(convCase("conv2d_valid", {2, 5, 5, 2}, {3, 3, 2, 3}, 1, 1, false));
    c.push_back(convCase("conv2d_same_stride2", {1, 6, 5, 2}, {3, 3, 2, 2}, 2, 1, true));
    c.push_back(convCase("conv2d_same_even_kernel", {1, 5, 5, 1}, {2, 2, 1, 2}, 1, 1, true));
    c.push_back(convCase("conv2d_dilated_same", {1, 6, 6, 2}, {3, 3, 2, 2}, 1, 2, true));
    c.push_back(convCase("conv2d_pointwise", {2, 3, 3, 4}, {1, 1, 4, 3}, 1, 1, false));
    c.push_back(poolCase("max_pool_valid", {2, 4, 4, 2}, 2, 2, false, true));
    c.push_back(poolCase("max_pool_same_stride2", {1, 5, 5, 2}, 3, 2, true, true));
    c.push_back(poolCase("avg_pool_valid", {2, 4, 4, 2}, 2, 2, false, false));
    c.push_back(poolCase("avg_pool_same_counts_valid_only", {1, 5, 5, 2}, 3, 2, true, false));
    // Channels a multiple of 4: the Vulkan kernels then move four channels per invocation.
    c.push_back(convCase("conv2d_valid_c4", {2, 5, 5, 4}, {3, 3, 4, 3}, 1, 1, false));
    c.push_back(convCase("conv2d_same_stride2_c8", {1, 6, 5, 8}, {3, 3, 8, 2}, 2, 1, true));
    c.push_back(convCase("conv2d_dilated_same_c4", {1, 6, 6, 4}, {3, 3, 4, 2}, 1, 2, true));
    c.push_back(poolCase("max_pool_valid_c4", {2, 4, 4, 4}, 2, 2, false, true));
    c.push_back(poolCase("max_pool_same_stride2_c8", {1, 5, 5, 8}, 3, 2, true, true));
    c.push_back(poolCase("avg_pool_same_c4", {1, 5, 5, 4}, 3, 2, true, false));

    // Five or more output channels: the CPU's im2col + GEMM path (fewer are direct loops).
    c.push_back(convCase("conv2d_same_stride2_gemm", {2, 6, 5, 3}, {3, 3, 3, 6}, 2, 1, true));
    c.push_back(convCase("conv2d_dilated_gemm", {1, 7, 7, 2}, {3, 3, 2, 5}, 1, 2, false));
    c.push_back(convTransposeCase("conv2d_transpose_same_stride2_gemm", {1, 3, 4, 6}, {3, 3, 2, 6}, {1, 6, 8, 2}, 2, 1, true));
    c.push_back(convTransposeCase("conv2d_transpose_valid_stride2", {2, 3, 3, 2}, {3, 3, 3, 2}, {2, 7, 7, 3}, 2, 1, false));
    c.push_back(convTransposeCase("conv2d_transpose_same_stride2", {1, 3, 4, 3}, {3, 3, 2, 3}, {1, 6, 8, 2}, 2, 1, true));
    c.push_back(convTransposeCase("conv2d_transpose_kernel_below_stride", {1, 2, 2, 1}, {2, 2, 2, 1}, {1, 6, 6, 2}, 3, 1, false));
    c.push_back(convTransposeCase("conv2d_transpose_dilated_c4", {1, 4, 4, 4}, {3, 3, 4, 4}, {1, 8, 8, 4}, 1, 2, false));
    // Grouped and depthwise (groups == input channels, depth multiplier = outC / inC): direct kernels.
    c.push_back(convCase("conv2d_depthwise_same", {2, 5, 5, 3}, {3, 3, 1, 3}, 1, 1, true, 3));
    c.push_back(convCase("conv2d_depthwise_stride2_dm2", {1, 6, 5, 2}, {3, 3, 1, 4}, 2, 1, true, 2));
    c.push_back(convCase("conv2d_depthwise_dilated_valid", {1, 7, 6, 4}, {3, 2, 1, 4}, 1, 2, false, 4));
    c.push_back(convCase("conv2d_grouped_valid", {2, 5, 4, 4}, {3, 3, 2, 6}, 1, 1, false, 2));
    c.push_back(convCase("conv2d_grouped_same_stride2", {1, 6, 6, 6}, {3, 3, 2, 3}, 2, 1, true, 3));
    c.push_back(convCase("conv2d_grouped_pointwise", {2, 3, 3, 4}, {1, 1, 2, 4}, 1, 1, false, 2));

    constexpr uint64_t seed = 1234;
    c.push_back({"dropout_fixed_mask", {Input{{4, 8}}},
                 [](Graph& g, const std::vector<ValueId>& v) {
                     return g.dropout(v[0], g.constant(strata::Tensor::fromVector({}, std::vector<int32_t>{7})), 0.4, seed);
                 },
                 [](const RefInputs& t) {
                     Ref r;
                     for (int64_t i = 0; i < t[0].size(); ++i) {
                         const auto block = strata::ir::dropoutBlock(seed, 7, uint64_t(i / 4));
                         const bool keep = strata::ir::uniformFromBits(block[std::size_t(i % 4)]) >= 0.4f;
                         r.push_back(keep ? at(t[0], i) / 0.6 : 0.0);
                     }
                     return r;
                 }});

    // random_uniform: Philox uniforms of (seed, step, index), 15 of them (the last block part-used),
    // added to x so the case has an input and a gradient.
    c.push_back({"random_uniform_fixed_stream", {Input{{3, 5}}},
                 [](Graph& g, const std::vector<ValueId>& v) {
                     const ValueId step = g.constant(strata::Tensor::fromVector({}, std::vector<int32_t>{9}));
                     return g.add(v[0], g.randomUniform(step, Shape{3, 5}, seed + 1));
                 },
                 [](const RefInputs& t) {
                     Ref r;
                     for (int64_t i = 0; i < t[0].size(); ++i)
                         r.push_back(at(t[0], i) + double(strata::ir::philoxUniform(seed + 1, 9, uint64_t(i))));
                     return r;
                 }});

    // image_transform: two images, one affine and one projective transform, every interpolation and
    // fill mode; the reference samples in double with the rule of engine/ir/ImageGeometry.h.
    for (int interpolation : {0, 1})
        for (int fill : {0, 1, 2, 3}) {
            static const std::vector<float> transforms = {0.9f, -0.3f, 0.63f, 0.25f, 1.1f, -0.37f, 0.0f, 0.0f,
                                                          1.2f, 0.1f, -1.27f, -0.2f, 0.8f, 1.57f, 0.02f, -0.03f}; // no tap within 0.004 of a half
            const std::string name = std::string("image_transform_") + (interpolation ? "bilinear_" : "nearest_") +
                                     std::array<const char*, 4>{"constant", "nearest", "reflect", "wrap"}[std::size_t(fill)];
            c.push_back({name, {Input{{2, 4, 5, 3}}},
                         [=](Graph& g, const std::vector<ValueId>& v) {
                             return g.imageTransform(v[0], g.constant(strata::Tensor::fromVector({2, 8}, transforms)), interpolation,
                                                     fill, 0.5);
                         },
                         [=](const RefInputs& t) {
                             const int64_t H = 4, W = 5, C = 3;
                             auto mapc = [&](double v, int64_t len) {
                                 const double n = double(len);
                                 if (fill == 0) return v;
                                 if (fill == 2) {
                                     double r = v - 2 * n * std::floor(v / (2 * n));
                                     v = r >= n ? 2 * n - 1 - r : r;
                                 } else if (fill == 3) {
                                     v = v - n * std::floor(v / n);
                                 }
                                 return std::min(std::max(v, 0.0), n - 1);
                             };
                             auto read = [&](int64_t b, double yy, double xx, int64_t ch) {
                                 if (yy < 0 || yy >= H || xx < 0 || xx >= W) return 0.5;
                                 return at(t[0], ((b * H + int64_t(yy)) * W + int64_t(xx)) * C + ch);
                             };
                             Ref r;
                             for (int64_t b = 0; b < 2; ++b)
                                 for (int64_t i = 0; i < H; ++i)
                                     for (int64_t j = 0; j < W; ++j)
                                         for (int64_t ch = 0; ch < C; ++ch) {
                                             const float* m = transforms.data() + b * 8;
                                             const double k = m[6] * double(j) + m[7] * double(i) + 1;
                                             const double x = mapc((m[0] * double(j) + m[1] * double(i) + m[2]) / k, W);
                                             const double y = mapc((m[3] * double(j) + m[4] * double(i) + m[5]) / k, H);
                                             if (interpolation == 0) {
                                                 r.push_back(read(b, std::round(y), std::round(x), ch));
                                                 continue;
                                             }
                                             const double y0 = std::floor(y), x0 = std::floor(x);
                                             r.push_back((y0 + 1 - y) * ((x0 + 1 - x) * read(b, y0, x0, ch) + (x - x0) * read(b, y0, x0 + 1, ch)) +
                                                         (y - y0) * ((x0 + 1 - x) * read(b, y0 + 1, x0, ch) + (x - x0) * read(b, y0 + 1, x0 + 1, ch)));
                                         }
                             return r;
                         }});
        }

    auto normRef = [](const RefTensor& x, const RefTensor& gamma, const RefTensor& beta, bool overBatch) {
        const int64_t C = x.shape().back(), rows = x.size() / C;
        Ref r(std::size_t(x.size()));
        auto stats = [&](int64_t fixed, bool channel) { // mean and biased variance of a row or a channel
            double s = 0, s2 = 0;
            const int64_t n = channel ? rows : C;
            for (int64_t k = 0; k < n; ++k) s += at(x, channel ? k * C + fixed : fixed * C + k);
            const double m = s / double(n);
            for (int64_t k = 0; k < n; ++k) s2 += std::pow(at(x, channel ? k * C + fixed : fixed * C + k) - m, 2);
            return std::pair{m, s2 / double(n)};
        };
        for (int64_t i = 0; i < rows; ++i)
            for (int64_t j = 0; j < C; ++j) {
                const auto [m, v] = overBatch ? stats(j, true) : stats(i, false);
                r[std::size_t(i * C + j)] = (at(x, i * C + j) - m) / std::sqrt(v + 1e-3) * at(gamma, j) + at(beta, j);
            }
        return r;
    };
    c.push_back({"batch_norm_training", {Input{{4, 2, 3}, -2, 2}, Input{{3}, 0.5f, 1.5f}, Input{{3}}},
                 [](Graph& g, const std::vector<ValueId>& v) { return strata::ir::batchNormTraining(g, v[0], v[1], v[2]).y; },
                 [normRef](const RefInputs& t) { return normRef(t[0], t[1], t[2], true); }});
    c.push_back({"batch_norm_training_batch_variance", {Input{{4, 2, 3}, -2, 2}},
                 [](Graph& g, const std::vector<ValueId>& v) {
                     return strata::ir::batchNormTraining(g, v[0], strata::ir::kNoValue, strata::ir::kNoValue).variance;
                 },
                 [](const RefInputs& t) {
                     Ref r;
                     for (int64_t ch = 0; ch < 3; ++ch) {
                         double s = 0, s2 = 0;
                         for (int64_t k = 0; k < 8; ++k) s += at(t[0], k * 3 + ch);
                         for (int64_t k = 0; k < 8; ++k) s2 += std::pow(at(t[0], k * 3 + ch) - s / 8, 2);
                         r.push_back(s2 / 8); // biased
                     }
                     return r;
                 }});
    c.push_back({"batch_norm_inference", {Input{{3, 4}}, Input{{4}}, Input{{4}}, Input{{4}}, Input{{4}, 0.5f, 2.0f}},
                 [](Graph& g, const std::vector<ValueId>& v) {
                     return strata::ir::batchNormInference(g, v[0], v[1], v[2], v[3], v[4]);
                 },
                 [](const RefInputs& t) {
                     Ref r;
                     for (int64_t i = 0; i < 12; ++i) {
                         const int64_t j = i % 4;
                         r.push_back((at(t[0], i) - at(t[3], j)) / std::sqrt(at(t[4], j) + 1e-3) * at(t[1], j) + at(t[2], j));
                     }
                     return r;
                 }});
    c.push_back({"layer_norm", {Input{{3, 5}, -2, 2}, Input{{5}, 0.5f, 1.5f}, Input{{5}}},
                 [](Graph& g, const std::vector<ValueId>& v) { return strata::ir::layerNorm(g, v[0], v[1], v[2]); },
                 [normRef](const RefInputs& t) { return normRef(t[0], t[1], t[2], false); }});

    // Losses: the prediction is input 0 (differentiated), the target input 1 (frozen).
    auto pairRef = [](std::function<double(double, double)> f) {
        return [f](const RefInputs& t) {
            Ref r;
            for (int64_t i = 0; i < t[0].size(); ++i) r.push_back(f(at(t[0], i), at(t[1], i)));
            return Ref{meanOf(r)};
        };
    };
    c.push_back({"loss_mse", {Input{{4, 3}}, target({4, 3})},
                 [](Graph& g, const std::vector<ValueId>& v) { return losses::meanSquaredError(g, v[1], v[0]); },
                 pairRef([](double p, double z) { return (p - z) * (p - z); })});
    c.push_back({"loss_mae", {Input{{4, 3}, -1, 1, true, false, 0, true}, target({4, 3}, -0.05f, 0.05f)},
                 [](Graph& g, const std::vector<ValueId>& v) { return losses::meanAbsoluteError(g, v[1], v[0]); },
                 pairRef([](double p, double z) { return std::fabs(p - z); })});
    c.push_back({"loss_bce_logits", {Input{{4, 2}, -3, 3}, target({4, 2})},
                 [](Graph& g, const std::vector<ValueId>& v) { return losses::binaryCrossentropy(g, v[1], v[0], true); },
                 pairRef([](double x, double z) { return std::max(x, 0.0) - x * z + std::log1p(std::exp(-std::fabs(x))); })});
    c.push_back({"loss_bce_probabilities", {Input{{4, 2}, 0.05f, 0.95f}, target({4, 2})},
                 [](Graph& g, const std::vector<ValueId>& v) { return losses::binaryCrossentropy(g, v[1], v[0], false); },
                 pairRef([](double p, double z) { return -(z * std::log(p) + (1 - z) * std::log(1 - p)); })});
    auto cceRef = [](bool logits) {
        return [logits](const RefInputs& t) {
            const int64_t C = t[0].shape().back(), rows = t[0].size() / C;
            const Ref logp = logits ? softmaxRef(t[0], true) : Ref{};
            Ref per;
            for (int64_t i = 0; i < rows; ++i) {
                double s = 0, total = 0;
                for (int64_t j = 0; j < C; ++j) total += at(t[0], i * C + j);
                for (int64_t j = 0; j < C; ++j) {
                    const double lp = logits ? logp[std::size_t(i * C + j)] : std::log(at(t[0], i * C + j) / total);
                    s -= at(t[1], i * C + j) * lp;
                }
                per.push_back(s);
            }
            return Ref{meanOf(per)};
        };
    };
    c.push_back({"loss_cce_logits", {Input{{3, 4}, -2, 2}, target({3, 4})},
                 [](Graph& g, const std::vector<ValueId>& v) { return losses::categoricalCrossentropy(g, v[1], v[0], true); },
                 cceRef(true)});
    c.push_back({"loss_cce_probabilities", {Input{{3, 4}, 0.1f, 1.0f}, target({3, 4})},
                 [](Graph& g, const std::vector<ValueId>& v) { return losses::categoricalCrossentropy(g, v[1], v[0], false); },
                 cceRef(false)});
    auto sparseRef = [](bool logits) {
        return [logits](const RefInputs& t) {
            const int64_t C = t[0].shape().back(), rows = t[0].size() / C;
            const Ref logp = softmaxRef(t[0], true);
            Ref per;
            for (int64_t i = 0; i < rows; ++i) {
                const int64_t label = int64_t(at(t[1], i));
                double total = 0;
                for (int64_t j = 0; j < C; ++j) total += at(t[0], i * C + j);
                per.push_back(logits ? -logp[std::size_t(i * C + label)] : -std::log(at(t[0], i * C + label) / total));
            }
            return Ref{meanOf(per)};
        };
    };
    c.push_back({"loss_sparse_cce_logits", {Input{{5, 4}, -3, 3}, labels({5}, 4)},
                 [](Graph& g, const std::vector<ValueId>& v) { return losses::sparseCategoricalCrossentropy(g, v[1], v[0], true); },
                 sparseRef(true)});
    c.push_back({"loss_sparse_cce_probabilities", {Input{{5, 4}, 0.1f, 1.0f}, labels({5, 1}, 4)},
                 [](Graph& g, const std::vector<ValueId>& v) { return losses::sparseCategoricalCrossentropy(g, v[1], v[0], false); },
                 sparseRef(false)});
    c.push_back({"one_hot", {labels({4}, 3)}, [](Graph& g, const std::vector<ValueId>& v) { return g.oneHot(v[0], 3); },
                 [](const RefInputs& t) {
                     Ref r(12, 0.0);
                     for (int64_t i = 0; i < 4; ++i) r[std::size_t(i * 3 + int64_t(at(t[0], i)))] = 1.0;
                     return r;
                 },
                 false});
    c.push_back({"dense_relu_composite", {Input{{3, 4}}, Input{{4, 2}}, Input{{2}}},
                 [](Graph& g, const std::vector<ValueId>& v) { return strata::ir::dense(g, v[0], v[1], v[2], "tanh"); },
                 [](const RefInputs& t) {
                     Ref r = matmulRef(t[0], t[1], false, false);
                     for (std::size_t i = 0; i < r.size(); ++i) r[i] = std::tanh(r[i] + at(t[2], int64_t(i % 2)));
                     return r;
                 }});
    // Last, so the cases above keep their indices (the Vulkan op tests seed inputs by index).
    for (bool ta : {false, true})
        for (bool tb : {false, true}) {
            c.push_back(batchMatmulCase(ta, tb, 3, 3, 5, 2));
            c.push_back(batchMatmulCase(ta, tb, 2, 4, 8, 4));
        }
    return c;
}

} // namespace optest
