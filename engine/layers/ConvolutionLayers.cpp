#include "engine/layers/ConvolutionLayers.h"

#include "engine/Error.h"
#include "engine/LayerRegistry.h"

#include <algorithm>

namespace strata::layers {

int64_t windowOutputSize(int64_t in, int64_t k, int64_t stride, int64_t dilation, bool same, const char* axis) {
    if (in == kUnknownDim) return kUnknownDim;
    const int64_t span = (k - 1) * dilation + 1;
    const int64_t out = same ? (in + stride - 1) / stride : (in - span) / stride + 1;
    if (out < 1 || (!same && in < span))
        throw ShapeError(std::string("window of ") + std::to_string(span) + " does not fit the input " + axis +
                         " of " + std::to_string(in) + " with padding 'valid'");
    return out;
}

static const char* kImageShape = "(batch, height, width, channels)";

int64_t transposedOutputSize(int64_t in, int64_t k, int64_t stride, int64_t dilation, bool same) {
    if (in == kUnknownDim) return kUnknownDim;
    const int64_t span = (k - 1) * dilation + 1;
    return same ? in * stride : in * stride + std::max<int64_t>(span - stride, 0);
}

ConvolutionLayer::ConvolutionLayer(const LayerTypeInfo& info, std::string name, nlohmann::json config)
    : Layer(info, std::move(name), std::move(config)), filters(intConfig("filters", 1)),
      kernelSize(pairConfig("kernel_size", 1)), strides(pairConfig("strides", 1)),
      dilation(pairConfig("dilation_rate", 1)), padding(choiceConfig("padding", {"valid", "same"})),
      activation(activationConfig("activation")), useBias(cfg("use_bias").get<bool>()),
      kernelInit_(initializerConfig("kernel_initializer")), biasInit_(initializerConfig("bias_initializer")) {
    if ((strides[0] > 1 || strides[1] > 1) && (dilation[0] > 1 || dilation[1] > 1))
        configError("dilation_rate", "cannot be combined with strides > 1 (as in Keras)");
}

std::vector<VariableSpec> ConvolutionLayer::kernelAndBias(const Shape& k) const {
    // Checked products (numElements throws on overflow): a spec's kernel of 2^31 x 2^31 overflowed here.
    (void)k.numElements(); // the kernel's own size first: the message names the shape the user gave
    const int64_t fanIn = Shape{k[0], k[1], k[2]}.numElements(), fanOut = Shape{k[0], k[1], k[3]}.numElements();
    std::vector<VariableSpec> v{{"kernel", k, true, kernelInit_, fanIn, fanOut}};
    if (useBias) v.push_back({"bias", Shape{filters}, true, biasInit_, fanIn, fanOut});
    return v;
}

ir::Conv2DParams ConvolutionLayer::params() const {
    ir::Conv2DParams p;
    p.strideH = strides[0], p.strideW = strides[1];
    p.dilationH = dilation[0], p.dilationW = dilation[1];
    p.padding = ir::parsePadding(padding);
    return p;
}

LayerOutput ConvolutionLayer::finish(CallContext& ctx, ir::ValueId y) const {
    if (useBias) y = ctx.graph().add(y, ctx.variable(*this, "bias"));
    return ctx.activate(y, activation);
}

Conv2D::Conv2D(const LayerTypeInfo& info, std::string name, nlohmann::json config)
    : ConvolutionLayer(info, std::move(name), std::move(config)), groups(intConfig("groups", 1)) {
    if (filters % groups != 0)
        configError("groups", "filters (" + std::to_string(filters) + ") must be divisible by groups (" +
                                  std::to_string(groups) + ")");
}

LayerOutput Conv2D::call(CallContext& ctx, const std::vector<ir::ValueId>& in) const {
    ir::Conv2DParams p = params();
    p.groups = groups;
    return finish(ctx, ctx.graph().conv2d(in.at(0), ctx.variable(*this, "kernel"), p));
}

LayerOutput Conv2DTranspose::call(CallContext& ctx, const std::vector<ir::ValueId>& in) const {
    ir::Graph& g = ctx.graph();
    return finish(ctx, g.conv2dBackpropInput(in.at(0), ctx.variable(*this, "kernel"), outputShape({g.shape(in[0])}), params()));
}

std::string ConvolutionLayer::keyConfigText() const {
    std::string s = std::to_string(filters) + " " + std::to_string(kernelSize[0]) + "×" + std::to_string(kernelSize[1]);
    if (const auto* c = dynamic_cast<const Conv2D*>(this); c && c->groups > 1) s += " g" + std::to_string(c->groups);
    // "/2" downsamples; a transposed convolution upsamples: "×2".
    const bool up = type() == "Conv2DTranspose";
    if (strides[0] != 1 || strides[1] != 1)
        s += (up ? " ×" : " /") + std::to_string(strides[0]) + (strides[1] != strides[0] ? "," + std::to_string(strides[1]) : "");
    if (padding == "same") s += " same";
    if (activation != "linear") s += " " + activation;
    return s;
}

Shape Conv2D::outputShape(const std::vector<Shape>& inputs) const {
    const Shape& in = inputs.at(0);
    requireRank(in, 4, kImageShape);
    if (!in.isKnown(3)) throw ShapeError("needs a known number of input channels, got " + in.toString());
    if (in[3] % groups != 0)
        configError("groups", "the input's " + std::to_string(in[3]) + " channels must be divisible by groups (" +
                                  std::to_string(groups) + ")");
    const bool same = padding == "same";
    return Shape{in[0], windowOutputSize(in[1], kernelSize[0], strides[0], dilation[0], same, "height"),
                 windowOutputSize(in[2], kernelSize[1], strides[1], dilation[1], same, "width"), filters};
}

std::vector<VariableSpec> Conv2D::variableSpecs(const std::vector<Shape>& inputs) const {
    return kernelAndBias(Shape{kernelSize[0], kernelSize[1], inputs.at(0)[3] / groups, filters});
}

Shape Conv2DTranspose::outputShape(const std::vector<Shape>& inputs) const {
    const Shape& in = inputs.at(0);
    requireRank(in, 4, kImageShape);
    if (!in.isKnown(3)) throw ShapeError("needs a known number of input channels, got " + in.toString());
    const bool same = padding == "same";
    return Shape{in[0], transposedOutputSize(in[1], kernelSize[0], strides[0], dilation[0], same),
                 transposedOutputSize(in[2], kernelSize[1], strides[1], dilation[1], same), filters};
}

std::vector<VariableSpec> Conv2DTranspose::variableSpecs(const std::vector<Shape>& inputs) const {
    return kernelAndBias(Shape{kernelSize[0], kernelSize[1], filters, inputs.at(0)[3]});
}

void registerConvolutionLayers(std::vector<LayerTypeInfo>& out) {
    const nlohmann::json defaults = {{"filters", 32},
                                     {"kernel_size", {3, 3}},
                                     {"strides", {1, 1}},
                                     {"padding", "valid"},
                                     {"dilation_rate", {1, 1}},
                                     {"activation", "linear"},
                                     {"use_bias", true},
                                     {"kernel_initializer", "glorot_uniform"},
                                     {"bias_initializer", "zeros"}};
    nlohmann::json conv = defaults;
    conv["groups"] = 1; // Keras 3's Conv2D has groups; its Conv2DTranspose does not
    out.push_back({"Conv2D", "Convolution",
                   "2D convolution over NHWC images: filters of kernel_size, strides, padding; groups > 1 splits the "
                   "channels into that many independent convolutions",
                   conv, 1, 1, {}, makeLayer<Conv2D>});
    out.push_back({"Conv2DTranspose", "Convolution",
                   "Transposed 2D convolution (deconvolution) over NHWC images: upsamples by strides, filters of kernel_size",
                   defaults, 1, 1, {}, makeLayer<Conv2DTranspose>});
}

} // namespace strata::layers
