// Tracing: a built Model and an input signature (concrete shapes, training flag) become one op
// graph (the guide's tf.function rule: one traced graph per signature, cached by TraceCache).
// The training flag changes the graph: Dropout draws masks and BatchNormalization normalizes
// with batch statistics and assigns its moving averages; in inference both are plain.
// Every node carries the object path of the layer that emitted it as its scope ("model/dense_1";
// a block's inner ops "model/encoder/dense_1"); an input's placeholder is in its Input layer's.
#pragma once

#include "engine/Model.h"
#include "engine/ir/Graph.h"

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace strata::train {

struct Signature {
    std::vector<Shape> inputs; // one per model input, batch dimension first, fully known
    bool training = false;

    bool operator<(const Signature& o) const;
    std::string toString() const; // "[(64, 784)] training"
};

struct TracedModel {
    Signature signature;
    ir::Graph graph;
    std::vector<std::string> inputNames; // placeholder names, one per model input
    std::vector<ir::ValueId> outputs;    // one per model output
    // Per output: the value before the output layer's final activation, and that activation
    // ("linear" when none). A loss on a softmax/sigmoid output uses the logits (fused, stable).
    std::vector<ir::ValueId> logits;
    std::vector<std::string> outputActivations;
    // Per output: its layer's name, and its mask (kNoValue when none; LayerCall.h), e.g. the steps of
    // a sequence output after an Embedding with mask_zero.
    std::vector<std::string> outputNames;
    std::vector<ir::ValueId> outputMasks;
};

// Traces `model` (built) for `sig`. `seed` seeds Dropout layers whose config has no seed.
// Throws StrataError naming the layer when a layer cannot be traced for these shapes.
TracedModel traceModel(const Model& model, const Signature& sig, uint64_t seed);

// One traced graph per signature, traced on first use.
class TraceCache {
public:
    TraceCache(const Model& model, uint64_t seed) : model_(model), seed_(seed) {}
    const TracedModel& get(const Signature& sig);
    std::size_t size() const { return traces_.size(); }

private:
    const Model& model_;
    uint64_t seed_;
    std::map<Signature, std::unique_ptr<TracedModel>> traces_;
};

} // namespace strata::train
