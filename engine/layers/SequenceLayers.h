// Layers over sequences (batch, steps, channels), channels last, Keras semantics: Conv1D,
// MaxPooling1D, AveragePooling1D, GlobalAveragePooling1D, GlobalMaxPooling1D. Each emits the 2-D
// ops of its image counterpart on the sequence read as a (batch, 1, steps, channels) image with a
// 1 x k window, so both backends and every gradient come from those ops.
#pragma once

#include "engine/Layer.h"

namespace strata::layers {

// Keras' Conv1D: kernel (kernel_size, in_channels, filters), bias (filters). padding "valid",
// "same" (TensorFlow's: the odd cell at the end) or "causal" (all (k - 1) * d cells before the
// first step, so output t reads only steps <= t).
class Conv1D : public Layer {
public:
    Conv1D(const LayerTypeInfo& info, std::string name, nlohmann::json config);
    Shape outputShape(const std::vector<Shape>& inputs) const override;
    std::vector<VariableSpec> variableSpecs(const std::vector<Shape>& inputs) const override;
    LayerOutput call(CallContext& ctx, const std::vector<ir::ValueId>& inputs) const override;
    std::string keyConfigText() const override;
    // The left pad "causal" adds ((k - 1) * d), 0 otherwise.
    int64_t causalPad() const { return padding == "causal" ? (kernelSize - 1) * dilation : 0; }

    const int64_t filters, kernelSize, strides, dilation;
    const std::string padding, activation;
    const bool useBias;

private:
    std::string kernelInit_, biasInit_;
};

// MaxPooling1D and AveragePooling1D: pool_size, strides (default pool_size), padding "valid" or
// "same" (windows clipped to the input: pads never win a max and are not counted in an average).
class Pooling1D : public Layer {
public:
    Pooling1D(const LayerTypeInfo& info, std::string name, nlohmann::json config);
    Shape outputShape(const std::vector<Shape>& inputs) const override;
    LayerOutput call(CallContext& ctx, const std::vector<ir::ValueId>& inputs) const override;
    std::string keyConfigText() const override;
    bool isMax() const { return type() == "MaxPooling1D"; }

    const int64_t poolSize, strides;
    const std::string padding;
};

// GlobalAveragePooling1D and GlobalMaxPooling1D: the mean or maximum of each channel over the
// steps, (N, W, C) -> (N, C), or (N, 1, C) with keepdims. With a mask (N, W), as in Keras 3, the
// average is over the unmasked steps (sum / count: 0 / 0, NaN, for a sample with none, as Keras)
// and the output has no mask; GlobalMaxPooling1D does not support masking (Keras): it drops the
// mask and takes the maximum over every step.
class GlobalPooling1D : public Layer {
public:
    GlobalPooling1D(const LayerTypeInfo& info, std::string name, nlohmann::json config);
    Shape outputShape(const std::vector<Shape>& inputs) const override;
    LayerOutput call(CallContext& ctx, const std::vector<ir::ValueId>& inputs) const override;
    bool isMax() const { return type() == "GlobalMaxPooling1D"; }
    // Keras: GlobalAveragePooling1D reads the mask (supports_masking) and its compute_mask is None.
    std::string maskEffect(const std::vector<bool>& masked) const override {
        return !isMax() && !masked.empty() && masked[0] ? "the average is over the unmasked steps only" : "";
    }

    const bool keepDims;
};

} // namespace strata::layers
