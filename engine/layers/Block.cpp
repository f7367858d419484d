#include "engine/layers/Block.h"

#include "engine/Error.h"
#include "engine/LayerRegistry.h"
#include "engine/Masks.h"

#include <algorithm>

namespace strata::layers {

Block::Block(const LayerTypeInfo& info, std::string name, nlohmann::json config)
    : Layer(info, std::move(name), std::move(config)) {
    const auto& spec = cfg("spec");
    if (!spec.is_object()) configError("spec", "must be a nested model spec object");
    try {
        nlohmann::json withFormat = spec;
        if (!withFormat.contains("format")) withFormat["format"] = kModelFormat;
        inner_ = ModelSpec::fromJson(withFormat);
    } catch (const SpecFormatError& e) {
        configError("spec", e.what());
    }
    if (!spec.contains("name")) inner_.name = this->name();
    if (inner_.outputs.size() != 1)
        configError("spec", "a block must have exactly one output, got " + std::to_string(inner_.outputs.size()));
    if (inner_.inputs.empty()) configError("spec", "a block needs at least one Input layer");
    // Report problems of the inner spec now, each with its inner layer's name.
    InferenceResult r = ShapeInference::run(inner_);
    if (!r.ok()) {
        std::string msg;
        for (const auto& issue : r.issues) msg += (msg.empty() ? "" : "; ") + issue.text();
        throw ConfigError("in block: " + msg);
    }
    // Keep this inference for the declared input shapes: the enclosing model asks for exactly
    // those, and running it again would re-create (and re-infer) every nested block, which costs
    // 2^depth for blocks inside blocks.
    cachedInputs_.clear();
    for (const auto& n : inner_.inputs) cachedInputs_.push_back(*r.layers[inner_.indexOf(n)].outputShape);
    cached_ = std::make_unique<InferenceResult>(std::move(r));
}

const InferenceResult& Block::innerInference(const std::vector<Shape>& inputs) const {
    if (cached_ && cachedInputs_ == inputs) return *cached_;
    if (inputs.size() != inner_.inputs.size())
        throw ShapeError("the block has " + std::to_string(inner_.inputs.size()) + " inputs but is called with " +
                         std::to_string(inputs.size()));
    auto r = std::make_unique<InferenceResult>(ShapeInference::run(inner_, &inputs));
    if (!r->ok()) {
        std::string msg;
        for (const auto& issue : r->issues) msg += (msg.empty() ? "" : "; ") + issue.text();
        throw ShapeError("on input " + shapesText(inputs) + ": " + msg);
    }
    cached_ = std::move(r);
    cachedInputs_ = inputs;
    return *cached_;
}

Shape Block::outputShape(const std::vector<Shape>& inputs) const {
    const auto& r = innerInference(inputs);
    return *r.layers[inner_.indexOf(inner_.outputs[0])].outputShape;
}

ParamCounts Block::countParams(const std::vector<Shape>& inputs) const {
    const ParamCounts inner = innerInference(inputs).totals;
    if (trainable()) return inner;
    ParamCounts frozen{0, inner.nonTrainable}; // a frozen block freezes every layer in it
    frozen += ParamCounts{0, inner.trainable};
    return frozen;
}

LayerOutput Block::call(CallContext& ctx, const std::vector<ir::ValueId>& in) const {
    std::vector<Shape> shapes;
    for (ir::ValueId v : in) shapes.push_back(ctx.graph().shape(v));
    const InferenceResult& r = innerInference(shapes);
    std::vector<int> inputs;
    for (const auto& n : inner_.inputs) inputs.push_back(inner_.indexOf(n));
    const std::vector<Layer*> layers = innerLayers();
    const auto out = ctx.callLayers({layers, r.order, [&](int i) -> const std::vector<int>& { return r.layers[std::size_t(i)].inbound; }, inputs,
                                     [&](int i) -> const std::vector<int>& { return r.layers[std::size_t(i)].inboundOutput; }},
                                    in, ctx.inputMasks());
    return out[std::size_t(inner_.indexOf(inner_.outputs[0]))];
}

namespace {

// The inner mask flow of a built block (an unbuilt one has no inner layers to ask).
masks::MaskFlow innerFlow(const Block& b, const std::vector<bool>& masked) {
    if (!b.built()) return {};
    const InferenceResult& r = b.innerInference(b.buildInputShapes());
    std::vector<int> inputs;
    for (const auto& n : b.innerSpec().inputs) inputs.push_back(b.innerSpec().indexOf(n));
    const std::vector<Layer*> layers = b.innerLayers();
    return masks::maskFlow({layers, r.order, [&](int i) -> const std::vector<int>& { return r.layers[std::size_t(i)].inbound; }, inputs,
                            [&](int i) -> const std::vector<int>& { return r.layers[std::size_t(i)].inboundOutput; }},
                           masked);
}

} // namespace

bool Block::outputMasked(const std::vector<bool>& masked) const {
    const masks::MaskFlow f = innerFlow(*this, masked);
    const std::size_t out = std::size_t(inner_.indexOf(inner_.outputs[0]));
    return out < f.masked.size() && f.masked[out];
}

std::string Block::maskEffect(const std::vector<bool>& masked) const {
    std::string s;
    for (const std::string& e : innerFlow(*this, masked).effects) s += (s.empty() ? "its " : "; its ") + e;
    return s;
}

// The layers a person put in the block: its Input layers are its ports, not layers it adds.
std::string Block::keyConfigText() const {
    const auto n = std::count_if(inner_.layers.begin(), inner_.layers.end(), [](const LayerSpec& l) { return l.type != "Input"; });
    return std::to_string(n) + (n == 1 ? " layer" : " layers");
}

void Block::buildVariables(const std::vector<Shape>& inputs, uint64_t seed) {
    InferenceResult r = ShapeInference::run(inner_, &inputs);
    // Attach every inner layer first (spec order), so that paths are complete when variables are made.
    std::vector<Layer*> attached(r.layers.size(), nullptr);
    for (std::size_t i = 0; i < r.layers.size(); ++i) {
        attached[i] = r.layers[i].layer.get();
        addSubmodule(std::move(r.layers[i].layer));
    }
    for (int i : r.order) attached[i]->build(r.layers[i].inputShapes, seed);
}

std::vector<Layer*> Block::innerLayers() const {
    std::vector<Layer*> out;
    for (Module* m : children()) out.push_back(static_cast<Layer*>(m));
    return out;
}

void registerBlockLayer(std::vector<LayerTypeInfo>& out) {
    out.push_back({"Block", "Core", "A nested model used as one layer: its own inputs, layers and output",
                   {{"spec", nullptr}}, 1, -1, {"spec"}, makeLayer<Block>});
}

} // namespace strata::layers
