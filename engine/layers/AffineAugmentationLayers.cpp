// RandomTranslation, RandomRotation, RandomZoom: per-image transforms built in the graph from the
// layer's uniforms and applied by the ImageTransform op (AugmentationLayers.h).
#include "engine/layers/AugmentationLayers.h"

#include "engine/Error.h"
#include "engine/LayerRegistry.h"
#include "engine/ir/ImageGeometry.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numbers>
#include <utility>

namespace strata::layers {

namespace {

// Column `k` of u [N, K] as [N, 1].
ir::ValueId column(ir::Graph& g, ir::ValueId u, int64_t k) { return g.slice(u, 1, k, 1); }

// lo + u (hi - lo).
ir::ValueId between(ir::Graph& g, ir::ValueId u, double lo, double hi) {
    return g.add(g.scalar(float(lo)), g.mul(u, g.scalar(float(hi - lo))));
}

std::string rangeText(const std::array<double, 2>& r) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%g..%g", r[0], r[1]);
    return buf;
}

} // namespace

AffineImageLayer::AffineImageLayer(const LayerTypeInfo& info, std::string name, nlohmann::json config)
    : RandomImageLayer(info, std::move(name), std::move(config)) {
    interpolation = choiceConfig("interpolation", {"nearest", "bilinear"}) == "bilinear" ? 1 : 0;
    const std::string fill = choiceConfig("fill_mode", {"constant", "nearest", "reflect", "wrap"});
    fillMode = fill == "constant" ? 0 : fill == "nearest" ? 1 : fill == "reflect" ? 2 : 3;
    const auto& v = cfg("fill_value");
    if (!v.is_number() || !std::isfinite(v.get<double>())) configError("fill_value", "must be a finite number, got " + v.dump());
    fillValue = v.get<double>();
}

std::array<double, 2> AffineImageLayer::factorRange(const std::string& key, double lo, double hi, bool loOpen) const {
    const auto& f = cfg(key);
    char bounds[64];
    std::snprintf(bounds, sizeof bounds, "%s%g, %g]", loOpen ? "(" : "[", lo, hi);
    const std::string expected = std::string("must be a number or [lower, upper] of numbers in ") + bounds + ", got " + f.dump();
    std::array<double, 2> r{};
    if (f.is_number()) {
        const double a = std::fabs(f.get<double>());
        r = {-a, a};
        if (!(f.get<double>() >= -hi && f.get<double>() <= hi)) configError(key, expected);
    } else if (f.is_array() && f.size() == 2 && f[0].is_number() && f[1].is_number()) {
        r = {f[0].get<double>(), f[1].get<double>()};
        if (r[0] > r[1]) std::swap(r[0], r[1]);
    } else {
        configError(key, expected);
    }
    for (double x : r)
        if (!(x <= hi && (loOpen ? x > lo : x >= lo))) configError(key, expected);
    return r;
}

LayerOutput AffineImageLayer::call(CallContext& ctx, const std::vector<ir::ValueId>& in) const {
    if (!ctx.training()) return {in.at(0)};
    ir::Graph& g = ctx.graph();
    const ir::ValueId x = in.at(0);
    const Shape s = g.shape(x);
    return {g.imageTransform(x, transforms(ctx, s), interpolation, fillMode, fillValue)};
}

RandomTranslation::RandomTranslation(const LayerTypeInfo& info, std::string name, nlohmann::json config)
    : AffineImageLayer(info, std::move(name), std::move(config)) {
    height = factorRange("height_factor", -1.0, 1.0, false);
    width = factorRange("width_factor", -1.0, 1.0, false);
}

ir::ValueId RandomTranslation::transforms(CallContext& ctx, const Shape& s) const {
    ir::Graph& g = ctx.graph();
    const ir::ValueId u = uniforms(ctx, Shape{s[0], 2});
    const ir::ValueId dy = g.mul(between(g, column(g, u, 0), height[0], height[1]), g.scalar(float(s[1])));
    const ir::ValueId dx = g.mul(between(g, column(g, u, 1), width[0], width[1]), g.scalar(float(s[2])));
    const ir::ValueId one = filled(g, s[0], 1.0), zero = filled(g, s[0], 0.0);
    return g.concat({one, zero, g.neg(dx), zero, one, g.neg(dy), zero, zero}, 1);
}

std::string RandomTranslation::keyConfigText() const { return "h " + rangeText(height) + " w " + rangeText(width); }

RandomRotation::RandomRotation(const LayerTypeInfo& info, std::string name, nlohmann::json config)
    : AffineImageLayer(info, std::move(name), std::move(config)) {
    factor = factorRange("factor", -1.0, 1.0, false);
}

ir::ValueId RandomRotation::transforms(CallContext& ctx, const Shape& s) const {
    ir::Graph& g = ctx.graph();
    const ir::ValueId u = uniforms(ctx, Shape{s[0], 1});
    const double turn = 2.0 * std::numbers::pi;
    const ir::ValueId angle = between(g, u, factor[0] * turn, factor[1] * turn);
    const ir::ValueId c = g.cos(angle), sn = g.sin(angle);
    const float cx = float(s[2] - 1) / 2.0f, cy = float(s[1] - 1) / 2.0f;
    // a2 = cx - cx c + cy s, b2 = cy - cx s - cy c
    const ir::ValueId a2 = g.add(g.sub(g.scalar(cx), g.mul(c, g.scalar(cx))), g.mul(sn, g.scalar(cy)));
    const ir::ValueId b2 = g.sub(g.sub(g.scalar(cy), g.mul(sn, g.scalar(cx))), g.mul(c, g.scalar(cy)));
    const ir::ValueId zero = filled(g, s[0], 0.0);
    return g.concat({c, g.neg(sn), a2, sn, c, b2, zero, zero}, 1);
}

std::string RandomRotation::keyConfigText() const { return rangeText(factor); }

RandomZoom::RandomZoom(const LayerTypeInfo& info, std::string name, nlohmann::json config)
    : AffineImageLayer(info, std::move(name), std::move(config)) {
    height = factorRange("height_factor", -1.0, 1.0, true);
    sameZoom = cfg("width_factor").is_null();
    if (!sameZoom) width = factorRange("width_factor", -1.0, 1.0, true);
}

ir::ValueId RandomZoom::transforms(CallContext& ctx, const Shape& s) const {
    ir::Graph& g = ctx.graph();
    const ir::ValueId u = uniforms(ctx, Shape{s[0], 2});
    const ir::ValueId zy = between(g, column(g, u, 0), 1.0 + height[0], 1.0 + height[1]);
    const ir::ValueId zx = sameZoom ? zy : between(g, column(g, u, 1), 1.0 + width[0], 1.0 + width[1]);
    const float cx = float(s[2] - 1) / 2.0f, cy = float(s[1] - 1) / 2.0f;
    const ir::ValueId one = g.scalar(1.0f), zero = filled(g, s[0], 0.0);
    const ir::ValueId a2 = g.mul(g.sub(one, zx), g.scalar(cx)), b2 = g.mul(g.sub(one, zy), g.scalar(cy));
    return g.concat({zx, zero, a2, zero, zy, b2, zero, zero}, 1);
}

std::string RandomZoom::keyConfigText() const { return "h " + rangeText(height) + (sameZoom ? "" : " w " + rangeText(width)); }

void registerAffineAugmentationLayers(std::vector<LayerTypeInfo>& out) {
    const nlohmann::json common = {{"fill_mode", "reflect"}, {"interpolation", "bilinear"}, {"seed", nullptr}, {"fill_value", 0.0}};
    auto with = [&](nlohmann::json d) {
        for (auto it = common.begin(); it != common.end(); ++it) d[it.key()] = it.value();
        return d;
    };
    out.push_back({"RandomTranslation", "Preprocessing",
                   "While training, shifts each image by up to height_factor·H rows and width_factor·W columns (the identity in inference)",
                   with({{"height_factor", 0.1}, {"width_factor", 0.1}}), 1, 1, {}, makeLayer<RandomTranslation>});
    out.push_back({"RandomRotation", "Preprocessing",
                   "While training, rotates each image by a random fraction `factor` of a full turn about its centre (the identity in inference)",
                   with({{"factor", 0.1}}), 1, 1, {}, makeLayer<RandomRotation>});
    out.push_back({"RandomZoom", "Preprocessing",
                   "While training, zooms each image in or out by height_factor (and width_factor; null: the same zoom) (the identity in inference)",
                   with({{"height_factor", 0.1}, {"width_factor", nullptr}}), 1, 1, {}, makeLayer<RandomZoom>});
}

} // namespace strata::layers
