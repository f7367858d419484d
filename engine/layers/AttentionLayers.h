// Attention layers (palette category "Attention"), Keras semantics: MultiHeadAttention, Dot and
// RepeatVector, and PositionEmbedding (a Strata addition following Keras-NLP). Each is composed
// from graph ops (MatMul, BatchMatMul, Softmax, Reshape, Transpose, Add, Mul, Dropout,
// BroadcastTo), so both backends and the gradients come from the ops; no op of their own.
#pragma once

#include "engine/Layer.h"

#include <optional>

namespace strata::layers {

// Keras' MultiHeadAttention: inputs query (B, T, dq), value (B, S, dv) and optional key (B, S, dk;
// the value when absent). Per head h: Q = query Wq[:, h] + bq[h] (key_dim wide), K, V likewise
// (V value_dim wide); scores = Q K^T / sqrt(key_dim), plus a large negative (-1e9) above the
// diagonal with use_causal_mask; softmax over the keys; attention-probability dropout while
// training; heads = probs V; output = sum over heads of heads[h] Wo[h] + bo, (B, T, dq).
// Variables in Keras' shapes and paths: query/kernel (dq, heads, key_dim), query/bias (heads,
// key_dim), key/..., value/kernel (dv, heads, value_dim), value/bias, attention_output/kernel
// (heads, value_dim, dq), attention_output/bias (dq). output_shape and attention_axes: null only.
// use_causal_mask is a config key here (Keras takes it as a call argument).
// Masks (Keras 3's _compute_attention_mask): the query's (B, T), the value's and the key's (B, S)
// masks and the causal mask are AND-ed into a (B, T, S) attention mask; a masked-out score becomes
// -1e9 before the softmax (a row with nothing left is uniform, as Keras' dot_product_attention
// path), and with dropout > 0 the probabilities are zeroed where masked (Keras' Softmax path). The
// output carries the query's mask.
class MultiHeadAttention : public Layer {
public:
    MultiHeadAttention(const LayerTypeInfo& info, std::string name, nlohmann::json config);
    Shape outputShape(const std::vector<Shape>& inputs) const override;
    std::vector<VariableSpec> variableSpecs(const std::vector<Shape>& inputs) const override;
    LayerOutput call(CallContext& ctx, const std::vector<ir::ValueId>& inputs) const override;
    std::string keyConfigText() const override;
    bool supportsMasking() const override { return true; } // the output: the query's mask
    std::string maskEffect(const std::vector<bool>& masked) const override;

    const int64_t numHeads, keyDim, valueDim;
    const double dropout;
    const bool useBias, causal;

protected:
    // Variables named "query/kernel" live in submodules query, key, value, attention_output.
    void buildVariables(const std::vector<Shape>& inputs, uint64_t seed) override;

private:
    ir::ValueId attentionMask(CallContext& ctx, const std::vector<ir::ValueId>& inputs) const;
    int64_t seed_ = -1; // -1: derived from the layer path and the run's seed
    std::string kernelInit_, biasInit_;
};

// Keras' Dot: the dot product of two samples along axes (an int for both, or [ax, ay]; counted
// with the batch axis, negative from the end), each input L2-normalized along it first with
// normalize (cosine proximity; Keras 3's ops.normalize, x / max(norm(x), 1e-7)). Inputs of rank
// 2 or 3; the output is x's remaining axes then y's, (batch, 1) when nothing remains.
class Dot : public Layer {
public:
    Dot(const LayerTypeInfo& info, std::string name, nlohmann::json config);
    Shape outputShape(const std::vector<Shape>& inputs) const override;
    LayerOutput call(CallContext& ctx, const std::vector<ir::ValueId>& inputs) const override;
    std::string keyConfigText() const override;

    const bool normalize;
    // The contracted axis of each input, non-negative, for these input ranks.
    std::pair<int64_t, int64_t> axesFor(std::size_t rankX, std::size_t rankY) const;

private:
    int64_t ax_ = -1, ay_ = -1; // as configured (may be negative)
};

// Keras' RepeatVector: (batch, features) -> (batch, n, features).
class RepeatVector : public Layer {
public:
    RepeatVector(const LayerTypeInfo& info, std::string name, nlohmann::json config);
    Shape outputShape(const std::vector<Shape>& inputs) const override;
    LayerOutput call(CallContext& ctx, const std::vector<ir::ValueId>& inputs) const override;
    std::string keyConfigText() const override { return "x" + std::to_string(n); }

    const int64_t n;
};

// Keras-NLP's PositionEmbedding (a Strata addition): a learned (sequence_length, features) table
// "embeddings"; for an input (batch, steps, features) with steps <= sequence_length it outputs the
// table's first `steps` rows broadcast over the batch. It adds nothing: the model Adds it to the
// input, as with keras_nlp. Like Keras-Hub's, it does not support masking: a mask is dropped (and
// an Add of the embedding and its positions then has no mask either, as in Keras).
class PositionEmbedding : public Layer {
public:
    PositionEmbedding(const LayerTypeInfo& info, std::string name, nlohmann::json config);
    Shape outputShape(const std::vector<Shape>& inputs) const override;
    std::vector<VariableSpec> variableSpecs(const std::vector<Shape>& inputs) const override;
    LayerOutput call(CallContext& ctx, const std::vector<ir::ValueId>& inputs) const override;
    std::string keyConfigText() const override { return std::to_string(sequenceLength); }

    const int64_t sequenceLength;

private:
    std::string init_;
};

} // namespace strata::layers
