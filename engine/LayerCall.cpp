#include "engine/LayerCall.h"

#include "engine/Error.h"
#include "engine/Layer.h"
#include "engine/ir/Composite.h"
#include "engine/ir/ScopeGuard.h"

namespace strata {

ir::ValueId CallContext::variable(const Layer& layer, const std::string& name) const {
    const ir::ValueId v = maybeVariable(layer, name);
    if (v == ir::kNoValue) throw StrataError("layer '" + layer.name() + "' has no variable '" + name + "' (is it built?)");
    return v;
}

ir::ValueId CallContext::maybeVariable(const Layer& layer, const std::string& name) const {
    const Variable* v = layer.findVariable(name);
    if (!v) return ir::kNoValue;
    // The read is in its owner's scope: the layer's, or a submodule's (MultiHeadAttention's query,
    // Bidirectional's forward_lstm).
    ir::ScopeGuard scope(g_, v->path().substr(0, v->path().rfind('/')));
    return g_.variable(v->path(), v->shape(), v->dtype());
}

LayerOutput CallContext::activate(ir::ValueId x, const std::string& name) const {
    return {name == "linear" ? x : ir::activation(g_, name, x), x, name};
}

std::vector<LayerOutput> CallContext::callLayers(const LayerGraph& graph, const std::vector<ir::ValueId>& inputValues,
                                                 const std::vector<ir::ValueId>& inputMasks) {
    std::vector<LayerOutput> out(graph.layers.size());
    for (std::size_t k = 0; k < graph.inputs.size(); ++k) {
        LayerOutput& bound = out[std::size_t(graph.inputs[k])];
        bound.value = inputValues.at(k);
        if (k < inputMasks.size()) bound.mask = inputMasks[k];
    }
    const std::vector<ir::ValueId> outerMasks = masks_; // a Block's inner walk nests in its call
    for (int i : graph.order) {
        const Layer& layer = *graph.layers[std::size_t(i)];
        if (out[std::size_t(i)].value != ir::kNoValue) continue; // an Input layer, bound above
        std::vector<ir::ValueId> in, masks;
        const std::vector<int>& from = graph.inbound(i);
        const std::vector<int>* outputs = graph.inboundOutputs ? &graph.inboundOutputs(i) : nullptr;
        for (std::size_t a = 0; a < from.size(); ++a) {
            const LayerOutput& src = out[std::size_t(from[a])];
            const int k = outputs && a < outputs->size() ? (*outputs)[a] : 0;
            if (k == 0) {
                in.push_back(src.value);
                masks.push_back(src.mask);
                continue;
            }
            if (std::size_t(k) > src.extra.size())
                throw StrataError("layer '" + layer.name() + "': its input " + std::to_string(a + 1) + " is output " +
                                  std::to_string(k) + " of layer '" + graph.layers[std::size_t(from[a])]->name() +
                                  "', which has " + std::to_string(src.extra.size() + 1) + " outputs");
            in.push_back(src.extra[std::size_t(k - 1)]);
            masks.push_back(ir::kNoValue); // a state carries no mask (Keras)
        }
        try {
            ir::ScopeGuard scope(g_, layer.path());
            masks_ = masks;
            LayerOutput y = layer.call(*this, in);
            // Keras' Layer.__call__: a mask the call set stands; else compute_mask when the layer
            // supports masking; else the mask is dropped.
            if (y.mask == ir::kNoValue && layer.supportsMasking()) y.mask = layer.computeMask(*this, in, masks);
            out[std::size_t(i)] = y;
            masks_ = outerMasks;
        } catch (const StrataError& e) {
            masks_ = outerMasks;
            const std::string msg = e.what();
            if (msg.rfind("layer '", 0) == 0) throw;
            throw StrataError("layer '" + layer.name() + "': " + msg);
        }
    }
    return out;
}

} // namespace strata
