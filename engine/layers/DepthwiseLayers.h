// Depthwise and depthwise-separable 2D convolutions (Keras 3 DepthwiseConv2D, SeparableConv2D), NHWC.
// Both run as a Conv2D op with groups = input channels (the depthwise kernel (kh, kw, in, dm) is, in
// memory, the grouped HWIO filter (kh, kw, 1, in*dm): output channel c*dm + m reads input channel c).
#pragma once

#include "engine/Layer.h"

namespace strata::layers {

// What both layers read from their config: the depthwise part.
class DepthwiseLayerBase : public Layer {
public:
    DepthwiseLayerBase(const LayerTypeInfo& info, std::string name, nlohmann::json config);

    const std::vector<int64_t> kernelSize, strides, dilation;
    const std::string padding, activation;
    const int64_t depthMultiplier;
    const bool useBias;

protected:
    // (batch, out_h, out_w, channels) for an NHWC input; checks rank and known channels.
    Shape outputShapeWith(const Shape& in, int64_t channels) const;
    // depthwise_kernel (kh, kw, in, dm), Keras fans (receptive field * in / * dm).
    VariableSpec depthwiseKernel(int64_t inChannels) const;
    VariableSpec biasOf(int64_t units, const VariableSpec& kernel) const;
    // x convolved with depthwise_kernel: conv2d, groups = in channels.
    ir::ValueId depthwise(CallContext& ctx, ir::ValueId x) const;
    std::string windowText() const;

private:
    std::string depthwiseInit_, biasInit_;
};

// kernel depthwise_kernel (kh, kw, in, depth_multiplier), bias (in * depth_multiplier).
class DepthwiseConv2D : public DepthwiseLayerBase {
public:
    using DepthwiseLayerBase::DepthwiseLayerBase;
    Shape outputShape(const std::vector<Shape>& inputs) const override;
    std::vector<VariableSpec> variableSpecs(const std::vector<Shape>& inputs) const override;
    LayerOutput call(CallContext& ctx, const std::vector<ir::ValueId>& inputs) const override;
    std::string keyConfigText() const override;
};

// depthwise_kernel (kh, kw, in, dm), then pointwise_kernel (1, 1, in*dm, filters), bias (filters).
class SeparableConv2D : public DepthwiseLayerBase {
public:
    SeparableConv2D(const LayerTypeInfo& info, std::string name, nlohmann::json config);
    Shape outputShape(const std::vector<Shape>& inputs) const override;
    std::vector<VariableSpec> variableSpecs(const std::vector<Shape>& inputs) const override;
    LayerOutput call(CallContext& ctx, const std::vector<ir::ValueId>& inputs) const override;
    std::string keyConfigText() const override;

    const int64_t filters;

private:
    std::string pointwiseInit_;
};

} // namespace strata::layers
