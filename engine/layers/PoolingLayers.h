// Pooling layers (NHWC, Keras semantics): MaxPooling2D, AveragePooling2D, GlobalAveragePooling2D.
#pragma once

#include "engine/Layer.h"

namespace strata::layers {

// MaxPooling2D and AveragePooling2D.
class Pooling2D : public Layer {
public:
    Pooling2D(const LayerTypeInfo& info, std::string name, nlohmann::json config);
    Shape outputShape(const std::vector<Shape>& inputs) const override;
    LayerOutput call(CallContext& ctx, const std::vector<ir::ValueId>& inputs) const override;
    std::string keyConfigText() const override;
    bool isMax() const { return type() == "MaxPooling2D"; }

    const std::vector<int64_t> poolSize, strides;
    const std::string padding;
};

class GlobalAveragePooling2D : public Layer {
public:
    GlobalAveragePooling2D(const LayerTypeInfo& info, std::string name, nlohmann::json config);
    Shape outputShape(const std::vector<Shape>& inputs) const override;
    LayerOutput call(CallContext& ctx, const std::vector<ir::ValueId>& inputs) const override;

    const bool keepDims;
};

} // namespace strata::layers
