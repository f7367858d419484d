// A layer's `call`: the ops it emits into the op graph being traced (engine/ir/Graph.h), as a Keras
// layer's call() computes. The tracer (engine/train/Tracer.cpp) walks a model in topological order
// and calls each layer with a CallContext; it never asks what type a layer is.
//
//   LayerOutput Dense::call(CallContext& ctx, const std::vector<ir::ValueId>& in) const {
//       ir::ValueId y = ir::dense(ctx.graph(), in[0], ctx.variable(*this, "kernel"), ...);
//       return ctx.activate(y, activation); // keeps the pre-activation value for fused losses
//   }
//
// A layer that owns a graph of layers (Block) calls it through ctx.callLayers.
//
// Masks (Keras 3's _keras_mask): a layer output may carry a mask, an F32 value of 0s and 1s shaped
// as the output without its last axis ((batch, steps) for a (batch, steps, features) sequence), 1
// where the step is real. callLayers hands each layer its inputs' masks (ctx.inputMasks()) and
// sets the output's as Keras' Layer.__call__ does: the mask the call set itself, else
// Layer::computeMask when the layer supports masking, else none (the mask is dropped).
#pragma once

#include "engine/ir/Graph.h"

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace strata {

class Layer;

// What a layer's call returns: its output value and, when the layer ends in an activation, the
// value before it and the activation's name ("linear" when none). A loss on a softmax or sigmoid
// output uses that value as logits (fused and stable).
struct LayerOutput {
    ir::ValueId value = ir::kNoValue;
    ir::ValueId preActivation = ir::kNoValue;
    std::string activation = "linear";
    // The output's mask (see above); kNoValue when it has none. A call may set it itself (Keras'
    // MultiHeadAttention, Multiply); otherwise callLayers fills it from Layer::computeMask.
    ir::ValueId mask = ir::kNoValue;
    // Outputs 1, 2, ... of a layer with several (Layer::extraOutputShapes), which carry no mask.
    std::vector<ir::ValueId> extra = {};
};

// A graph of layers: the model's own, or a block's inner one.
struct LayerGraph {
    const std::vector<Layer*>& layers;
    const std::vector<int>& order;                           // topological order, indices into layers
    std::function<const std::vector<int>&(int)> inbound;     // inbound layer indices, in argument order
    const std::vector<int>& inputs;                          // the indices of its Input layers
    // Which output of each inbound layer each argument is (OutputRef::output), parallel to
    // inbound(i); when not set, every argument is its layer's output 0.
    std::function<const std::vector<int>&(int)> inboundOutputs = {};
};

class CallContext {
public:
    // `seed` seeds Dropout layers whose config has no seed of its own.
    CallContext(ir::Graph& graph, bool training, uint64_t seed) : g_(graph), training_(training), seed_(seed) {}

    ir::Graph& graph() const { return g_; }
    bool training() const { return training_; }
    uint64_t seed() const { return seed_; }

    // The layer's variable as a graph value. Throws StrataError when the layer lacks it (not built).
    ir::ValueId variable(const Layer& layer, const std::string& name) const;
    // kNoValue when the layer has no such variable (an optional bias, gamma or beta).
    ir::ValueId maybeVariable(const Layer& layer, const std::string& name) const;
    // `x` through the Keras activation `name` (x itself for linear), remembering x as the value
    // before the activation.
    LayerOutput activate(ir::ValueId x, const std::string& name) const;

    // The masks of the inputs of the layer being called, one per input (kNoValue: none).
    const std::vector<ir::ValueId>& inputMasks() const { return masks_; }
    ir::ValueId inputMask(std::size_t k) const { return k < masks_.size() ? masks_[k] : ir::kNoValue; }

    // Calls every layer of `graph` in its order, its Input layers bound to `inputValues` (with
    // `inputMasks`, when given: a Block's inputs keep their masks); each layer's ops are in its
    // object path's scope ("model/encoder/dense_1"). Returns every layer's outputs and mask. An
    // error is rethrown as "layer 'NAME': ..." naming the innermost layer.
    std::vector<LayerOutput> callLayers(const LayerGraph& graph, const std::vector<ir::ValueId>& inputValues,
                                        const std::vector<ir::ValueId>& inputMasks = {});

private:
    ir::Graph& g_;
    bool training_;
    uint64_t seed_;
    std::vector<ir::ValueId> masks_; // the current layer's input masks
};

} // namespace strata
