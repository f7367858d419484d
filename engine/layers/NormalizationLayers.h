// BatchNormalization and LayerNormalization over one axis (Keras defaults: axis -1, epsilon 1e-3).
// Both pass a mask through (Keras' supports_masking); BatchNormalization's batch statistics while
// training count only the unmasked steps (Keras' _moments with a mask).
#pragma once

#include "engine/Layer.h"

namespace strata::layers {

class Normalization : public Layer {
public:
    Normalization(const LayerTypeInfo& info, std::string name, nlohmann::json config);
    Shape outputShape(const std::vector<Shape>& inputs) const override;
    std::vector<VariableSpec> variableSpecs(const std::vector<Shape>& inputs) const override;
    // Training (BatchNormalization): batch statistics, and the moving averages assigned.
    LayerOutput call(CallContext& ctx, const std::vector<ir::ValueId>& inputs) const override;
    bool isBatchNorm() const { return type() == "BatchNormalization"; }
    bool supportsMasking() const override { return true; }
    // The normalized axis as a non-negative index for an input of this rank.
    std::size_t axisFor(std::size_t rank) const;

    const int64_t axis;
    const double epsilon;
    const double momentum; // BatchNormalization only
    const bool center, scale;
};

} // namespace strata::layers
