#include "engine/Masks.h"

#include "engine/Error.h"
#include "engine/Layer.h"
#include "engine/Model.h"

namespace strata::masks {

ir::ValueId notZero(ir::Graph& g, ir::ValueId x) {
    if (g.dtype(x) != DType::F32) x = g.cast(x, DType::F32);
    const ir::ValueId one = g.scalar(1.0f);
    return g.sub(one, g.floor(g.sub(one, g.clip(g.abs(x), 0.0, 1.0))));
}

ir::ValueId logicalAnd(ir::Graph& g, ir::ValueId a, ir::ValueId b) { return g.mul(a, b); }

ir::ValueId logicalOr(ir::Graph& g, ir::ValueId a, ir::ValueId b) { return g.sub(g.add(a, b), g.mul(a, b)); }

ir::ValueId expandLast(ir::Graph& g, ir::ValueId m) {
    std::vector<int64_t> dims = g.shape(m).dims();
    dims.push_back(1);
    return g.reshape(m, Shape(std::move(dims)));
}

ir::ValueId select(ir::Graph& g, ir::ValueId m, ir::ValueId a, ir::ValueId b) { return g.add(b, g.mul(m, g.sub(a, b))); }

void requireSequenceMask(const ir::Graph& g, ir::ValueId mask, ir::ValueId value, const char* what) {
    const Shape& v = g.shape(value);
    const Shape& m = g.shape(mask);
    bool ok = m.rank() + 1 == v.rank();
    for (std::size_t d = 0; ok && d < m.rank(); ++d) ok = m[d] == v[d];
    if (!ok)
        throw StrataError(std::string(what) + " gets a mask of shape " + m.toString() + " for an input of shape " +
                          v.toString() + "; a mask has the input's shape without its last axis");
}

MaskFlow maskFlow(const LayerGraph& graph, const std::vector<bool>& inputsMasked) {
    MaskFlow f;
    f.masked.assign(graph.layers.size(), false);
    for (std::size_t k = 0; k < graph.inputs.size() && k < inputsMasked.size(); ++k)
        f.masked[std::size_t(graph.inputs[k])] = inputsMasked[k];
    for (int i : graph.order) {
        const Layer& layer = *graph.layers[std::size_t(i)];
        if (layer.type() == "Input") continue;
        std::vector<bool> in;
        const std::vector<int>& from = graph.inbound(i);
        const std::vector<int>* outputs = graph.inboundOutputs ? &graph.inboundOutputs(i) : nullptr;
        for (std::size_t a = 0; a < from.size(); ++a) // a state (output K > 0) carries no mask
            in.push_back(f.masked[std::size_t(from[a])] && (!outputs || a >= outputs->size() || (*outputs)[a] == 0));
        f.masked[std::size_t(i)] = layer.outputMasked(in);
        const std::string effect = layer.maskEffect(in);
        if (!effect.empty()) f.effects.push_back("layer '" + layer.name() + "' (" + layer.type() + "): " + effect);
    }
    return f;
}

std::vector<std::string> maskEffects(const Model& model) {
    return maskFlow(model.graph()).effects;
}

} // namespace strata::masks
