// Layers that act element-wise or along one axis, with Keras 3's configs: Softmax (axis), PReLU
// (a learned slope per element of input[1:], shared over `shared_axes`) and Rescaling
// (x * scale + offset). ReLU and LeakyReLU live in CoreLayers.h.
#pragma once

#include "engine/Layer.h"

namespace strata::layers {

// softmax over `axis` (an int, -1 by default; any axis but the batch axis).
class Softmax : public Layer {
public:
    Softmax(const LayerTypeInfo& info, std::string name, nlohmann::json config);
    Shape outputShape(const std::vector<Shape>& inputs) const override;
    LayerOutput call(CallContext& ctx, const std::vector<ir::ValueId>& inputs) const override;
    bool supportsMasking() const override { return true; } // Keras: the mask passes through
    // A mask reaching it is refused in call (Keras 3 fails on a (batch, steps) mask too).
    std::string maskEffect(const std::vector<bool>& masked) const override {
        return !masked.empty() && masked[0] ? "Keras 3's Softmax layer cannot apply a (batch, steps) mask along its axis" : "";
    }
    std::string keyConfigText() const override;
    // The axis as an index into a shape of `rank` (batch included); throws ShapeError when out of range.
    std::size_t axisFor(std::size_t rank) const;

    const int64_t axis;
};

// Keras' PReLU: relu(x) - alpha * relu(-x), alpha of shape input[1:] with the (1-based, batch
// excluded as in Keras) `shared_axes` set to 1. PReLU on (None, 8, 8, 16) has 1,024 parameters,
// with shared_axes [1, 2] 16.
class PReLU : public Layer {
public:
    PReLU(const LayerTypeInfo& info, std::string name, nlohmann::json config);
    Shape outputShape(const std::vector<Shape>& inputs) const override;
    std::vector<VariableSpec> variableSpecs(const std::vector<Shape>& inputs) const override;
    LayerOutput call(CallContext& ctx, const std::vector<ir::ValueId>& inputs) const override;
    bool supportsMasking() const override { return true; } // Keras: the mask passes through
    std::string keyConfigText() const override;
    // alpha's shape for an input shape (batch included).
    Shape alphaShape(const Shape& input) const;

    std::vector<int64_t> sharedAxes;

private:
    std::string alphaInit_;
};

// Keras' Rescaling: x * scale + offset, element-wise (preprocessing, e.g. scale 1/255).
class Rescaling : public Layer {
public:
    Rescaling(const LayerTypeInfo& info, std::string name, nlohmann::json config);
    Shape outputShape(const std::vector<Shape>& inputs) const override { return inputs.at(0); }
    LayerOutput call(CallContext& ctx, const std::vector<ir::ValueId>& inputs) const override;
    bool supportsMasking() const override { return true; } // Keras: the mask passes through
    std::string keyConfigText() const override;

    double scale = 1.0, offset = 0.0;
};

} // namespace strata::layers
