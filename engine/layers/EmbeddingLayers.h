// Embedding: Keras' lookup of integer token ids (batch, ...) into rows of a (input_dim, output_dim)
// table, giving (batch, ..., output_dim). Ids are cast to int32 (a float column of a CSV is
// accepted, as Keras casts it); the lookup is a one-hot of the ids times the table, so both
// backends and the table's gradient come from the OneHot and MatMul ops. An id outside
// [0, input_dim) stops the step with an error naming it, on both backends, as Keras' does.
// mask_zero: the output carries the mask ids != 0 (Keras' compute_mask), shaped as the ids; id 0
// still embeds (its row is learned like any other, as in Keras).
#pragma once

#include "engine/Layer.h"

namespace strata::layers {

class Embedding : public Layer {
public:
    Embedding(const LayerTypeInfo& info, std::string name, nlohmann::json config);
    Shape outputShape(const std::vector<Shape>& inputs) const override;
    std::vector<VariableSpec> variableSpecs(const std::vector<Shape>& inputs) const override;
    LayerOutput call(CallContext& ctx, const std::vector<ir::ValueId>& inputs) const override;
    std::string keyConfigText() const override;
    // Keras: supports_masking = mask_zero; the mask ignores any mask reaching the ids.
    bool supportsMasking() const override { return maskZero; }
    ir::ValueId computeMask(CallContext& ctx, const std::vector<ir::ValueId>& inputs,
                            const std::vector<ir::ValueId>& masks) const override;
    bool outputMasked(const std::vector<bool>&) const override { return maskZero; }

    const int64_t inputDim, outputDim;
    const bool maskZero;

private:
    std::string init_;
};

} // namespace strata::layers
