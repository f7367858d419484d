#include "engine/layers/ActivationLayers.h"

#include "engine/Error.h"
#include "engine/LayerRegistry.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace strata::layers {

namespace {
std::string number(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%g", v);
    return buf;
}

// A finite number from the config, or a config error naming the key (dump() prints NaN as null).
double finiteNumber(const nlohmann::json& v, const std::string& key) {
    if (!v.is_number() || !std::isfinite(v.get<double>()))
        throw ConfigError(key + ": must be a finite number, got " + (v.is_number() ? number(v.get<double>()) : v.dump()));
    return v.get<double>();
}
} // namespace

Softmax::Softmax(const LayerTypeInfo& info, std::string name, nlohmann::json config)
    : Layer(info, std::move(name), std::move(config)),
      axis(cfg("axis").is_number_integer() ? cfg("axis").get<int64_t>() : 0) {
    if (!cfg("axis").is_number_integer()) configError("axis", "must be an integer, got " + cfg("axis").dump());
    if (axis == 0) configError("axis", "0 is the batch axis; softmax runs over one axis of a sample");
}

std::size_t Softmax::axisFor(std::size_t rank) const {
    const int64_t a = axis < 0 ? int64_t(rank) + axis : axis;
    if (a < 1 || a >= int64_t(rank))
        throw ShapeError("axis " + std::to_string(axis) + " is out of range for an input of rank " + std::to_string(rank));
    return std::size_t(a);
}

Shape Softmax::outputShape(const std::vector<Shape>& inputs) const {
    axisFor(inputs.at(0).rank());
    return inputs[0];
}

LayerOutput Softmax::call(CallContext& ctx, const std::vector<ir::ValueId>& in) const {
    ir::Graph& g = ctx.graph();
    // Keras 3's Softmax applies its input's mask along the softmax axis (where(mask, x, -1e9)), which
    // a (batch, steps) sequence mask does not fit: Keras raises, and so does Strata.
    if (ctx.inputMask(0) != ir::kNoValue)
        throw StrataError("gets a mask (from an Embedding with mask_zero): Keras 3's Softmax layer applies a mask along "
                          "its axis, which a (batch, steps) mask does not fit; use the softmax activation of the layer "
                          "before, or drop the mask first (e.g. GlobalAveragePooling1D)");
    const std::size_t rank = g.shape(in.at(0)).rank(), a = axisFor(rank);
    if (a + 1 == rank) return {g.softmax(in[0])};
    std::vector<int64_t> perm; // the axis swapped with the last: its own inverse
    for (std::size_t i = 0; i < rank; ++i) perm.push_back(int64_t(i));
    std::swap(perm[a], perm.back());
    return {g.transpose(g.softmax(g.transpose(in[0], perm)), perm)};
}

std::string Softmax::keyConfigText() const { return axis == -1 ? std::string() : "axis " + std::to_string(axis); }

PReLU::PReLU(const LayerTypeInfo& info, std::string name, nlohmann::json config)
    : Layer(info, std::move(name), std::move(config)), alphaInit_(initializerConfig("alpha_initializer")) {
    const nlohmann::json& s = cfg("shared_axes");
    if (s.is_number_integer()) sharedAxes.push_back(s.get<int64_t>());
    else if (s.is_array()) {
        for (const auto& a : s) {
            if (!a.is_number_integer()) configError("shared_axes", "must be integers, got " + s.dump());
            sharedAxes.push_back(a.get<int64_t>());
        }
    } else if (!s.is_null()) {
        configError("shared_axes", "must be null, an integer or a list of integers, got " + s.dump());
    }
    for (int64_t a : sharedAxes)
        if (a < 1) configError("shared_axes", "axes count from 1 (the batch axis is never shared), got " + s.dump());
}

Shape PReLU::alphaShape(const Shape& input) const {
    if (input.rank() < 2) throw ShapeError("expects an input with a batch axis and at least one more, got " + input.toString());
    std::vector<int64_t> dims(input.dims().begin() + 1, input.dims().end());
    for (int64_t a : sharedAxes) {
        if (a >= int64_t(input.rank()))
            throw ShapeError("shared axis " + std::to_string(a) + " is out of range for an input of rank " +
                             std::to_string(input.rank()));
        dims[std::size_t(a - 1)] = 1;
    }
    for (std::size_t i = 0; i < dims.size(); ++i)
        if (dims[i] < 0)
            throw ShapeError("needs a known size on axis " + std::to_string(i + 1) + " (or that axis in shared_axes), got " +
                             input.toString());
    return Shape(dims);
}

Shape PReLU::outputShape(const std::vector<Shape>& inputs) const {
    alphaShape(inputs.at(0));
    return inputs[0];
}

std::vector<VariableSpec> PReLU::variableSpecs(const std::vector<Shape>& inputs) const {
    const Shape a = alphaShape(inputs.at(0));
    return {{"alpha", a, true, alphaInit_, a.numElements(), a.numElements()}};
}

LayerOutput PReLU::call(CallContext& ctx, const std::vector<ir::ValueId>& in) const {
    ir::Graph& g = ctx.graph();
    const ir::ValueId x = in.at(0), alpha = ctx.variable(*this, "alpha");
    return {g.sub(g.relu(x), g.mul(alpha, g.relu(g.neg(x))))};
}

std::string PReLU::keyConfigText() const {
    if (sharedAxes.empty()) return {};
    std::string s = "shared";
    for (int64_t a : sharedAxes) s += " " + std::to_string(a);
    return s;
}

Rescaling::Rescaling(const LayerTypeInfo& info, std::string name, nlohmann::json config)
    : Layer(info, std::move(name), std::move(config)) {
    scale = finiteNumber(cfg("scale"), "scale");
    offset = finiteNumber(cfg("offset"), "offset");
}

LayerOutput Rescaling::call(CallContext& ctx, const std::vector<ir::ValueId>& in) const {
    ir::Graph& g = ctx.graph();
    ir::ValueId y = in.at(0);
    if (scale != 1.0) y = g.mul(y, g.scalar(float(scale)));
    if (offset != 0.0) y = g.add(y, g.scalar(float(offset)));
    return {y};
}

std::string Rescaling::keyConfigText() const {
    return "×" + number(scale) + (offset != 0.0 ? (offset > 0 ? " +" : " ") + number(offset) : std::string());
}

void registerActivationLayers(std::vector<LayerTypeInfo>& out) {
    out.push_back({"Softmax", "Activation", "Softmax over one axis (the last by default): exp(x) / sum(exp(x))",
                   {{"axis", -1}}, 1, 1, {}, makeLayer<Softmax>});
    out.push_back({"PReLU", "Activation",
                   "Parametric rectifier: x if x >= 0, else alpha * x, with alpha learned per element of the sample "
                   "(shared over shared_axes, counted from 1)",
                   {{"alpha_initializer", "zeros"}, {"shared_axes", nullptr}}, 1, 1, {}, makeLayer<PReLU>});
    out.push_back({"Rescaling", "Core", "Rescales every value: x * scale + offset (e.g. scale 1/255 for pixels)",
                   {{"scale", 1.0}, {"offset", 0.0}}, 1, 1, {"scale"}, makeLayer<Rescaling>});
}

} // namespace strata::layers
