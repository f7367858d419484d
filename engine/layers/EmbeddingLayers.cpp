#include "engine/layers/EmbeddingLayers.h"

#include "engine/Error.h"
#include "engine/LayerRegistry.h"

namespace strata::layers {

Embedding::Embedding(const LayerTypeInfo& info, std::string name, nlohmann::json config)
    : Layer(info, std::move(name), std::move(config)), inputDim(intConfig("input_dim", 1)),
      outputDim(intConfig("output_dim", 1)), init_(initializerConfig("embeddings_initializer")) {
    // Masks (padding id 0 skipped by the layers after) are not carried between Strata's layers.
    if (cfg("mask_zero").get<bool>())
        configError("mask_zero", "true is not supported: Strata's layers do not carry masks; use false (padding "
                                 "id 0 then embeds like any other id)");
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

std::string Embedding::keyConfigText() const { return std::to_string(inputDim) + " → " + std::to_string(outputDim); }

void registerEmbeddingLayers(std::vector<LayerTypeInfo>& out) {
    out.push_back({"Embedding", "Sequence",
                   "Looks up each integer id (0 to input_dim - 1) as a learned vector of output_dim: (batch, steps) "
                   "→ (batch, steps, output_dim)",
                   {{"input_dim", 1000},
                    {"output_dim", 32},
                    {"embeddings_initializer", "random_uniform"},
                    {"mask_zero", false}},
                   1, 1, {}, makeLayer<Embedding>});
}

} // namespace strata::layers
