// Model: a Module built from a spec, Sequential or functional (a DAG with several inputs and
// outputs). Its layers are its submodules; the root's path segment is "model" (DESIGN.md).
#pragma once

#include "engine/Error.h"
#include "engine/Layer.h"
#include "engine/ModelSpec.h"
#include "engine/ShapeInference.h"

#include <memory>
#include <string>
#include <vector>

namespace strata {

// A spec that does not validate; what() lists every issue, one "layer: message" per line.
class ModelError : public StrataError {
public:
    explicit ModelError(std::vector<SpecIssue> issues);
    const std::vector<SpecIssue>& issues() const { return issues_; }

private:
    std::vector<SpecIssue> issues_;
};

class Model : public Module {
public:
    // Validates the spec and creates its layers (not built). Throws ModelError listing every issue.
    static std::unique_ptr<Model> fromSpec(const ModelSpec& spec);

    std::string pathSegment() const override { return "model"; }
    const ModelSpec& spec() const { return spec_; }
    bool isSequential() const { return spec_.isSequential(); }

    // Layers in spec order; `layer(name)` is null for an unknown name.
    const std::vector<Layer*>& layers() const { return layers_; }
    Layer* layer(const std::string& name) const;
    // Topological order (indices into layers()) and each layer's inbound indices.
    const std::vector<int>& order() const { return order_; }
    const std::vector<int>& inbound(int layerIndex) const { return inbound_[layerIndex]; }
    // Which output of each inbound layer (OutputRef::output; 0 but for states), parallel to inbound.
    const std::vector<int>& inboundOutput(int layerIndex) const { return inboundOutput_[layerIndex]; }
    // The model's graph of layers, for CallContext::callLayers and masks::maskFlow.
    LayerGraph graph() const;
    // Shapes from inference: per layer, its inputs and its output (batch dimension unknown).
    const std::vector<Shape>& inputShapes(int layerIndex) const { return inputShapes_[layerIndex]; }
    const Shape& outputShape(int layerIndex) const { return outputShapes_[layerIndex]; }
    // Outputs 1, 2, ... of a layer with several (Layer::extraOutputShapes).
    const std::vector<Shape>& extraOutputShapes(int layerIndex) const { return extraOutputShapes_[layerIndex]; }
    std::vector<int> inputIndices() const;
    std::vector<int> outputIndices() const;
    ParamCounts paramCounts() const { return totals_; }

    // Builds every layer (creating and initializing its variables from `seed`).
    void build(uint64_t seed = 0);
    bool built() const { return built_; }

    // The Keras summary table; `expandBlocks` lists each block's layers under it.
    std::string summary(bool expandBlocks = false) const;

private:
    explicit Model(ModelSpec spec);

    ModelSpec spec_;
    std::vector<Layer*> layers_;
    std::vector<int> order_;
    std::vector<std::vector<int>> inbound_, inboundOutput_;
    std::vector<int> inputIndices_;
    std::vector<std::vector<Shape>> inputShapes_;
    std::vector<Shape> outputShapes_;
    std::vector<std::vector<Shape>> extraOutputShapes_;
    ParamCounts totals_;
    bool built_ = false;
};

} // namespace strata
