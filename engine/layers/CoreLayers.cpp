#include "engine/layers/CoreLayers.h"

#include "engine/Error.h"
#include "engine/LayerRegistry.h"
#include "engine/ir/Composite.h"

#include <cmath>
#include <limits>
#include <cstdio>

namespace strata::layers {

InputLayer::InputLayer(const LayerTypeInfo& info, std::string name, nlohmann::json config)
    : Layer(info, std::move(name), std::move(config)) {
    try {
        shape_ = Shape::fromJson(cfg("shape"));
    } catch (const StrataError& e) {
        configError("shape", e.what());
    }
    try {
        dtype_ = parseDType(cfg("dtype").get<std::string>());
    } catch (const StrataError& e) {
        configError("dtype", e.what());
    }
}

Shape InputLayer::outputShape(const std::vector<Shape>&) const { return shape_.prepended(kUnknownDim); }

LayerOutput InputLayer::call(CallContext&, const std::vector<ir::ValueId>& inputs) const {
    if (inputs.size() != 1) throw StrataError("an Input layer is bound to a model input, not called on other layers");
    return {inputs[0]};
}

std::string InputLayer::keyConfigText() const { return shape_.toString(); }

Dense::Dense(const LayerTypeInfo& info, std::string name, nlohmann::json config)
    : Layer(info, std::move(name), std::move(config)), units(intConfig("units", 1)),
      activation(activationConfig("activation")), useBias(cfg("use_bias").get<bool>()),
      kernelInit_(initializerConfig("kernel_initializer")), biasInit_(initializerConfig("bias_initializer")) {}

Shape Dense::outputShape(const std::vector<Shape>& inputs) const {
    const Shape& in = inputs.at(0);
    if (in.rank() < 2) throw ShapeError("expects an input of rank >= 2 (batch, features), got " + in.toString());
    if (!in.isKnown(in.rank() - 1))
        throw ShapeError("needs a known last input dimension, got " + in.toString());
    Shape out = in;
    out[out.rank() - 1] = units;
    return out;
}

std::vector<VariableSpec> Dense::variableSpecs(const std::vector<Shape>& inputs) const {
    const int64_t in = inputs.at(0).back();
    std::vector<VariableSpec> v{{"kernel", Shape{in, units}, true, kernelInit_, in, units}};
    if (useBias) v.push_back({"bias", Shape{units}, true, biasInit_, in, units});
    return v;
}

LayerOutput Dense::call(CallContext& ctx, const std::vector<ir::ValueId>& in) const {
    const ir::ValueId y = ir::dense(ctx.graph(), in.at(0), ctx.variable(*this, "kernel"),
                                    useBias ? ctx.variable(*this, "bias") : ir::kNoValue);
    return ctx.activate(y, activation);
}

std::string Dense::keyConfigText() const {
    return std::to_string(units) + (activation == "linear" ? "" : " " + activation);
}

Activation::Activation(const LayerTypeInfo& info, std::string name, nlohmann::json config)
    : Layer(info, std::move(name), std::move(config)), activation(activationConfig("activation")) {}

LayerOutput Activation::call(CallContext& ctx, const std::vector<ir::ValueId>& in) const {
    return ctx.activate(in.at(0), activation);
}

LeakyReLU::LeakyReLU(const LayerTypeInfo& info, std::string name, nlohmann::json config)
    : Layer(info, std::move(name), std::move(config)), alpha(cfg("alpha").get<double>()) {
    if (!std::isfinite(alpha)) {
        char buf[32];
        std::snprintf(buf, sizeof buf, "%g", alpha); // dump() would print NaN and inf as null
        configError("alpha", std::string("must be a finite number, got ") + buf);
    }
}

LayerOutput LeakyReLU::call(CallContext& ctx, const std::vector<ir::ValueId>& in) const {
    return {ctx.graph().leakyRelu(in.at(0), alpha)};
}

std::string LeakyReLU::keyConfigText() const {
    char buf[32];
    std::snprintf(buf, sizeof buf, "alpha %g", alpha);
    return buf;
}

namespace {
// A finite number >= 0 from the config, or a config error naming the key ("%g": dump() prints NaN as null).
double nonNegative(const nlohmann::json& v, const std::string& key) {
    if (!v.is_number() || !std::isfinite(v.get<double>()) || v.get<double>() < 0) {
        char buf[48];
        if (v.is_number()) std::snprintf(buf, sizeof buf, "%g", v.get<double>());
        throw ConfigError(key + ": must be a finite number >= 0, got " + (v.is_number() ? std::string(buf) : v.dump()));
    }
    return v.get<double>();
}
} // namespace

ReLU::ReLU(const LayerTypeInfo& info, std::string name, nlohmann::json config) : Layer(info, std::move(name), std::move(config)) {
    if (!cfg("max_value").is_null()) maxValue = nonNegative(cfg("max_value"), "max_value");
    negativeSlope = nonNegative(cfg("negative_slope"), "negative_slope");
    threshold = nonNegative(cfg("threshold"), "threshold");
}

LayerOutput ReLU::call(CallContext& ctx, const std::vector<ir::ValueId>& in) const {
    ir::Graph& g = ctx.graph();
    const ir::ValueId x = in.at(0);
    if (threshold != 0.0) { // Keras 3: x * (x > t), clipped to [0, max_value], minus slope * relu(t - x)
        ir::ValueId y = g.thresholdedRelu(x, threshold);
        if (maxValue) y = g.clip(y, 0.0, *maxValue);
        if (negativeSlope != 0.0)
            y = g.sub(y, g.mul(g.relu(g.sub(g.scalar(float(threshold)), x)), g.scalar(float(negativeSlope))));
        return {y};
    }
    ir::ValueId y = negativeSlope == 0.0 ? g.relu(x) : g.leakyRelu(x, negativeSlope);
    if (maxValue) y = g.clip(y, -double(std::numeric_limits<float>::max()), *maxValue); // finite: attrs are stored as JSON
    return {y};
}

std::string ReLU::keyConfigText() const {
    char buf[64] = "";
    if (maxValue && negativeSlope != 0.0) std::snprintf(buf, sizeof buf, "max %g slope %g", *maxValue, negativeSlope);
    else if (maxValue) std::snprintf(buf, sizeof buf, "max %g", *maxValue);
    else if (negativeSlope != 0.0) std::snprintf(buf, sizeof buf, "slope %g", negativeSlope);
    std::string s = buf;
    if (threshold != 0.0) {
        std::snprintf(buf, sizeof buf, "%sthreshold %g", s.empty() ? "" : " ", threshold);
        s += buf;
    }
    return s;
}

void registerCoreLayers(std::vector<LayerTypeInfo>& out) {
    out.push_back({"Input", "Core", "Entry point of the model: the shape of one sample, without the batch dimension",
                   {{"shape", nullptr}, {"dtype", "float32"}}, 0, 0, {"shape"}, makeLayer<InputLayer>});
    out.push_back({"Dense", "Core", "Fully connected layer: activation(inputs · kernel + bias) on the last axis",
                   {{"units", 32},
                    {"activation", "linear"},
                    {"use_bias", true},
                    {"kernel_initializer", "glorot_uniform"},
                    {"bias_initializer", "zeros"}},
                   1, 1, {}, makeLayer<Dense>});
    out.push_back({"Activation", "Activation", "Applies an activation function element-wise (softmax on the last axis)",
                   {{"activation", "relu"}}, 1, 1, {}, makeLayer<Activation>});
    out.push_back({"LeakyReLU", "Activation", "Leaky rectifier with a configurable slope: x if x >= 0, else alpha * x",
                   {{"alpha", 0.3}}, 1, 1, {}, makeLayer<LeakyReLU>});
    out.push_back({"ReLU", "Activation", "Rectifier (Keras 3): x above threshold (0 by default), capped at max_value, negative_slope * (x - threshold) below",
                   {{"max_value", nullptr}, {"negative_slope", 0.0}, {"threshold", 0.0}}, 1, 1, {}, makeLayer<ReLU>});
}

} // namespace strata::layers
