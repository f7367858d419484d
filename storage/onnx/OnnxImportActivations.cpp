// OnnxGraphImport for activations and small layers: HardSigmoid, PRelu, ThresholdedRelu, Softmax,
// Gelu, LayerNormalization (ONNX ops, or fused from their decomposed patterns by
// OnnxImportPatterns.cpp) and the Mul or Add of a scalar constant.
#include "storage/onnx/OnnxGraphImport.h"

#include <cmath>

namespace strata::storage {

using nlohmann::json;

namespace {
bool near(float a, double b) { return std::abs(double(a) - b) <= 1e-5 * std::max(1.0, std::abs(b)); }

// The ONNX axis of Strata (NHWC) axis `a` for a value of `rank` in the given layout.
int64_t onnxAxis(int64_t a, std::size_t rank, bool channelsFirst) {
    if (!channelsFirst || rank != 4 || a == 0) return a;
    return a == 3 ? 1 : a + 1;
}
} // namespace

void OnnxGraphImport::hardSigmoid(const OnnxNode& n) {
    const float alpha = n.floatAttr("alpha", 0.2f), beta = n.floatAttr("beta", 0.5f);
    if (!std::isfinite(alpha) || !std::isfinite(beta)) fail(n, "alpha and beta must be finite numbers");
    if (near(alpha, 1.0 / 6.0) && near(beta, 0.5)) return activation(n, "hard_sigmoid"); // Keras 3, torch
    // max(0, min(1, alpha x + beta)): Rescaling, then ReLU capped at 1.
    const Value x = input(n, 0);
    OnnxNode scaled = n;
    scaled.outputs = {n.outputs.at(0) + "/rescaled"};
    const int r = addLayer(scaled, "Rescaling", {{"scale", shortestDecimal(alpha)}, {"offset", shortestDecimal(beta)}}, {x.layer},
                           x.layout, x.shape);
    addLayer(n, "ReLU", {{"max_value", 1.0}}, {r}, x.layout, x.shape);
    values_[n.outputs[0]].chw = x.chw;
}

// The slope broadcasts to x from the right (ONNX layout); its size-1 axes become shared axes.
void OnnxGraphImport::prelu(const OnnxNode& n) {
    const Value x = input(n, 0);
    const OnnxTensor& slope = requireConstant(n, 1, "slope");
    if (!slope.isFloat()) fail(n, "the slope must be a float tensor");
    if (x.layout == Layout::FlatChw) fail(n, "a PRelu on a flattened NCHW image is not supported");
    const std::size_t rank = x.shape.size();
    if (rank < 2 || slope.dims.size() > rank) fail(n, "the slope " + json(slope.dims).dump() + " does not broadcast to the input");
    std::vector<int64_t> sd(rank, 1); // the slope's dims right-aligned to x's
    for (std::size_t i = 0; i < slope.dims.size(); ++i) sd[rank - slope.dims.size() + i] = slope.dims[i];
    if (sd[0] != 1) fail(n, "a slope per sample of the batch is not supported");
    for (std::size_t i = 1; i < rank; ++i)
        if (sd[i] != 1 && sd[i] != x.shape[i])
            fail(n, "the slope " + json(slope.dims).dump() + " does not broadcast to the input " + json(x.shape).dump());
    const bool cf = x.layout == Layout::ChannelsFirst;
    std::vector<int64_t> alphaDims, shared, strides(rank, 1);
    for (std::size_t i = rank - 1; i-- > 0;) strides[i] = strides[i + 1] * sd[i + 1];
    for (std::size_t a = 1; a < rank; ++a) {
        alphaDims.push_back(sd[std::size_t(onnxAxis(int64_t(a), rank, cf))]);
        if (alphaDims.back() == 1) shared.push_back(int64_t(a));
    }
    std::vector<float> values;
    std::vector<int64_t> idx(alphaDims.size(), 0);
    for (int64_t k = 0, count = slope.elementCount(); k < count; ++k) { // alpha in Strata order, read from the slope
        int64_t at = 0;
        for (std::size_t a = 0; a < idx.size(); ++a) at += idx[a] * strides[std::size_t(onnxAxis(int64_t(a + 1), rank, cf))];
        values.push_back(slope.floats.at(std::size_t(at)));
        for (std::size_t a = idx.size(); a-- > 0;) {
            if (++idx[a] < alphaDims[a]) break;
            idx[a] = 0;
        }
    }
    const json sharedAxes = shared.empty() ? json(nullptr) : json(shared);
    const int l = addLayer(n, "PReLU", {{"shared_axes", sharedAxes}}, {x.layer}, x.layout, x.shape);
    layers_[std::size_t(l)].weights["alpha"] = importedTensor(alphaDims, values);
    values_[n.outputs[0]].chw = x.chw;
}

void OnnxGraphImport::thresholdedRelu(const OnnxNode& n) {
    const float t = n.floatAttr("alpha", 1.0f);
    if (!std::isfinite(t) || t < 0) fail(n, "alpha (the threshold) must be a finite number >= 0, as Keras' ReLU threshold");
    const Value x = input(n, 0);
    addLayer(n, "ReLU", {{"threshold", shortestDecimal(t)}}, {x.layer}, x.layout, x.shape);
    values_[n.outputs[0]].chw = x.chw;
}

// Over the features or channels: the activation softmax; over another axis (opset 13 and later,
// where Softmax is over one axis): a Softmax layer on the matching NHWC axis.
void OnnxGraphImport::softmax(const OnnxNode& n) {
    const Value x = input(n, 0);
    const std::size_t rank = x.shape.size();
    const bool opset13 = m_.opset == 0 || m_.opset >= 13;
    const int64_t axis = n.intAttr("axis", opset13 ? -1 : 1), a = axis < 0 ? axis + int64_t(rank) : axis;
    const bool cf = x.layout == Layout::ChannelsFirst;
    if (a < 1 || a >= int64_t(rank)) fail(n, "axis " + std::to_string(axis) + " is out of range or the batch axis");
    if (!opset13 || x.layout == Layout::FlatChw || (cf ? a == 1 : a == int64_t(rank) - 1)) return activation(n, "softmax");
    int64_t strataAxis = a;
    if (cf) strataAxis = a == 1 ? 3 : a - 1;
    addLayer(n, "Softmax", {{"axis", strataAxis}}, {x.layer}, x.layout, x.shape);
    values_[n.outputs[0]].chw = x.chw;
}

void OnnxGraphImport::gelu(const OnnxNode& n) {
    const std::string approximate = n.stringAttr("approximate", "none");
    if (approximate == "none") return activation(n, "gelu");
    if (approximate == "tanh") return activation(n, "gelu_tanh");
    fail(n, "approximate='" + approximate + "' is not a GELU form (none or tanh)");
}

// LayerNormalization over the last axis of a value in Strata's own axis order (features, or NHWC
// images as after a permute to channels-last); gamma and beta constants of the last axis' size.
void OnnxGraphImport::layerNorm(const OnnxNode& n) {
    const Value x = input(n, 0);
    const std::size_t rank = x.shape.size();
    const int64_t axis = n.intAttr("axis", -1), a = axis < 0 ? axis + int64_t(rank) : axis;
    if (a != int64_t(rank) - 1) fail(n, "only a normalization over the last axis is supported, got axis " + std::to_string(axis));
    if (x.layout != Layout::Same) fail(n, "the last axis of an NCHW image is its width; only a channels-last normalization is supported");
    const int64_t c = x.shape.back();
    if (c < 1) fail(n, "the normalized axis needs a known size");
    const float eps = n.floatAttr("epsilon", 1e-5f);
    if (!std::isfinite(eps) || eps < 0) fail(n, "epsilon must be a finite number >= 0");
    auto param = [&](std::size_t k, const char* what) -> const OnnxTensor* {
        if (k >= n.inputs.size() || n.inputs[k].empty()) return nullptr;
        const OnnxTensor& t = requireConstant(n, k, what);
        if (!t.isFloat() || t.elementCount() != c) fail(n, std::string("the ") + what + " must be " + std::to_string(c) + " floats");
        return &t;
    };
    const OnnxTensor *gamma = param(1, "scale"), *beta = param(2, "bias");
    const int l = addLayer(n, "LayerNormalization", {{"axis", -1}, {"epsilon", shortestDecimal(eps)}, {"center", beta != nullptr},
                                                    {"scale", gamma != nullptr}}, {x.layer}, x.layout, x.shape);
    if (gamma) layers_[std::size_t(l)].weights["gamma"] = importedTensor({c}, gamma->floats);
    if (beta) layers_[std::size_t(l)].weights["beta"] = importedTensor({c}, beta->floats);
}

void OnnxGraphImport::channelNormalization(const OnnxNode& n) {
    const bool sub = n.opType == "Sub";
    if (n.inputs.size() != 2 || constant(n.inputs[0]) || !constant(n.inputs[1]))
        fail(n, n.opType + " of two computed tensors has no Strata layer (only a tensor " + (sub ? "minus" : "divided by") +
                    " a constant, a Normalization)");
    const Value x = input(n, 0);
    if (x.layout != Layout::Same || x.shape.size() < 2) fail(n, "only a channels-last tensor is normalized (" + n.opType + " of a constant)");
    const int64_t c = x.shape.back();
    const OnnxTensor& t = requireConstant(n, 1, sub ? "mean" : "divisor");
    if (!t.isFloat() || c < 1 || (t.elementCount() != c && t.elementCount() != 1))
        fail(n, "the constant must be one float or " + std::to_string(c) + " (one per channel of the last axis)");
    std::vector<double> v;
    for (int64_t i = 0; i < c; ++i) {
        const double f = t.floats[std::size_t(t.elementCount() == 1 ? 0 : i)];
        if (!std::isfinite(f) || (!sub && f <= 0.0)) fail(n, "the constant must be finite (and positive to divide by)");
        v.push_back(f);
    }
    std::vector<float> asFloats(v.begin(), v.end());
    if (sub) {
        const int l = addLayer(n, "Normalization", {{"mean", v}, {"variance", std::vector<double>(std::size_t(c), 1.0)}}, {x.layer},
                               x.layout, x.shape);
        layers_[std::size_t(l)].weights["mean"] = importedTensor({c}, asFloats);
        layers_[std::size_t(l)].weights["variance"] = importedTensor({c}, std::vector<float>(std::size_t(c), 1.0f));
        return;
    }
    const std::string& in = n.inputs[0];
    PendingLayer* l = x.layer >= 0 ? &layers_[std::size_t(x.layer)] : nullptr;
    const auto u = uses_.find(in);
    if (!(l && l->type == "Normalization" && l->outputTensor == in && !graphOutputs_.count(in) && u != uses_.end() && u->second == 1 &&
          l->config["variance"] == json(std::vector<double>(std::size_t(c), 1.0))))
        fail(n, "a Div by a constant is imported only right after a Sub of a constant (the two make a Normalization)");
    for (double& d : v) d *= d;
    l->config["variance"] = v;
    l->weights["variance"] = importedTensor({c}, std::vector<float>(v.begin(), v.end()));
    l->outputTensor = n.outputs.at(0);
    alias(n, x);
}

void OnnxGraphImport::scalarAffine(const OnnxNode& n, const Value& x, float value, bool add) {
    if (!std::isfinite(value)) fail(n, "the constant must be a finite number");
    const std::string& in = n.inputs[constant(n.inputs[0]) ? 1 : 0];
    PendingLayer* l = x.layer >= 0 ? &layers_[std::size_t(x.layer)] : nullptr;
    const auto u = uses_.find(in);
    if (add && l && l->type == "Rescaling" && l->outputTensor == in && !graphOutputs_.count(in) && u != uses_.end() &&
        u->second == 1 && l->config.value("offset", 0.0) == 0.0) { // x * scale, then + offset: one layer
        l->config["offset"] = shortestDecimal(value);
        l->outputTensor = n.outputs.at(0);
        return alias(n, x);
    }
    const json config = add ? json{{"scale", 1.0}, {"offset", shortestDecimal(value)}} : json{{"scale", shortestDecimal(value)}, {"offset", 0.0}};
    addLayer(n, "Rescaling", config, {x.layer}, x.layout, x.shape);
    values_[n.outputs[0]].chw = x.chw;
}

bool OnnxGraphImport::reluCap(const OnnxNode& n, float lo, float hi) {
    const Value x = input(n, 0);
    if (x.layer < 0) return false;
    PendingLayer& l = layers_[std::size_t(x.layer)];
    const auto u = uses_.find(n.inputs[0]);
    const bool only = l.outputTensor == n.inputs[0] && !graphOutputs_.count(n.inputs[0]) && u != uses_.end() && u->second == 1;
    const double slope = l.type == "ReLU" ? l.config.value("negative_slope", 0.0) : l.type == "LeakyReLU" ? l.config.value("alpha", 0.3) : 0.0;
    const bool unboundedBelow = std::isinf(lo); // a slope reaches any negative value
    if (only && l.type == "ReLU" && l.config.value("max_value", json(nullptr)).is_null() && (slope == 0.0 || unboundedBelow)) {
        l.config["max_value"] = shortestDecimal(hi);
        l.outputTensor = n.outputs.at(0);
        alias(n, x);
        return true;
    }
    if (only && l.type == "LeakyReLU" && slope >= 0.0 && unboundedBelow) {
        l.type = "ReLU";
        l.config = {{"negative_slope", slope}, {"max_value", shortestDecimal(hi)}};
        l.outputTensor = n.outputs.at(0);
        alias(n, x);
        return true;
    }
    const std::string act = l.outputTensor == n.inputs[0] ? l.config.value("activation", std::string()) : std::string();
    if (only && act == "leaky_relu" && unboundedBelow) { // the fused slope 0.2 and the cap: one ReLU layer after it
        l.config["activation"] = "linear";
        addLayer(n, "ReLU", {{"negative_slope", 0.2}, {"max_value", shortestDecimal(hi)}}, {x.layer}, x.layout, x.shape);
        values_[n.outputs[0]].chw = x.chw;
        return true;
    }
    if (act == "relu" || act == "relu6") { // values >= 0 already: the cap alone
        addLayer(n, "ReLU", {{"max_value", shortestDecimal(hi)}}, {x.layer}, x.layout, x.shape);
        values_[n.outputs[0]].chw = x.chw;
        return true;
    }
    return false;
}

} // namespace strata::storage
