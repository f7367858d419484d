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
};

// A graph of layers: the model's own, or a block's inner one.
struct LayerGraph {
    const std::vector<Layer*>& layers;
    const std::vector<int>& order;                           // topological order, indices into layers
    std::function<const std::vector<int>&(int)> inbound;     // inbound layer indices, in argument order
    const std::vector<int>& inputs;                          // the indices of its Input layers
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

    // Calls every layer of `graph` in its order, its Input layers bound to `inputValues`; each
    // layer's ops are in its object path's scope ("model/encoder/dense_1"). Returns every layer's
    // output. An error is rethrown as "layer 'NAME': ..." naming the innermost layer.
    std::vector<LayerOutput> callLayers(const LayerGraph& graph, const std::vector<ir::ValueId>& inputValues);

private:
    ir::Graph& g_;
    bool training_;
    uint64_t seed_;
};

} // namespace strata
