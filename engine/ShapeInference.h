// Validation and shape inference over a whole spec in one pass: every problem at once, each
// naming its layer, and per layer its output shape and parameter counts. Cheap enough to run on
// every edit (see `strata-bench shape-inference`).
#pragma once

#include "engine/Layer.h"
#include "engine/ModelSpec.h"
#include "engine/Shape.h"

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace strata {

struct SpecIssue {
    std::string layer; // the layer's name, or the model's name for model-level problems
    std::string message;
    std::string text() const { return layer + ": " + message; }
};

struct LayerInference {
    std::unique_ptr<Layer> layer;     // null when the type or config is invalid
    std::vector<int> inbound;         // indices into spec.layers (-1: unknown name)
    std::vector<int> inboundOutput;   // which output of each inbound layer (OutputRef::output)
    std::vector<Shape> inputShapes;   // empty unless every inbound has a shape
    std::optional<Shape> outputShape; // absent when this layer or one before it has an error
    std::vector<Shape> extraOutputShapes; // outputs 1, 2, ... (Layer::extraOutputShapes), with outputShape
    ParamCounts params;
    std::vector<std::string> errors;  // this layer's own problems
};

struct InferenceResult {
    std::vector<LayerInference> layers; // parallel to spec.layers
    std::vector<int> order;             // a topological order of the layers not in a cycle
    std::vector<SpecIssue> issues;      // every problem, in spec order; model-level ones last
    ParamCounts totals;

    bool ok() const { return issues.empty(); }
};

class ShapeInference {
public:
    // `inputShapes` (with batch dim) override the declared shapes of the spec's inputs, in order;
    // a Block uses this to run its inner spec on the shapes it is called with.
    static InferenceResult run(const ModelSpec& spec, const std::vector<Shape>* inputShapes = nullptr);
};

} // namespace strata
