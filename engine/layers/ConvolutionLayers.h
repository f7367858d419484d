// Convolution and pooling layers (NHWC, Keras semantics) and the output-size rule they share.
#pragma once

#include "engine/Layer.h"

namespace strata::layers {

// Output length of a window op on one spatial axis; kUnknownDim when `in` is unknown.
// "valid": floor((in - (k-1)*d - 1) / s) + 1; "same": ceil(in / s). Throws ShapeError when < 1.
int64_t windowOutputSize(int64_t in, int64_t k, int64_t stride, int64_t dilation, bool same, const char* axis);

class Conv2D : public Layer {
public:
    Conv2D(const LayerTypeInfo& info, std::string name, nlohmann::json config);
    Shape outputShape(const std::vector<Shape>& inputs) const override;
    std::vector<VariableSpec> variableSpecs(const std::vector<Shape>& inputs) const override;
    std::string keyConfigText() const override;

    const int64_t filters;
    const std::vector<int64_t> kernelSize, strides, dilation;
    const std::string padding, activation;
    const bool useBias;

private:
    std::string kernelInit_, biasInit_;
};

// MaxPooling2D and AveragePooling2D.
class Pooling2D : public Layer {
public:
    Pooling2D(const LayerTypeInfo& info, std::string name, nlohmann::json config);
    Shape outputShape(const std::vector<Shape>& inputs) const override;
    std::string keyConfigText() const override;
    bool isMax() const { return type() == "MaxPooling2D"; }

    const std::vector<int64_t> poolSize, strides;
    const std::string padding;
};

class GlobalAveragePooling2D : public Layer {
public:
    GlobalAveragePooling2D(const LayerTypeInfo& info, std::string name, nlohmann::json config);
    Shape outputShape(const std::vector<Shape>& inputs) const override;

    const bool keepDims;
};

} // namespace strata::layers
