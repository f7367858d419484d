// Core layers: Input, Dense, Activation, LeakyReLU, ReLU (Softmax, PReLU, Rescaling: ActivationLayers.h).
#pragma once

#include "engine/DType.h"
#include "engine/Layer.h"

#include <optional>

namespace strata::layers {

// The model's entry point; `shape` excludes the batch dimension, null dims are unknown.
class InputLayer : public Layer {
public:
    InputLayer(const LayerTypeInfo& info, std::string name, nlohmann::json config);
    Shape outputShape(const std::vector<Shape>& inputs) const override;
    // The identity on the value the model binds to it (the tracer makes the placeholder).
    LayerOutput call(CallContext& ctx, const std::vector<ir::ValueId>& inputs) const override;
    std::string keyConfigText() const override;
    const Shape& sampleShape() const { return shape_; }
    DType dtype() const { return dtype_; }

private:
    Shape shape_;
    DType dtype_ = DType::F32;
};

class Dense : public Layer {
public:
    Dense(const LayerTypeInfo& info, std::string name, nlohmann::json config);
    Shape outputShape(const std::vector<Shape>& inputs) const override;
    std::vector<VariableSpec> variableSpecs(const std::vector<Shape>& inputs) const override;
    LayerOutput call(CallContext& ctx, const std::vector<ir::ValueId>& inputs) const override;
    bool supportsMasking() const override { return true; } // Keras: the mask passes through
    std::string keyConfigText() const override;

    const int64_t units;
    const std::string activation;
    const bool useBias;

private:
    std::string kernelInit_, biasInit_;
};

class Activation : public Layer {
public:
    Activation(const LayerTypeInfo& info, std::string name, nlohmann::json config);
    Shape outputShape(const std::vector<Shape>& inputs) const override { return inputs.at(0); }
    LayerOutput call(CallContext& ctx, const std::vector<ir::ValueId>& inputs) const override;
    bool supportsMasking() const override { return true; } // Keras: the mask passes through
    std::string keyConfigText() const override { return activation; }

    const std::string activation;
};

// Keras' LeakyReLU: x for x >= 0, alpha * x below, element-wise on any rank. Unlike the activation
// name "leaky_relu" (slope 0.2) its slope is configurable; it has no variables.
class LeakyReLU : public Layer {
public:
    LeakyReLU(const LayerTypeInfo& info, std::string name, nlohmann::json config);
    Shape outputShape(const std::vector<Shape>& inputs) const override { return inputs.at(0); }
    LayerOutput call(CallContext& ctx, const std::vector<ir::ValueId>& inputs) const override;
    bool supportsMasking() const override { return true; } // Keras: the mask passes through
    std::string keyConfigText() const override;

    const double alpha;
};

// Keras 3's ReLU layer: x for x > threshold (0 by default), capped at max_value (none by default),
// negative_slope * (x - threshold) at and below the threshold. All three are numbers >= 0, as Keras
// requires.
class ReLU : public Layer {
public:
    ReLU(const LayerTypeInfo& info, std::string name, nlohmann::json config);
    Shape outputShape(const std::vector<Shape>& inputs) const override { return inputs.at(0); }
    LayerOutput call(CallContext& ctx, const std::vector<ir::ValueId>& inputs) const override;
    bool supportsMasking() const override { return true; } // Keras: the mask passes through
    std::string keyConfigText() const override;

    std::optional<double> maxValue;
    double negativeSlope = 0.0;
    double threshold = 0.0;
};

} // namespace strata::layers
