#include "engine/ir/Composite.h"

#include "engine/Error.h"

namespace strata::ir {

ValueId activation(Graph& g, const std::string& name, ValueId x) {
    if (name.empty() || name == "linear") return x;
    if (name == "relu") return g.relu(x);
    if (name == "relu6") return g.clip(x, 0.0, 6.0); // min(max(x, 0), 6), as Keras and MobileNets
    if (name == "sigmoid") return g.sigmoid(x);
    if (name == "tanh") return g.tanh(x);
    if (name == "softmax") return g.softmax(x);
    if (name == "log_softmax") return g.logSoftmax(x);
    if (name == "elu") return g.elu(x);
    if (name == "selu") return g.selu(x);
    if (name == "softplus") return g.softplus(x);
    if (name == "softsign") return g.softsign(x);
    if (name == "swish" || name == "silu") return g.swish(x);
    if (name == "gelu") return g.gelu(x);
    if (name == "leaky_relu") return g.leakyRelu(x);
    if (name == "exponential") return g.exp(x);
    if (name == "hard_sigmoid") return g.hardSigmoid(x);
    if (name == "hard_silu" || name == "hard_swish") return g.hardSilu(x);
    if (name == "mish") return g.mish(x);
    if (name == "gelu_tanh") return g.geluTanh(x);
    throw ConfigError("unknown activation '" + name + "'");
}

ValueId dense(Graph& g, ValueId x, ValueId kernel, ValueId bias, const std::string& activationName) {
    const Shape in = g.shape(x);
    if (in.rank() < 2) throw ShapeError("dense: input must have a batch axis, got " + in.toString());
    ValueId flat = in.rank() == 2 ? x : g.reshape(x, Shape{-1, in.back()});
    ValueId y = g.matmul(flat, kernel);
    if (bias != kNoValue) {
        if (g.shape(bias) != Shape{g.shape(y)[1]})
            throw ShapeError("dense: bias must be " + Shape{g.shape(y)[1]}.toString() + ", got " +
                             g.shape(bias).toString());
        y = g.add(y, bias);
    }
    if (in.rank() > 2) {
        std::vector<int64_t> out = in.dims();
        out.back() = g.shape(y)[1];
        y = g.reshape(y, Shape(std::move(out)));
    }
    return activation(g, activationName, y);
}

namespace {
std::vector<int64_t> allButLast(const Shape& s) {
    std::vector<int64_t> axes;
    for (std::size_t i = 0; i + 1 < s.rank(); ++i) axes.push_back(int64_t(i));
    return axes;
}

void requireChannels(const Graph& g, ValueId v, int64_t c, const char* what, const char* name) {
    if (v != kNoValue && g.shape(v) != Shape{c})
        throw ShapeError(std::string(what) + ": " + name + " must be " + Shape{c}.toString() + ", got " +
                         g.shape(v).toString());
}

// xc * rsqrt(var + eps) * gamma + beta, with the [C] factor folded before the big multiply.
ValueId normalize(Graph& g, ValueId xc, ValueId var, ValueId gamma, ValueId beta, double eps) {
    ValueId scale = g.pow(g.add(var, g.scalar(float(eps))), -0.5);
    if (gamma != kNoValue) scale = g.mul(scale, gamma);
    ValueId y = g.mul(xc, scale);
    return beta != kNoValue ? g.add(y, beta) : y;
}
} // namespace

BatchNormOutputs batchNormTraining(Graph& g, ValueId x, ValueId gamma, ValueId beta, double eps) {
    const Shape s = g.shape(x);
    if (s.rank() < 2) throw ShapeError("batch_norm: input must have a batch axis, got " + s.toString());
    requireChannels(g, gamma, s.back(), "batch_norm", "gamma");
    requireChannels(g, beta, s.back(), "batch_norm", "beta");
    const auto axes = allButLast(s);
    BatchNormOutputs r;
    r.mean = g.reduceMean(x, axes);
    ValueId xc = g.sub(x, r.mean);
    r.variance = g.reduceMean(g.square(xc), axes);
    r.y = normalize(g, xc, r.variance, gamma, beta, eps);
    return r;
}

ValueId batchNormInference(Graph& g, ValueId x, ValueId gamma, ValueId beta, ValueId mean, ValueId var, double eps) {
    const Shape s = g.shape(x);
    if (s.rank() < 1) throw ShapeError("batch_norm: input must have a channel axis, got " + s.toString());
    for (auto [v, n] : {std::pair{gamma, "gamma"}, {beta, "beta"}, {mean, "moving_mean"}, {var, "moving_variance"}})
        requireChannels(g, v, s.back(), "batch_norm", n);
    return normalize(g, g.sub(x, mean), var, gamma, beta, eps);
}

ValueId layerNorm(Graph& g, ValueId x, ValueId gamma, ValueId beta, double eps) {
    const Shape s = g.shape(x);
    if (s.rank() < 1) throw ShapeError("layer_norm: input must have an axis, got " + s.toString());
    requireChannels(g, gamma, s.back(), "layer_norm", "gamma");
    requireChannels(g, beta, s.back(), "layer_norm", "beta");
    ValueId xc = g.sub(x, g.reduceMean(x, {-1}, true));
    ValueId var = g.reduceMean(g.square(xc), {-1}, true);
    ValueId y = g.mul(xc, g.pow(g.add(var, g.scalar(float(eps))), -0.5));
    if (gamma != kNoValue) y = g.mul(y, gamma);
    return beta != kNoValue ? g.add(y, beta) : y;
}

void updateMovingAverage(Graph& g, const std::string& path, ValueId batchValue, double momentum) {
    ValueId moving = g.variable(path, g.shape(batchValue));
    g.assign(path, g.add(g.mul(moving, g.scalar(float(momentum))), g.mul(batchValue, g.scalar(float(1 - momentum)))));
}

} // namespace strata::ir
