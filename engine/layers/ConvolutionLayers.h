// Convolution layers (NHWC, Keras semantics) and the window output-size rule they share with the pools.
#pragma once

#include "engine/Layer.h"

namespace strata::layers {

// Output length of a window op on one spatial axis; kUnknownDim when `in` is unknown.
// "valid": floor((in - (k-1)*d - 1) / s) + 1; "same": ceil(in / s). Throws ShapeError when < 1.
int64_t windowOutputSize(int64_t in, int64_t k, int64_t stride, int64_t dilation, bool same, const char* axis);

// Output length of a transposed convolution on one spatial axis (Keras' deconv_output_length
// without output_padding): "valid": in*s + max(span - s, 0); "same": in*s, span = (k-1)*d+1.
int64_t transposedOutputSize(int64_t in, int64_t k, int64_t stride, int64_t dilation, bool same);

// What Conv2D and Conv2DTranspose read from their config; neither derives from the other, so a
// dynamic_cast to one never matches the other.
class ConvolutionLayer : public Layer {
public:
    ConvolutionLayer(const LayerTypeInfo& info, std::string name, nlohmann::json config);
    std::string keyConfigText() const override;

    const int64_t filters;
    const std::vector<int64_t> kernelSize, strides, dilation;
    const std::string padding, activation;
    const bool useBias;

protected:
    // The convolution's geometry for the IR.
    ir::Conv2DParams params() const;
    // y + bias (when used), then the activation.
    LayerOutput finish(CallContext& ctx, ir::ValueId y) const;
    // kernel of `kernelShape` and bias (filters), Keras fans: receptive field * axis 2 / axis 3.
    std::vector<VariableSpec> kernelAndBias(const Shape& kernelShape) const;

private:
    std::string kernelInit_, biasInit_;
};

// 2D convolution: kernel (kh, kw, in_channels / groups, filters). With `groups` > 1 (Keras 3) the
// input channels split into `groups` parts, each convolved with filters / groups of the filters.
class Conv2D : public ConvolutionLayer {
public:
    Conv2D(const LayerTypeInfo& info, std::string name, nlohmann::json config);
    Shape outputShape(const std::vector<Shape>& inputs) const override;
    std::vector<VariableSpec> variableSpecs(const std::vector<Shape>& inputs) const override;
    LayerOutput call(CallContext& ctx, const std::vector<ir::ValueId>& inputs) const override;

    const int64_t groups;
};

// The transposed 2D convolution (Keras Conv2DTranspose, a "deconvolution"): the gradient of a
// Conv2D with respect to its input, used as a layer that upsamples. kernel (kh, kw, filters,
// in_channels), as in Keras; y = conv2d_backprop_input(x, kernel) + bias.
class Conv2DTranspose : public ConvolutionLayer {
public:
    using ConvolutionLayer::ConvolutionLayer;
    Shape outputShape(const std::vector<Shape>& inputs) const override;
    std::vector<VariableSpec> variableSpecs(const std::vector<Shape>& inputs) const override;
    // The input gradient of the Conv2D that maps its output back onto its input.
    LayerOutput call(CallContext& ctx, const std::vector<ir::ValueId>& inputs) const override;
};

} // namespace strata::layers
