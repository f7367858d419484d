// Merge layers: Add and Multiply (element-wise, equal shapes) and Concatenate (along an axis).
#pragma once

#include "engine/Layer.h"

namespace strata::layers {

class ElementwiseMerge : public Layer {
public:
    using Layer::Layer;
    Shape outputShape(const std::vector<Shape>& inputs) const override;
    LayerOutput call(CallContext& ctx, const std::vector<ir::ValueId>& inputs) const override;
    bool isAdd() const { return type() == "Add"; }
};

class Concatenate : public Layer {
public:
    Concatenate(const LayerTypeInfo& info, std::string name, nlohmann::json config);
    Shape outputShape(const std::vector<Shape>& inputs) const override;
    LayerOutput call(CallContext& ctx, const std::vector<ir::ValueId>& inputs) const override;
    std::size_t axisFor(std::size_t rank) const;

    const int64_t axis;
};

} // namespace strata::layers
