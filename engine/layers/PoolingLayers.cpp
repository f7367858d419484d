#include "engine/layers/PoolingLayers.h"

#include "engine/Error.h"
#include "engine/LayerRegistry.h"
#include "engine/layers/ConvolutionLayers.h"

namespace strata::layers {

static const char* kImageShape = "(batch, height, width, channels)";

Pooling2D::Pooling2D(const LayerTypeInfo& info, std::string name, nlohmann::json config)
    : Layer(info, std::move(name), std::move(config)), poolSize(pairConfig("pool_size", 1)),
      strides(cfg("strides").is_null() ? poolSize : pairConfig("strides", 1)) {
    const nlohmann::json& p = cfg("padding");
    if (p.is_array()) {
        auto bad = [&] {
            configError("padding", "expected \"valid\", \"same\" or [[top, bottom], [left, right]] of integers from 0 to "
                                   "the pool size less one, got " + p.dump());
        };
        if (p.size() != 2) bad();
        for (std::size_t axis = 0; axis < 2; ++axis) {
            const nlohmann::json& pair = p[axis];
            if (!pair.is_array() || pair.size() != 2) bad();
            for (std::size_t side = 0; side < 2; ++side) {
                const nlohmann::json& v = pair[side];
                if (!v.is_number_integer() || v.get<int64_t>() < 0) bad();
                if (v.get<int64_t>() >= poolSize[axis])
                    configError("padding", std::string(side == 0 ? (axis == 0 ? "top" : "left") : (axis == 0 ? "bottom" : "right")) +
                                               " pad " + std::to_string(v.get<int64_t>()) + " must be smaller than the pool size " +
                                               std::to_string(poolSize[axis]) + " (a window must hold one input cell)");
                pads[axis * 2 + side] = v.get<int64_t>();
            }
        }
        padding = "explicit";
    } else {
        padding = choiceConfig("padding", {"valid", "same"});
    }
    const nlohmann::json& c = cfg("ceil_mode");
    if (!c.is_boolean()) configError("ceil_mode", "must be true or false, got " + c.dump());
    ceilMode = c.get<bool>();
    if (ceilMode && padding == "same") configError("ceil_mode", "applies to padding \"valid\" or explicit pads, not \"same\"");
}

ir::Pool2DParams Pooling2D::params() const {
    ir::Pool2DParams p;
    p.poolH = poolSize[0], p.poolW = poolSize[1];
    p.strideH = strides[0], p.strideW = strides[1];
    p.padding = explicitPads() ? ir::Padding::Valid : ir::parsePadding(padding);
    p.explicitPads = explicitPads();
    p.padTop = pads[0], p.padBottom = pads[1], p.padLeft = pads[2], p.padRight = pads[3];
    p.ceilMode = ceilMode;
    return p;
}

Shape Pooling2D::outputShape(const std::vector<Shape>& inputs) const {
    const Shape& in = inputs.at(0);
    requireRank(in, 4, kImageShape);
    if (explicitPads() || ceilMode) {
        auto size = [&](std::size_t axis) {
            const int64_t d = in[axis + 1];
            return d == kUnknownDim ? kUnknownDim
                                    : ir::poolOutputSize(d, poolSize[axis], strides[axis], pads[axis * 2], pads[axis * 2 + 1],
                                                         ceilMode, axis == 0 ? "height" : "width");
        };
        return Shape{in[0], size(0), size(1), in[3]};
    }
    const bool same = padding == "same";
    return Shape{in[0], windowOutputSize(in[1], poolSize[0], strides[0], 1, same, "height"),
                 windowOutputSize(in[2], poolSize[1], strides[1], 1, same, "width"), in[3]};
}

LayerOutput Pooling2D::call(CallContext& ctx, const std::vector<ir::ValueId>& in) const {
    ir::Graph& g = ctx.graph();
    return {isMax() ? g.maxPool2d(in.at(0), params()) : g.avgPool2d(in.at(0), params())};
}

std::string Pooling2D::keyConfigText() const {
    std::string s = std::to_string(poolSize[0]) + "×" + std::to_string(poolSize[1]);
    if (strides != poolSize) s += " /" + std::to_string(strides[0]) + (strides[1] != strides[0] ? "," + std::to_string(strides[1]) : "");
    if (padding == "same") s += " same";
    if (explicitPads()) {
        const bool even = pads[0] == pads[1] && pads[1] == pads[2] && pads[2] == pads[3];
        s += even ? " pad " + std::to_string(pads[0])
                  : " pad " + std::to_string(pads[0]) + "," + std::to_string(pads[1]) + "," + std::to_string(pads[2]) + "," +
                        std::to_string(pads[3]);
    }
    if (ceilMode) s += " ceil";
    return s;
}

GlobalAveragePooling2D::GlobalAveragePooling2D(const LayerTypeInfo& info, std::string name, nlohmann::json config)
    : Layer(info, std::move(name), std::move(config)), keepDims(cfg("keepdims").get<bool>()) {}

Shape GlobalAveragePooling2D::outputShape(const std::vector<Shape>& inputs) const {
    const Shape& in = inputs.at(0);
    requireRank(in, 4, kImageShape);
    return keepDims ? Shape{in[0], 1, 1, in[3]} : Shape{in[0], in[3]};
}

LayerOutput GlobalAveragePooling2D::call(CallContext& ctx, const std::vector<ir::ValueId>& in) const {
    return {ctx.graph().reduceMean(in.at(0), {1, 2}, keepDims)};
}

GlobalMaxPooling2D::GlobalMaxPooling2D(const LayerTypeInfo& info, std::string name, nlohmann::json config)
    : Layer(info, std::move(name), std::move(config)), keepDims(cfg("keepdims").get<bool>()) {}

Shape GlobalMaxPooling2D::outputShape(const std::vector<Shape>& inputs) const {
    const Shape& in = inputs.at(0);
    requireRank(in, 4, kImageShape);
    return keepDims ? Shape{in[0], 1, 1, in[3]} : Shape{in[0], in[3]};
}

LayerOutput GlobalMaxPooling2D::call(CallContext& ctx, const std::vector<ir::ValueId>& in) const {
    ir::Graph& g = ctx.graph();
    const Shape s = g.shape(in.at(0));
    ir::Pool2DParams p;
    p.poolH = p.strideH = s[1], p.poolW = p.strideW = s[2];
    const ir::ValueId y = g.maxPool2d(in[0], p);
    return {keepDims ? y : g.reshape(y, Shape{s[0], s[3]})};
}

void registerPoolingLayers(std::vector<LayerTypeInfo>& out) {
    nlohmann::json poolDefaults = {{"pool_size", {2, 2}}, {"strides", nullptr}, {"padding", "valid"}, {"ceil_mode", false}};
    const std::string extension = "; Strata extension of Keras (PyTorch pools): padding may be [[top, bottom], [left, right]] "
                                  "and ceil_mode rounds output sizes up";
    out.push_back({"MaxPooling2D", "Pooling",
                   "Maximum over pool_size windows of each channel (strides default to pool_size; pads never win)" + extension,
                   poolDefaults, 1, 1, {}, makeLayer<Pooling2D>});
    out.push_back({"AveragePooling2D", "Pooling",
                   "Mean over pool_size windows of each channel (strides default to pool_size; pads are not counted)" + extension,
                   poolDefaults, 1, 1, {}, makeLayer<Pooling2D>});
    out.push_back({"GlobalAveragePooling2D", "Pooling", "Mean of each channel over height and width: (N, H, W, C) → (N, C)",
                   {{"keepdims", false}}, 1, 1, {}, makeLayer<GlobalAveragePooling2D>});
    out.push_back({"GlobalMaxPooling2D", "Pooling", "Maximum of each channel over height and width: (N, H, W, C) → (N, C)",
                   {{"keepdims", false}}, 1, 1, {}, makeLayer<GlobalMaxPooling2D>});
}

} // namespace strata::layers
