#include "engine/layers/SequenceLayers.h"

#include "engine/Error.h"
#include "engine/LayerRegistry.h"
#include "engine/Masks.h"
#include "engine/layers/ConvolutionLayers.h"

namespace strata::layers {

namespace {

const char* kSequenceShape = "(batch, steps, channels)";

// An integer or a one-element list of one (Keras writes kernel_size as (5,)).
int64_t lengthConfig(const nlohmann::json& v, const std::string& key) {
    const nlohmann::json& x = v.is_array() && v.size() == 1 ? v[0] : v;
    if (!x.is_number_integer() || x.get<int64_t>() < 1 || x.get<int64_t>() > kMaxDim)
        throw ConfigError(key + ": must be an integer from 1 to " + std::to_string(kMaxDim) + " or a list of one, got " +
                          v.dump());
    return x.get<int64_t>();
}

// (N, W, C) as the image (N, 1, W, C) the 2-D ops read.
ir::ValueId asImage(ir::Graph& g, ir::ValueId x) {
    const Shape s = g.shape(x);
    return g.reshape(x, Shape{s[0], 1, s[1], s[2]});
}

// The image (N, 1, W, C) back as the sequence (N, W, C).
ir::ValueId asSequence(ir::Graph& g, ir::ValueId y) {
    const Shape s = g.shape(y);
    return g.reshape(y, Shape{s[0], s[2], s[3]});
}

} // namespace

Conv1D::Conv1D(const LayerTypeInfo& info, std::string name, nlohmann::json config)
    : Layer(info, std::move(name), std::move(config)), filters(intConfig("filters", 1)),
      kernelSize(lengthConfig(cfg("kernel_size"), "kernel_size")),
      strides(lengthConfig(cfg("strides"), "strides")),
      dilation(lengthConfig(cfg("dilation_rate"), "dilation_rate")),
      padding(choiceConfig("padding", {"valid", "same", "causal"})), activation(activationConfig("activation")),
      useBias(cfg("use_bias").get<bool>()), kernelInit_(initializerConfig("kernel_initializer")),
      biasInit_(initializerConfig("bias_initializer")) {
    if (strides > 1 && dilation > 1) configError("dilation_rate", "cannot be combined with strides > 1 (as in Keras)");
}

Shape Conv1D::outputShape(const std::vector<Shape>& inputs) const {
    const Shape& in = inputs.at(0);
    requireRank(in, 3, kSequenceShape);
    if (!in.isKnown(2)) throw ShapeError("needs a known number of input channels, got " + in.toString());
    // "causal" pads (k - 1) * d steps on the left: the length of "same".
    return Shape{in[0], windowOutputSize(in[1], kernelSize, strides, dilation, padding != "valid", "length"), filters};
}

std::vector<VariableSpec> Conv1D::variableSpecs(const std::vector<Shape>& inputs) const {
    const Shape k{kernelSize, inputs.at(0)[2], filters};
    (void)k.numElements(); // checked: a kernel too large to count is an error naming its shape
    const int64_t fanIn = kernelSize * k[1], fanOut = kernelSize * filters;
    std::vector<VariableSpec> v{{"kernel", k, true, kernelInit_, fanIn, fanOut}};
    if (useBias) v.push_back({"bias", Shape{filters}, true, biasInit_, fanIn, fanOut});
    return v;
}

LayerOutput Conv1D::call(CallContext& ctx, const std::vector<ir::ValueId>& in) const {
    ir::Graph& g = ctx.graph();
    ir::ValueId x = in.at(0);
    if (const int64_t pad = causalPad(); pad > 0) {
        Shape zeros = g.shape(x);
        zeros[1] = pad;
        x = g.concat({g.constant(Tensor(zeros)), x}, 1);
    }
    const ir::ValueId kernel = ctx.variable(*this, "kernel");
    const Shape k = g.shape(kernel);
    ir::Conv2DParams p;
    p.strideW = strides, p.dilationW = dilation;
    p.padding = padding == "same" ? ir::Padding::Same : ir::Padding::Valid;
    ir::ValueId y = asSequence(g, g.conv2d(asImage(g, x), g.reshape(kernel, Shape{1, k[0], k[1], k[2]}), p));
    if (useBias) y = g.add(y, ctx.variable(*this, "bias"));
    return ctx.activate(y, activation);
}

std::string Conv1D::keyConfigText() const {
    std::string s = std::to_string(filters) + " k" + std::to_string(kernelSize);
    if (strides != 1) s += " /" + std::to_string(strides);
    if (dilation != 1) s += " d" + std::to_string(dilation);
    if (padding != "valid") s += " " + padding;
    if (activation != "linear") s += " " + activation;
    return s;
}

Pooling1D::Pooling1D(const LayerTypeInfo& info, std::string name, nlohmann::json config)
    : Layer(info, std::move(name), std::move(config)), poolSize(lengthConfig(cfg("pool_size"), "pool_size")),
      strides(cfg("strides").is_null() ? poolSize : lengthConfig(cfg("strides"), "strides")),
      padding(choiceConfig("padding", {"valid", "same"})) {}

Shape Pooling1D::outputShape(const std::vector<Shape>& inputs) const {
    const Shape& in = inputs.at(0);
    requireRank(in, 3, kSequenceShape);
    return Shape{in[0], windowOutputSize(in[1], poolSize, strides, 1, padding == "same", "length"), in[2]};
}

LayerOutput Pooling1D::call(CallContext& ctx, const std::vector<ir::ValueId>& in) const {
    ir::Graph& g = ctx.graph();
    ir::Pool2DParams p;
    p.poolH = 1, p.strideH = 1;
    p.poolW = poolSize, p.strideW = strides;
    p.padding = padding == "same" ? ir::Padding::Same : ir::Padding::Valid;
    const ir::ValueId x = asImage(g, in.at(0));
    return {asSequence(g, isMax() ? g.maxPool2d(x, p) : g.avgPool2d(x, p))};
}

std::string Pooling1D::keyConfigText() const {
    std::string s = std::to_string(poolSize);
    if (strides != poolSize) s += " /" + std::to_string(strides);
    if (padding == "same") s += " same";
    return s;
}

GlobalPooling1D::GlobalPooling1D(const LayerTypeInfo& info, std::string name, nlohmann::json config)
    : Layer(info, std::move(name), std::move(config)), keepDims(cfg("keepdims").get<bool>()) {}

Shape GlobalPooling1D::outputShape(const std::vector<Shape>& inputs) const {
    const Shape& in = inputs.at(0);
    requireRank(in, 3, kSequenceShape);
    return keepDims ? Shape{in[0], 1, in[2]} : Shape{in[0], in[2]};
}

LayerOutput GlobalPooling1D::call(CallContext& ctx, const std::vector<ir::ValueId>& in) const {
    ir::Graph& g = ctx.graph();
    if (!isMax()) {
        const ir::ValueId mask = ctx.inputMask(0);
        if (mask == ir::kNoValue) return {g.reduceMean(in.at(0), {1}, keepDims)};
        // Keras: sum(where(mask, x, 0), steps) / sum(mask, steps).
        masks::requireSequenceMask(g, mask, in[0], "GlobalAveragePooling1D");
        const ir::ValueId m = masks::expandLast(g, mask); // (N, W, 1)
        return {g.div(g.reduceSum(g.mul(in[0], m), {1}, keepDims), g.reduceSum(m, {1}, keepDims))};
    }
    // A max pool whose one window is the whole sequence (its gradient goes to the first maximum).
    const Shape s = g.shape(in.at(0));
    ir::Pool2DParams p;
    p.poolH = p.strideH = 1, p.poolW = p.strideW = s[1];
    const ir::ValueId y = g.maxPool2d(asImage(g, in[0]), p);
    return {g.reshape(y, keepDims ? Shape{s[0], 1, s[2]} : Shape{s[0], s[2]})};
}

void registerSequenceLayers(std::vector<LayerTypeInfo>& out) {
    const nlohmann::json conv = {{"filters", 32},
                                 {"kernel_size", 3},
                                 {"strides", 1},
                                 {"padding", "valid"},
                                 {"dilation_rate", 1},
                                 {"activation", "linear"},
                                 {"use_bias", true},
                                 {"kernel_initializer", "glorot_uniform"},
                                 {"bias_initializer", "zeros"}};
    out.push_back({"Conv1D", "Sequence",
                   "1D convolution over sequences (batch, steps, channels): filters of kernel_size, strides, "
                   "dilation_rate; padding valid, same or causal (output t reads only steps up to t)",
                   conv, 1, 1, {}, makeLayer<Conv1D>});
    const nlohmann::json pool = {{"pool_size", 2}, {"strides", nullptr}, {"padding", "valid"}};
    out.push_back({"MaxPooling1D", "Sequence",
                   "Maximum over pool_size steps of each channel (strides default to pool_size; pads never win)", pool, 1,
                   1, {}, makeLayer<Pooling1D>});
    out.push_back({"AveragePooling1D", "Sequence",
                   "Mean over pool_size steps of each channel (strides default to pool_size; pads are not counted)", pool,
                   1, 1, {}, makeLayer<Pooling1D>});
    out.push_back({"GlobalAveragePooling1D", "Sequence", "Mean of each channel over the steps: (N, W, C) → (N, C)",
                   {{"keepdims", false}}, 1, 1, {}, makeLayer<GlobalPooling1D>});
    out.push_back({"GlobalMaxPooling1D", "Sequence", "Maximum of each channel over the steps: (N, W, C) → (N, C)",
                   {{"keepdims", false}}, 1, 1, {}, makeLayer<GlobalPooling1D>});
}

} // namespace strata::layers
