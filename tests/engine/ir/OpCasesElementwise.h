// Op-test cases: elementwise ops (broadcasting binaries, every unary), softmax, reductions and
// shape ops. Each case: inputs, how to build the op, a double-precision reference.
#pragma once

#include "OpTestSupport.h"

#include <numbers>

namespace optest {

inline OpCase unaryCase(const std::string& name, std::function<ValueId(Graph&, ValueId)> op,
                        std::function<double(double)> f, Input in = {Shape{3, 4}}) {
    return {name, {in}, [op](Graph& g, const std::vector<ValueId>& v) { return op(g, v[0]); },
            [f](const RefInputs& t) { return unaryRef(t[0], f); }};
}

inline OpCase binaryCase(const std::string& name, Shape a, Shape b, std::function<ValueId(Graph&, ValueId, ValueId)> op,
                         std::function<double(double, double)> f, Input bIn = {}) {
    bIn.shape = b;
    const Shape out = strata::ir::broadcastShapes(a, b, name);
    return {name, {Input{a}, bIn}, [op](Graph& g, const std::vector<ValueId>& v) { return op(g, v[0], v[1]); },
            [f, out](const RefInputs& t) { return binaryRef(t[0], t[1], out, f); }};
}

inline double sigmoidD(double x) { return 1 / (1 + std::exp(-x)); }

inline std::vector<OpCase> elementwiseCases() {
    std::vector<OpCase> c;
    auto add = [](Graph& g, ValueId a, ValueId b) { return g.add(a, b); };
    auto sub = [](Graph& g, ValueId a, ValueId b) { return g.sub(a, b); };
    auto mul = [](Graph& g, ValueId a, ValueId b) { return g.mul(a, b); };
    auto div = [](Graph& g, ValueId a, ValueId b) { return g.div(a, b); };
    auto plus = [](double x, double y) { return x + y; };
    c.push_back(binaryCase("add_same_shape", {3, 4}, {3, 4}, add, plus));
    c.push_back(binaryCase("add_scalar", {3, 4}, {}, add, plus));
    c.push_back(binaryCase("add_bias_last_axis", {5, 3}, {3}, add, plus));
    c.push_back(binaryCase("add_per_row", {4, 3}, {4, 1}, add, plus));
    c.push_back(binaryCase("add_both_broadcast", {4, 1}, {1, 3}, add, plus));
    c.push_back(binaryCase("sub_bias", {2, 3, 4}, {4}, sub, [](double x, double y) { return x - y; }));
    c.push_back(binaryCase("mul_per_channel_nhwc", {2, 2, 2, 3}, {3}, mul, [](double x, double y) { return x * y; }));
    c.push_back(binaryCase("div_positive", {3, 4}, {3, 4}, div, [](double x, double y) { return x / y; },
                           Input{{}, 0.5f, 2.0f}));
    c.push_back(binaryCase("div_scalar_denominator", {3, 4}, {}, div, [](double x, double y) { return x / y; },
                           Input{{}, 0.5f, 2.0f}));

    const Input positive{Shape{3, 4}, 0.2f, 2.0f};
    const Input kinked{Shape{3, 4}, -1.0f, 1.0f, true, false, 0, true};
    c.push_back(unaryCase("neg", [](Graph& g, ValueId x) { return g.neg(x); }, [](double x) { return -x; }));
    c.push_back(unaryCase("exp", [](Graph& g, ValueId x) { return g.exp(x); }, [](double x) { return std::exp(x); }));
    c.push_back(unaryCase("log", [](Graph& g, ValueId x) { return g.log(x); }, [](double x) { return std::log(x); }, positive));
    c.push_back(unaryCase("sqrt", [](Graph& g, ValueId x) { return g.sqrt(x); }, [](double x) { return std::sqrt(x); }, positive));
    c.push_back(unaryCase("square", [](Graph& g, ValueId x) { return g.square(x); }, [](double x) { return x * x; }));
    c.push_back(unaryCase("pow_2_5", [](Graph& g, ValueId x) { return g.pow(x, 2.5); },
                          [](double x) { return std::pow(x, 2.5); }, positive));
    c.push_back(unaryCase("pow_rsqrt", [](Graph& g, ValueId x) { return g.pow(x, -0.5); },
                          [](double x) { return 1 / std::sqrt(x); }, positive));
    c.push_back(unaryCase("abs", [](Graph& g, ValueId x) { return g.abs(x); }, [](double x) { return std::fabs(x); }, kinked));
    c.push_back(unaryCase("relu", [](Graph& g, ValueId x) { return g.relu(x); }, [](double x) { return x > 0 ? x : 0; }, kinked));
    c.push_back(unaryCase("sigmoid", [](Graph& g, ValueId x) { return g.sigmoid(x); }, sigmoidD, {Shape{3, 4}, -4, 4}));
    c.push_back(unaryCase("tanh", [](Graph& g, ValueId x) { return g.tanh(x); }, [](double x) { return std::tanh(x); }));
    c.push_back(unaryCase("elu", [](Graph& g, ValueId x) { return g.elu(x, 1.0); },
                          [](double x) { return x > 0 ? x : std::expm1(x); }, kinked));
    c.push_back(unaryCase("selu", [](Graph& g, ValueId x) { return g.selu(x); },
                          [](double x) { return 1.0507009873554805 * (x > 0 ? x : 1.6732632423543772 * std::expm1(x)); }, kinked));
    c.push_back(unaryCase("softplus", [](Graph& g, ValueId x) { return g.softplus(x); },
                          [](double x) { return std::log1p(std::exp(x)); }, {Shape{3, 4}, -5, 5}));
    c.push_back(unaryCase("softsign", [](Graph& g, ValueId x) { return g.softsign(x); },
                          [](double x) { return x / (1 + std::fabs(x)); }, kinked));
    c.push_back(unaryCase("swish", [](Graph& g, ValueId x) { return g.swish(x); }, [](double x) { return x * sigmoidD(x); },
                          {Shape{3, 4}, -3, 3}));
    c.push_back(unaryCase("gelu_erf", [](Graph& g, ValueId x) { return g.gelu(x); },
                          [](double x) { return 0.5 * x * (1 + std::erf(x / std::numbers::sqrt2)); }, {Shape{3, 4}, -3, 3}));
    c.push_back(unaryCase("leaky_relu", [](Graph& g, ValueId x) { return g.leakyRelu(x, 0.3); },
                          [](double x) { return x > 0 ? x : 0.3 * x; }, kinked));
    c.push_back(unaryCase("clip", [](Graph& g, ValueId x) { return g.clip(x, -0.5, 0.45); },
                          [](double x) { return std::min(std::max(x, -0.5), 0.45); }, {Shape{4, 5}, -1, 1}));
    // Keras 3's hard_sigmoid relu6(x + 3) / 6 and hard_silu, mish, gelu's tanh form, ONNX's
    // ThresholdedRelu; inputs span both kinks of the hard forms (kept off the kinks themselves).
    auto hardSigmoidD = [](double x) { return std::min(std::max(x + 3, 0.0), 6.0) / 6; };
    const Input wide{Shape{4, 5}, -5.0f, 5.0f, true, false, 0, true};
    c.push_back(unaryCase("hard_sigmoid", [](Graph& g, ValueId x) { return g.hardSigmoid(x); }, hardSigmoidD, wide));
    c.push_back(unaryCase("hard_silu", [](Graph& g, ValueId x) { return g.hardSilu(x); },
                          [hardSigmoidD](double x) { return x * hardSigmoidD(x); }, wide));
    c.push_back(unaryCase("mish", [](Graph& g, ValueId x) { return g.mish(x); },
                          [](double x) { return x * std::tanh(std::log1p(std::exp(x))); }, {Shape{3, 4}, -4, 4}));
    c.push_back(unaryCase("gelu_tanh", [](Graph& g, ValueId x) { return g.geluTanh(x); },
                          [](double x) { return 0.5 * x * (1 + std::tanh(std::sqrt(2 / std::numbers::pi) * (x + 0.044715 * x * x * x))); },
                          {Shape{3, 4}, -3, 3}));
    c.push_back(unaryCase("thresholded_relu", [](Graph& g, ValueId x) { return g.thresholdedRelu(x, 0.25); },
                          [](double x) { return x > 0.25 ? x : 0.0; }, kinked));
    // sin and cos over two turns each way: every quadrant of the shader's range reduction.
    c.push_back(unaryCase("sin", [](Graph& g, ValueId x) { return g.sin(x); }, [](double x) { return std::sin(x); }, {Shape{4, 6}, -13, 13}));
    c.push_back(unaryCase("cos", [](Graph& g, ValueId x) { return g.cos(x); }, [](double x) { return std::cos(x); }, {Shape{4, 6}, -13, 13}));
    c.push_back(unaryCase("floor", [](Graph& g, ValueId x) { return g.floor(x); }, [](double x) { return std::floor(x); },
                          {Shape{4, 6}, -3, 3}));
    c.back().gradient = false; // 0 almost everywhere; finite differences across an integer are not
    c.push_back(unaryCase("softmax", [](Graph& g, ValueId x) { return g.softmax(x); }, nullptr, {Shape{3, 5}, -2, 2}));
    c.back().reference = [](const RefInputs& t) { return softmaxRef(t[0], false); };
    c.push_back(unaryCase("log_softmax", [](Graph& g, ValueId x) { return g.logSoftmax(x); }, nullptr, {Shape{2, 3, 4}, -2, 2}));
    c.back().reference = [](const RefInputs& t) { return softmaxRef(t[0], true); };

    auto sumOver = [](const RefTensor& x, const std::vector<bool>& reduced, bool mean) {
        const Shape& s = x.shape();
        std::vector<int64_t> outDims;
        for (std::size_t i = 0; i < s.rank(); ++i) outDims.push_back(reduced[i] ? 1 : s[i]);
        const Shape out(outDims);
        Ref r(std::size_t(out.numElements()), 0.0);
        for (int64_t i = 0; i < x.size(); ++i) { // map the input index to the output index
            int64_t flat = i, o = 0, stride = 1;
            for (std::size_t d = s.rank(); d-- > 0;) {
                const int64_t coord = flat % s[d];
                flat /= s[d];
                if (!reduced[d]) o += coord * stride;
                stride *= out[d];
            }
            r[std::size_t(o)] += at(x, i);
        }
        if (mean)
            for (double& v : r) v *= double(out.numElements()) / double(x.size());
        return r;
    };
    c.push_back({"reduce_sum_axis0", {Input{{4, 3}}}, [](Graph& g, const std::vector<ValueId>& v) { return g.reduceSum(v[0], {0}); },
                 [sumOver](const RefInputs& t) { return sumOver(t[0], {true, false}, false); }});
    c.push_back({"reduce_sum_last_keepdims", {Input{{4, 3}}},
                 [](Graph& g, const std::vector<ValueId>& v) { return g.reduceSum(v[0], {-1}, true); },
                 [sumOver](const RefInputs& t) { return sumOver(t[0], {false, true}, false); }});
    c.push_back({"reduce_mean_nhw", {Input{{2, 3, 2, 4}}},
                 [](Graph& g, const std::vector<ValueId>& v) { return g.reduceMean(v[0], {0, 1, 2}); },
                 [sumOver](const RefInputs& t) { return sumOver(t[0], {true, true, true, false}, true); }});
    c.push_back({"reduce_mean_middle", {Input{{2, 3, 4}}},
                 [](Graph& g, const std::vector<ValueId>& v) { return g.reduceMean(v[0], {1}); },
                 [sumOver](const RefInputs& t) { return sumOver(t[0], {false, true, false}, true); }});
    c.push_back({"reduce_mean_all", {Input{{3, 4}}}, [](Graph& g, const std::vector<ValueId>& v) { return g.reduceMeanAll(v[0]); },
                 [sumOver](const RefInputs& t) { return sumOver(t[0], {true, true}, true); }});
    c.push_back({"broadcast_to", {Input{{3, 1}}}, [](Graph& g, const std::vector<ValueId>& v) { return g.broadcastTo(v[0], {2, 3, 4}); },
                 [](const RefInputs& t) {
                     Ref r;
                     for (int64_t i = 0; i < 24; ++i) r.push_back(at(t[0], broadcastIndex({2, 3, 4}, i, t[0].shape())));
                     return r;
                 }});
    c.push_back({"reshape", {Input{{2, 6}}}, [](Graph& g, const std::vector<ValueId>& v) { return g.reshape(v[0], {3, -1}); },
                 [](const RefInputs& t) { return unaryRef(t[0], [](double x) { return x; }); }});
    c.push_back({"transpose_3d", {Input{{2, 3, 4}}},
                 [](Graph& g, const std::vector<ValueId>& v) { return g.transpose(v[0], {2, 0, 1}); },
                 [](const RefInputs& t) {
                     Ref r;
                     for (int64_t k = 0; k < 4; ++k)
                         for (int64_t i = 0; i < 2; ++i)
                             for (int64_t j = 0; j < 3; ++j) r.push_back(at(t[0], (i * 3 + j) * 4 + k));
                     return r;
                 }});
    c.push_back({"concat_last_axis", {Input{{2, 3}}, Input{{2, 2}}},
                 [](Graph& g, const std::vector<ValueId>& v) { return g.concat({v[0], v[1]}, -1); },
                 [](const RefInputs& t) {
                     Ref r;
                     for (int64_t i = 0; i < 2; ++i) {
                         for (int64_t j = 0; j < 3; ++j) r.push_back(at(t[0], i * 3 + j));
                         for (int64_t j = 0; j < 2; ++j) r.push_back(at(t[1], i * 2 + j));
                     }
                     return r;
                 }});
    c.push_back({"slice_middle", {Input{{2, 5}}}, [](Graph& g, const std::vector<ValueId>& v) { return g.slice(v[0], 1, 1, 3); },
                 [](const RefInputs& t) {
                     Ref r;
                     for (int64_t i = 0; i < 2; ++i)
                         for (int64_t j = 1; j < 4; ++j) r.push_back(at(t[0], i * 5 + j));
                     return r;
                 }});
    return c;
}

} // namespace optest
