// Merge layers: Add and Multiply (element-wise, equal shapes) and Concatenate (along an axis).
// Masks as Keras 3's merging layers: Add and Multiply output the OR of their inputs' masks when
// every input has one (none otherwise); Multiply also takes a masked-out element as 1, and zeroes
// the product where the output mask is 0 (Keras' Multiply._merge_function). Concatenate outputs a
// mask when any input has one: an unmasked input counts as all 1s; along the last axis the OR of
// the masks, along a step axis the masks concatenated.
#pragma once

#include "engine/Layer.h"

namespace strata::layers {

class ElementwiseMerge : public Layer {
public:
    using Layer::Layer;
    Shape outputShape(const std::vector<Shape>& inputs) const override;
    LayerOutput call(CallContext& ctx, const std::vector<ir::ValueId>& inputs) const override;
    bool isAdd() const { return type() == "Add"; }
    bool supportsMasking() const override { return true; }
    ir::ValueId computeMask(CallContext& ctx, const std::vector<ir::ValueId>& inputs,
                            const std::vector<ir::ValueId>& masks) const override;
    bool outputMasked(const std::vector<bool>& masked) const override;
    std::string maskEffect(const std::vector<bool>& masked) const override;
};

class Concatenate : public Layer {
public:
    Concatenate(const LayerTypeInfo& info, std::string name, nlohmann::json config);
    Shape outputShape(const std::vector<Shape>& inputs) const override;
    LayerOutput call(CallContext& ctx, const std::vector<ir::ValueId>& inputs) const override;
    std::size_t axisFor(std::size_t rank) const;
    bool supportsMasking() const override { return true; }
    ir::ValueId computeMask(CallContext& ctx, const std::vector<ir::ValueId>& inputs,
                            const std::vector<ir::ValueId>& masks) const override;
    bool outputMasked(const std::vector<bool>& masked) const override;

    const int64_t axis;
};

} // namespace strata::layers
