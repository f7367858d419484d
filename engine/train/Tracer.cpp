#include "engine/train/Tracer.h"

#include "engine/Error.h"
#include "engine/LayerCall.h"
#include "engine/ir/ScopeGuard.h"
#include "engine/layers/CoreLayers.h"

namespace strata::train {

bool Signature::operator<(const Signature& o) const {
    if (training != o.training) return training < o.training;
    if (inputs.size() != o.inputs.size()) return inputs.size() < o.inputs.size();
    for (std::size_t i = 0; i < inputs.size(); ++i)
        if (inputs[i].dims() != o.inputs[i].dims()) return inputs[i].dims() < o.inputs[i].dims();
    return false;
}

std::string Signature::toString() const {
    std::string s = "[";
    for (std::size_t i = 0; i < inputs.size(); ++i) s += (i ? ", " : "") + inputs[i].toString();
    return s + "]" + (training ? " training" : " inference");
}

TracedModel traceModel(const Model& model, const Signature& sig, uint64_t seed) {
    if (!model.built()) throw StrataError("model '" + model.name() + "' must be built before it is traced");
    const auto inputs = model.inputIndices();
    if (sig.inputs.size() != inputs.size())
        throw ShapeError("model '" + model.name() + "' has " + std::to_string(inputs.size()) + " inputs, got " +
                         std::to_string(sig.inputs.size()) + " input shapes");
    TracedModel t;
    t.signature = sig;
    std::vector<ir::ValueId> inputValues;
    for (std::size_t k = 0; k < inputs.size(); ++k) {
        const int i = inputs[k];
        const Shape& declared = model.outputShape(i);
        if (!sig.inputs[k].isFullyKnown() || !sig.inputs[k].isCompatibleWith(declared))
            throw ShapeError("input '" + model.layers()[i]->name() + "' expects " + declared.toString() + ", got " +
                             sig.inputs[k].toString());
        const auto* in = static_cast<const layers::InputLayer*>(model.layers()[i]);
        t.inputNames.push_back(model.layers()[i]->name());
        ir::ScopeGuard scope(t.graph, model.layers()[i]->path());
        inputValues.push_back(t.graph.placeholder(t.inputNames.back(), sig.inputs[k], in->dtype()));
    }
    CallContext ctx(t.graph, sig.training, seed);
    const auto values = ctx.callLayers(model.graph(), inputValues);
    for (int o : model.outputIndices()) {
        t.outputs.push_back(values[o].value);
        t.logits.push_back(values[o].preActivation == ir::kNoValue ? values[o].value : values[o].preActivation);
        t.outputActivations.push_back(values[o].preActivation == ir::kNoValue ? "linear" : values[o].activation);
        t.outputNames.push_back(model.layers()[o]->name());
        t.outputMasks.push_back(values[o].mask);
    }
    return t;
}

const TracedModel& TraceCache::get(const Signature& sig) {
    auto it = traces_.find(sig);
    if (it == traces_.end())
        it = traces_.emplace(sig, std::make_unique<TracedModel>(traceModel(model_, sig, seed_))).first;
    return *it->second;
}

} // namespace strata::train
