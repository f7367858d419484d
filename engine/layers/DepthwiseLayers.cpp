#include "engine/layers/DepthwiseLayers.h"

#include "engine/Error.h"
#include "engine/LayerRegistry.h"
#include "engine/layers/ConvolutionLayers.h"

namespace strata::layers {

DepthwiseLayerBase::DepthwiseLayerBase(const LayerTypeInfo& info, std::string name, nlohmann::json config)
    : Layer(info, std::move(name), std::move(config)), kernelSize(pairConfig("kernel_size", 1)),
      strides(pairConfig("strides", 1)), dilation(pairConfig("dilation_rate", 1)),
      padding(choiceConfig("padding", {"valid", "same"})), activation(activationConfig("activation")),
      depthMultiplier(intConfig("depth_multiplier", 1)), useBias(cfg("use_bias").get<bool>()),
      depthwiseInit_(initializerConfig("depthwise_initializer")), biasInit_(initializerConfig("bias_initializer")) {
    if ((strides[0] > 1 || strides[1] > 1) && (dilation[0] > 1 || dilation[1] > 1))
        configError("dilation_rate", "cannot be combined with strides > 1 (as in Keras)");
}

Shape DepthwiseLayerBase::outputShapeWith(const Shape& in, int64_t channels) const {
    requireRank(in, 4, "(batch, height, width, channels)");
    if (!in.isKnown(3)) throw ShapeError("needs a known number of input channels, got " + in.toString());
    const bool same = padding == "same";
    return Shape{in[0], windowOutputSize(in[1], kernelSize[0], strides[0], dilation[0], same, "height"),
                 windowOutputSize(in[2], kernelSize[1], strides[1], dilation[1], same, "width"), channels};
}

VariableSpec DepthwiseLayerBase::depthwiseKernel(int64_t in) const {
    const Shape k{kernelSize[0], kernelSize[1], in, depthMultiplier};
    (void)k.numElements(); // checked product: the kernel's own size first
    return {"depthwise_kernel", k, true, depthwiseInit_, Shape{k[0], k[1], k[2]}.numElements(),
            Shape{k[0], k[1], k[3]}.numElements()};
}

VariableSpec DepthwiseLayerBase::biasOf(int64_t units, const VariableSpec& kernel) const {
    return {"bias", Shape{units}, true, biasInit_, kernel.fanIn, kernel.fanOut};
}

ir::ValueId DepthwiseLayerBase::depthwise(CallContext& ctx, ir::ValueId x) const {
    ir::Graph& g = ctx.graph();
    const int64_t in = g.shape(x)[3];
    ir::Conv2DParams p;
    p.strideH = strides[0], p.strideW = strides[1];
    p.dilationH = dilation[0], p.dilationW = dilation[1];
    p.padding = ir::parsePadding(padding);
    p.groups = in;
    // (kh, kw, in, dm) and (kh, kw, 1, in*dm) are the same floats in the same order.
    const ir::ValueId k = g.reshape(ctx.variable(*this, "depthwise_kernel"),
                                    Shape{kernelSize[0], kernelSize[1], 1, in * depthMultiplier});
    return g.conv2d(x, k, p);
}

std::string DepthwiseLayerBase::windowText() const {
    std::string s = std::to_string(kernelSize[0]) + "×" + std::to_string(kernelSize[1]);
    if (depthMultiplier != 1) s += " ×" + std::to_string(depthMultiplier);
    if (strides[0] != 1 || strides[1] != 1)
        s += " /" + std::to_string(strides[0]) + (strides[1] != strides[0] ? "," + std::to_string(strides[1]) : "");
    if (padding == "same") s += " same";
    if (activation != "linear") s += " " + activation;
    return s;
}

Shape DepthwiseConv2D::outputShape(const std::vector<Shape>& inputs) const {
    const Shape& in = inputs.at(0);
    const Shape out = outputShapeWith(in, 0);
    return Shape{out[0], out[1], out[2], Shape{in[3], depthMultiplier}.numElements()};
}

std::vector<VariableSpec> DepthwiseConv2D::variableSpecs(const std::vector<Shape>& inputs) const {
    std::vector<VariableSpec> v{depthwiseKernel(inputs.at(0)[3])};
    if (useBias) v.push_back(biasOf(inputs.at(0)[3] * depthMultiplier, v[0]));
    return v;
}

LayerOutput DepthwiseConv2D::call(CallContext& ctx, const std::vector<ir::ValueId>& in) const {
    ir::ValueId y = depthwise(ctx, in.at(0));
    if (useBias) y = ctx.graph().add(y, ctx.variable(*this, "bias"));
    return ctx.activate(y, activation);
}

std::string DepthwiseConv2D::keyConfigText() const { return windowText(); }

SeparableConv2D::SeparableConv2D(const LayerTypeInfo& info, std::string name, nlohmann::json config)
    : DepthwiseLayerBase(info, std::move(name), std::move(config)), filters(intConfig("filters", 1)),
      pointwiseInit_(initializerConfig("pointwise_initializer")) {}

Shape SeparableConv2D::outputShape(const std::vector<Shape>& inputs) const {
    (void)Shape{inputs.at(0).isKnown(3) ? inputs[0][3] : 1, depthMultiplier}.numElements(); // checked product
    return outputShapeWith(inputs.at(0), filters);
}

std::vector<VariableSpec> SeparableConv2D::variableSpecs(const std::vector<Shape>& inputs) const {
    const VariableSpec depthwise = depthwiseKernel(inputs.at(0)[3]);
    const int64_t mid = inputs[0][3] * depthMultiplier;
    const VariableSpec pointwise{"pointwise_kernel", Shape{1, 1, mid, filters}, true, pointwiseInit_, mid, filters};
    (void)pointwise.shape.numElements();
    std::vector<VariableSpec> v{depthwise, pointwise};
    if (useBias) v.push_back(biasOf(filters, pointwise));
    return v;
}

LayerOutput SeparableConv2D::call(CallContext& ctx, const std::vector<ir::ValueId>& in) const {
    ir::Graph& g = ctx.graph();
    ir::ValueId y = g.conv2d(depthwise(ctx, in.at(0)), ctx.variable(*this, "pointwise_kernel"), ir::Conv2DParams{});
    if (useBias) y = g.add(y, ctx.variable(*this, "bias"));
    return ctx.activate(y, activation);
}

std::string SeparableConv2D::keyConfigText() const { return std::to_string(filters) + " " + windowText(); }

void registerDepthwiseLayers(std::vector<LayerTypeInfo>& out) {
    const nlohmann::json depthwise = {{"kernel_size", {3, 3}},
                                      {"strides", {1, 1}},
                                      {"padding", "valid"},
                                      {"depth_multiplier", 1},
                                      {"dilation_rate", {1, 1}},
                                      {"activation", "linear"},
                                      {"use_bias", true},
                                      {"depthwise_initializer", "glorot_uniform"},
                                      {"bias_initializer", "zeros"}};
    out.push_back({"DepthwiseConv2D", "Convolution",
                   "Depthwise 2D convolution: each input channel convolved with its own depth_multiplier filters of "
                   "kernel_size (no mixing across channels)",
                   depthwise, 1, 1, {}, makeLayer<DepthwiseConv2D>});
    nlohmann::json separable = depthwise;
    separable["filters"] = 32;
    separable["pointwise_initializer"] = "glorot_uniform";
    out.push_back({"SeparableConv2D", "Convolution",
                   "Depthwise-separable 2D convolution: a depthwise convolution of kernel_size, then a 1×1 "
                   "convolution to filters",
                   separable, 1, 1, {}, makeLayer<SeparableConv2D>});
}

} // namespace strata::layers
