#include "engine/layers/EmbeddingLayers.h"

#include "engine/Error.h"
#include "engine/LayerRegistry.h"
#include "engine/Masks.h"

namespace strata::layers {

Embedding::Embedding(const LayerTypeInfo& info, std::string name, nlohmann::json config)
    : Layer(info, std::move(name), std::move(config)), inputDim(intConfig("input_dim", 1)),
      outputDim(intConfig("output_dim", 1)), maskZero(cfg("mask_zero").get<bool>()),
      init_(initializerConfig("embeddings_initializer")) {
    // Keras: with mask_zero, id 0 is the padding and "input_dim should equal size of vocabulary + 1".
    if (maskZero && inputDim < 2)
        configError("input_dim", "must be at least 2 with mask_zero (id 0 is the padding; input_dim is the "
                                 "vocabulary size + 1), got " + std::to_string(inputDim));
}

Shape Embedding::outputShape(const std::vector<Shape>& inputs) const {
    const Shape& in = inputs.at(0);
    if (in.rank() < 1) throw ShapeError("expects token ids (batch, ...), got " + in.toString());
    std::vector<int64_t> dims = in.dims();
    dims.push_back(outputDim);
    return Shape(std::move(dims));
}

std::vector<VariableSpec> Embedding::variableSpecs(const std::vector<Shape>&) const {
    const Shape table{inputDim, outputDim};
    (void)table.numElements(); // checked: a table too large to count is an error naming its shape
    return {{"embeddings", table, true, init_, inputDim, outputDim}};
}

LayerOutput Embedding::call(CallContext& ctx, const std::vector<ir::ValueId>& in) const {
    ir::Graph& g = ctx.graph();
    ir::ValueId ids = in.at(0);
    if (g.dtype(ids) != DType::I32) ids = g.cast(ids, DType::I32);
    const Shape s = g.shape(ids);
    const int64_t count = s.numElements();
    const ir::ValueId oneHot = g.reshape(g.oneHot(ids, inputDim), Shape{count, inputDim});
    std::vector<int64_t> dims = s.dims();
    dims.push_back(outputDim);
    return {g.reshape(g.matmul(oneHot, ctx.variable(*this, "embeddings")), Shape(std::move(dims)))};
}

// Keras' compute_mask: ops.not_equal(inputs, 0) on the ids as given (before the int32 cast).
ir::ValueId Embedding::computeMask(CallContext& ctx, const std::vector<ir::ValueId>& in, const std::vector<ir::ValueId>&) const {
    return maskZero ? masks::notZero(ctx.graph(), in.at(0)) : ir::kNoValue;
}

std::string Embedding::keyConfigText() const {
    return std::to_string(inputDim) + " → " + std::to_string(outputDim) + (maskZero ? " mask 0" : "");
}

void registerEmbeddingLayers(std::vector<LayerTypeInfo>& out) {
    out.push_back({"Embedding", "Sequence",
                   "Looks up each integer id (0 to input_dim - 1) as a learned vector of output_dim: (batch, steps) "
                   "→ (batch, steps, output_dim); mask_zero: id 0 is padding, masked for the layers after (input_dim = "
                   "vocabulary + 1)",
                   {{"input_dim", 1000},
                    {"output_dim", 32},
                    {"embeddings_initializer", "random_uniform"},
                    {"mask_zero", false}},
                   1, 1, {}, makeLayer<Embedding>});
}

} // namespace strata::layers
