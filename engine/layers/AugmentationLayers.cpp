#include "engine/layers/AugmentationLayers.h"

#include "engine/Error.h"
#include "engine/Initializers.h"
#include "engine/LayerRegistry.h"
#include "engine/ir/Optimizers.h"
#include "engine/ir/Philox.h"

#include <cstdio>
#include <utility>

namespace strata::layers {

std::vector<float> augmentationUniforms(uint64_t seed, uint32_t step, int64_t count) {
    std::vector<float> u(std::size_t(count > 0 ? count : 0));
    for (std::size_t i = 0; i < u.size(); ++i) u[i] = ir::philoxUniform(seed, step, i);
    return u;
}


ir::ValueId filled(ir::Graph& g, int64_t n, double v) {
    Tensor t(Shape{n, 1});
    t.fill(float(v));
    return g.constant(std::move(t));
}

RandomImageLayer::RandomImageLayer(const LayerTypeInfo& info, std::string name, nlohmann::json config)
    : Layer(info, std::move(name), std::move(config)) {
    const auto& s = cfg("seed");
    if (!s.is_null()) {
        if (!s.is_number_integer() || s.get<int64_t>() < 0)
            configError("seed", "must be a non-negative integer or null, got " + s.dump());
        seed = s.get<int64_t>();
    }
}

Shape RandomImageLayer::outputShape(const std::vector<Shape>& inputs) const {
    requireRank(inputs.at(0), 4, "(batch, height, width, channels)");
    return inputs.at(0);
}

uint64_t RandomImageLayer::streamSeed(uint64_t runSeed) const { return seed >= 0 ? uint64_t(seed) : hashString(path(), runSeed); }

ir::ValueId RandomImageLayer::uniforms(CallContext& ctx, Shape shape) const {
    ir::Graph& g = ctx.graph();
    const ir::ValueId step = g.variable(ir::kIterationsPath, Shape{}, DType::I32);
    return g.randomUniform(step, std::move(shape), streamSeed(ctx.seed()));
}

RandomFlip::RandomFlip(const LayerTypeInfo& info, std::string name, nlohmann::json config)
    : RandomImageLayer(info, std::move(name), std::move(config)),
      mode(choiceConfig("mode", {"horizontal", "vertical", "horizontal_and_vertical"})) {}

LayerOutput RandomFlip::call(CallContext& ctx, const std::vector<ir::ValueId>& in) const {
    if (!ctx.training()) return {in.at(0)};
    ir::Graph& g = ctx.graph();
    const ir::ValueId x = in.at(0);
    const Shape s = g.shape(x);
    // flip_i = u_i <= 0.5. u is k 2^-24 for an integer k, so (0.5 - u) 2^24 + 1 is the integer
    // 2^23 - k + 1, exactly; clipped to [0, 1] it is 1 when k <= 2^23, else 0.
    const ir::ValueId u = uniforms(ctx, Shape{s[0], 1});
    const ir::ValueId flip = g.clip(g.add(g.mul(g.sub(g.scalar(0.5f), u), g.scalar(16777216.0f)), g.scalar(1.0f)), 0.0, 1.0);
    // The flip as a whole-pixel transform (ImageTransform, nearest: exact): column j reads
    // m (W - 1 - j) + (1 - m) j, i.e. a0 = 1 - 2m, a2 = m (W - 1); rows likewise.
    const ir::ValueId one = filled(g, s[0], 1.0), zero = filled(g, s[0], 0.0);
    const ir::ValueId twice = g.mul(flip, g.scalar(2.0f));
    ir::ValueId a0 = one, a2 = zero, b1 = one, b2 = zero;
    if (horizontal()) a0 = g.sub(one, twice), a2 = g.mul(flip, g.scalar(float(s[2] - 1)));
    if (vertical()) b1 = g.sub(one, twice), b2 = g.mul(flip, g.scalar(float(s[1] - 1)));
    const ir::ValueId t = g.concat({a0, zero, a2, zero, b1, b2, zero, zero}, 1);
    return {g.imageTransform(x, t, 0, 0, 0.0)};
}

RandomContrast::RandomContrast(const LayerTypeInfo& info, std::string name, nlohmann::json config)
    : RandomImageLayer(info, std::move(name), std::move(config)) {
    const auto& f = cfg("factor");
    const std::string expected = "must be a number in [0, 1] or [lower, upper] of numbers in [0, 1], got " + f.dump();
    if (f.is_number()) {
        lower = upper = f.get<double>();
    } else if (f.is_array() && f.size() == 2 && f[0].is_number() && f[1].is_number()) {
        lower = f[0].get<double>(), upper = f[1].get<double>();
    } else {
        configError("factor", expected);
    }
    if (!(lower >= 0.0 && lower <= 1.0 && upper >= 0.0 && upper <= 1.0)) configError("factor", expected);
    const auto& r = cfg("value_range");
    if (!r.is_array() || r.size() != 2 || !r[0].is_number() || !r[1].is_number() || !(r[0].get<double>() < r[1].get<double>()))
        configError("value_range", "must be [low, high] with low < high, got " + r.dump());
    valueRange = {r[0].get<double>(), r[1].get<double>()};
}

LayerOutput RandomContrast::call(CallContext& ctx, const std::vector<ir::ValueId>& in) const {
    if (!ctx.training()) return {in.at(0)};
    ir::Graph& g = ctx.graph();
    const ir::ValueId x = in.at(0);
    const Shape s = g.shape(x);
    const ir::ValueId u = uniforms(ctx, Shape{s[0], 1, 1, 1});
    const ir::ValueId factor = g.add(g.scalar(float(1.0 - lower)), g.mul(u, g.scalar(float(lower + upper))));
    const ir::ValueId mean = g.reduceMean(x, {1, 2}, true);
    const ir::ValueId y = g.add(g.mul(g.sub(x, mean), factor), mean);
    return {g.clip(y, valueRange[0], valueRange[1])};
}

std::string RandomContrast::keyConfigText() const {
    char buf[48];
    std::snprintf(buf, sizeof buf, "%g..%g", 1.0 - lower, 1.0 + upper);
    return buf;
}

void registerAffineAugmentationLayers(std::vector<LayerTypeInfo>& out); // AffineAugmentationLayers.cpp
void registerImageResizeLayers(std::vector<LayerTypeInfo>& out);        // ImageResizeLayers.cpp
void registerFeatureNormalization(std::vector<LayerTypeInfo>& out);      // FeatureNormalization.cpp

void registerAugmentationLayers(std::vector<LayerTypeInfo>& out) {
    out.push_back({"RandomFlip", "Preprocessing",
                   "While training, flips each image left-right and/or top-bottom with probability 1/2 (the identity in inference)",
                   {{"mode", "horizontal_and_vertical"}, {"seed", nullptr}}, 1, 1, {}, makeLayer<RandomFlip>});
    out.push_back({"RandomContrast", "Preprocessing",
                   "While training, scales each image's deviation from its per-channel mean by a factor in [1 - lower, 1 + upper], "
                   "clipped to value_range (the identity in inference)",
                   {{"factor", 0.2}, {"value_range", {0, 255}}, {"seed", nullptr}}, 1, 1, {}, makeLayer<RandomContrast>});
    registerAffineAugmentationLayers(out);
    registerImageResizeLayers(out);
    registerFeatureNormalization(out);
}

} // namespace strata::layers
