#include "engine/layers/FeatureNormalization.h"

#include "engine/Error.h"
#include "engine/LayerRegistry.h"
#include "engine/Variable.h"

#include <cmath>
#include <cstdio>
#include <limits>
#include <utility>

namespace strata::layers {

namespace {

std::optional<std::vector<double>> statistic(const nlohmann::json& v) {
    if (v.is_null()) return std::nullopt;
    std::vector<double> out;
    if (v.is_number()) {
        out.push_back(v.get<double>());
    } else if (v.is_array() && !v.empty()) {
        for (const auto& e : v) {
            if (!e.is_number()) return std::vector<double>{};
            out.push_back(e.get<double>());
        }
    }
    for (double d : out)
        if (!std::isfinite(d)) return std::vector<double>{};
    return out;
}

} // namespace

FeatureNormalization::FeatureNormalization(const LayerTypeInfo& info, std::string name, nlohmann::json config)
    : Layer(info, std::move(name), std::move(config)) {
    const auto& a = cfg("axis");
    if (!a.is_number_integer() || a.get<int64_t>() != -1)
        configError("axis", "only -1 (the channels, the last axis) is supported, got " + a.dump());
    mean = statistic(cfg("mean"));
    variance = statistic(cfg("variance"));
    if (mean && mean->empty()) configError("mean", "must be null, a number or a list of numbers, got " + cfg("mean").dump());
    if (variance && variance->empty())
        configError("variance", "must be null, a number or a list of non-negative numbers, got " + cfg("variance").dump());
    if (variance)
        for (double v : *variance)
            if (v < 0.0) configError("variance", "must be null, a number or a list of non-negative numbers, got " + cfg("variance").dump());
    if (mean.has_value() != variance.has_value())
        configError(mean ? "variance" : "mean", "mean and variance are given together (or both left null to adapt them)");
    const auto& inv = cfg("invert");
    if (!inv.is_boolean()) configError("invert", "must be a boolean, got " + inv.dump());
    invert = inv.get<bool>();
}

Shape FeatureNormalization::outputShape(const std::vector<Shape>& inputs) const {
    const Shape& s = inputs.at(0);
    if (s.rank() < 2) throw ShapeError("expects an input with a channel axis (batch, ..., channels), got " + s.toString());
    const int64_t c = s[s.rank() - 1];
    for (const auto* stat : {&mean, &variance})
        if (*stat && (*stat)->size() > 1 && c != kUnknownDim && int64_t((*stat)->size()) != c)
            throw ShapeError("has " + std::to_string((*stat)->size()) + " mean/variance values for " + std::to_string(c) + " channels");
    return s;
}

std::vector<VariableSpec> FeatureNormalization::variableSpecs(const std::vector<Shape>& inputs) const {
    const Shape& s = inputs.at(0);
    const Shape c{s[s.rank() - 1]};
    return {{"mean", c, false, "zeros"}, {"variance", c, false, "ones"}};
}

void FeatureNormalization::buildVariables(const std::vector<Shape>& inputs, uint64_t seed) {
    Layer::buildVariables(inputs, seed);
    if (!mean) return;
    for (const auto& [var, values] : {std::pair{"mean", &*mean}, std::pair{"variance", &*variance}}) {
        Tensor& t = findVariable(var)->value();
        for (int64_t i = 0; i < t.size(); ++i) t.f32()[i] = float(values->size() == 1 ? (*values)[0] : (*values)[std::size_t(i)]);
    }
}

LayerOutput FeatureNormalization::call(CallContext& ctx, const std::vector<ir::ValueId>& in) const {
    ir::Graph& g = ctx.graph();
    const ir::ValueId x = in.at(0);
    const ir::ValueId m = ctx.variable(*this, "mean"), v = ctx.variable(*this, "variance");
    // max(sqrt(variance), 1e-7) as sqrt(max(variance, 1e-14)): Keras' epsilon, with the ops at hand.
    const ir::ValueId sd = g.sqrt(g.clip(v, 1e-14, double(std::numeric_limits<float>::max())));
    if (invert) return {g.add(g.mul(x, sd), m)};
    return {g.div(g.sub(x, m), sd)};
}

std::string FeatureNormalization::keyConfigText() const { return adapts() ? "adapted" : (invert ? "given, invert" : "given"); }

void registerFeatureNormalization(std::vector<LayerTypeInfo>& out) {
    out.push_back({"Normalization", "Preprocessing",
                   "Standardizes each channel: (x - mean) / sqrt(variance), mean and variance given or adapted from the "
                   "training data before training (non-trainable variables)",
                   {{"axis", -1}, {"mean", nullptr}, {"variance", nullptr}, {"invert", false}}, 1, 1, {},
                   makeLayer<FeatureNormalization>});
}

} // namespace strata::layers
