#include "engine/layers/PoolingLayers.h"

#include "engine/Error.h"
#include "engine/LayerRegistry.h"
#include "engine/layers/ConvolutionLayers.h"

namespace strata::layers {

static const char* kImageShape = "(batch, height, width, channels)";

Pooling2D::Pooling2D(const LayerTypeInfo& info, std::string name, nlohmann::json config)
    : Layer(info, std::move(name), std::move(config)), poolSize(pairConfig("pool_size", 1)),
      strides(cfg("strides").is_null() ? poolSize : pairConfig("strides", 1)),
      padding(choiceConfig("padding", {"valid", "same"})) {}

Shape Pooling2D::outputShape(const std::vector<Shape>& inputs) const {
    const Shape& in = inputs.at(0);
    requireRank(in, 4, kImageShape);
    const bool same = padding == "same";
    return Shape{in[0], windowOutputSize(in[1], poolSize[0], strides[0], 1, same, "height"),
                 windowOutputSize(in[2], poolSize[1], strides[1], 1, same, "width"), in[3]};
}

LayerOutput Pooling2D::call(CallContext& ctx, const std::vector<ir::ValueId>& in) const {
    ir::Pool2DParams p;
    p.poolH = poolSize[0], p.poolW = poolSize[1];
    p.strideH = strides[0], p.strideW = strides[1];
    p.padding = ir::parsePadding(padding);
    ir::Graph& g = ctx.graph();
    return {isMax() ? g.maxPool2d(in.at(0), p) : g.avgPool2d(in.at(0), p)};
}

std::string Pooling2D::keyConfigText() const {
    return std::to_string(poolSize[0]) + "×" + std::to_string(poolSize[1]) + (padding == "same" ? " same" : "");
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

void registerPoolingLayers(std::vector<LayerTypeInfo>& out) {
    nlohmann::json poolDefaults = {{"pool_size", {2, 2}}, {"strides", nullptr}, {"padding", "valid"}};
    out.push_back({"MaxPooling2D", "Pooling", "Maximum over pool_size windows of each channel (strides default to pool_size)",
                   poolDefaults, 1, 1, {}, makeLayer<Pooling2D>});
    out.push_back({"AveragePooling2D", "Pooling", "Mean over pool_size windows of each channel (strides default to pool_size)",
                   poolDefaults, 1, 1, {}, makeLayer<Pooling2D>});
    out.push_back({"GlobalAveragePooling2D", "Pooling", "Mean of each channel over height and width: (N, H, W, C) → (N, C)",
                   {{"keepdims", false}}, 1, 1, {}, makeLayer<GlobalAveragePooling2D>});
}

} // namespace strata::layers
