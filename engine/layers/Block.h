// Block: a whole nested spec used as one layer, so modules nest as in the guide. Its layers are
// its submodules (paths nest: model/encoder/dense_1/kernel) and blocks may nest in blocks.
// The inner spec must have one output; its inputs take the block's inbound layers in order.
#pragma once

#include "engine/Layer.h"
#include "engine/ModelSpec.h"
#include "engine/ShapeInference.h"

namespace strata::layers {

class Block : public Layer {
public:
    Block(const LayerTypeInfo& info, std::string name, nlohmann::json config);
    Shape outputShape(const std::vector<Shape>& inputs) const override;
    ParamCounts countParams(const std::vector<Shape>& inputs) const override;
    // Calls the inner layers (ctx.callLayers); the block's output is its inner output layer's. Masks
    // flow through as through a Keras functional model called as a layer: the inputs' masks reach
    // the inner Input layers and the output carries the inner output's mask.
    LayerOutput call(CallContext& ctx, const std::vector<ir::ValueId>& inputs) const override;
    bool outputMasked(const std::vector<bool>& masked) const override;
    std::string maskEffect(const std::vector<bool>& masked) const override;
    std::string keyConfigText() const override;

    const ModelSpec& innerSpec() const { return inner_; }
    // Inference of the inner spec on these (outer) input shapes; throws ShapeError on problems.
    const InferenceResult& innerInference(const std::vector<Shape>& inputs) const;
    // After build: the inner layers in topological order, with their inbound indices.
    std::vector<Layer*> innerLayers() const;

protected:
    void buildVariables(const std::vector<Shape>& inputs, uint64_t seed) override;

private:
    ModelSpec inner_;
    mutable std::vector<Shape> cachedInputs_;
    mutable std::unique_ptr<InferenceResult> cached_;
};

} // namespace strata::layers
