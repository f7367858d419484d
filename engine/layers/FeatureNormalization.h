// Keras 3's preprocessing layer Normalization (type "Normalization"; the class is named
// FeatureNormalization beside BatchNormalization's Normalization class): per channel of the last
// axis, y = (x - mean) / max(sqrt(variance), 1e-7), or with invert x * max(sqrt(variance), 1e-7) + mean.
// mean and variance are non-trainable variables: from the config when it gives them (a number for
// every channel or one per channel), else adapted from the training data before training
// (train/AdaptNormalization.h), as Keras' adapt() does; until then mean 0 and variance 1.
#pragma once

#include "engine/Layer.h"

#include <optional>
#include <vector>

namespace strata::layers {

class FeatureNormalization : public Layer {
public:
    FeatureNormalization(const LayerTypeInfo& info, std::string name, nlohmann::json config);
    Shape outputShape(const std::vector<Shape>& inputs) const override;
    std::vector<VariableSpec> variableSpecs(const std::vector<Shape>& inputs) const override;
    LayerOutput call(CallContext& ctx, const std::vector<ir::ValueId>& inputs) const override;
    bool supportsMasking() const override { return true; } // Keras: the mask passes through
    std::string keyConfigText() const override;

    // True when the config gives no mean and variance: the values come from adapting.
    bool adapts() const { return !mean; }

    std::optional<std::vector<double>> mean, variance; // as given: one value (every channel) or one per channel
    bool invert = false;

protected:
    void buildVariables(const std::vector<Shape>& inputs, uint64_t seed) override;
};

} // namespace strata::layers
