#include "engine/Model.h"

#include "engine/MemoryBudget.h"
#include "engine/Summary.h"

namespace strata {

namespace {
std::string issuesText(const std::vector<SpecIssue>& issues) {
    std::string s;
    for (const auto& i : issues) s += (s.empty() ? "" : "\n") + i.text();
    return s;
}
} // namespace

ModelError::ModelError(std::vector<SpecIssue> issues) : StrataError(issuesText(issues)), issues_(std::move(issues)) {}

Model::Model(ModelSpec spec) : Module(spec.name), spec_(std::move(spec)) {}

std::unique_ptr<Model> Model::fromSpec(const ModelSpec& spec) {
    InferenceResult r = ShapeInference::run(spec);
    if (!r.ok()) throw ModelError(r.issues);
    std::unique_ptr<Model> m(new Model(spec));
    m->order_ = r.order;
    m->totals_ = r.totals;
    for (auto& li : r.layers) {
        m->layers_.push_back(li.layer.get());
        m->inbound_.push_back(li.inbound);
        m->inboundOutput_.push_back(li.inboundOutput);
        m->inputShapes_.push_back(li.inputShapes);
        m->outputShapes_.push_back(*li.outputShape);
        m->extraOutputShapes_.push_back(li.extraOutputShapes);
        m->addSubmodule(std::move(li.layer));
    }
    m->inputIndices_ = m->inputIndices();
    return m;
}

Layer* Model::layer(const std::string& name) const {
    int i = spec_.indexOf(name);
    return i < 0 ? nullptr : layers_[i];
}

std::vector<int> Model::inputIndices() const {
    std::vector<int> out;
    for (const auto& n : spec_.inputs) out.push_back(spec_.indexOf(n));
    return out;
}

LayerGraph Model::graph() const {
    return {layers_, order_, [this](int i) -> const std::vector<int>& { return inbound_[std::size_t(i)]; }, inputIndices_,
            [this](int i) -> const std::vector<int>& { return inboundOutput_[std::size_t(i)]; }};
}

std::vector<int> Model::outputIndices() const {
    std::vector<int> out;
    for (const auto& n : spec_.outputs) out.push_back(spec_.indexOf(n));
    return out;
}

void Model::build(uint64_t seed) {
    // Every variable is allocated below: refuse a model that cannot fit before allocating any of
    // it, naming the largest layer (a spec from a file may declare a Dense of 2^32 weights).
    int largest = -1;
    int64_t largestParams = 0;
    for (int i : order_) {
        const int64_t p = layers_[i]->countParams(inputShapes_[i]).total();
        if (p > largestParams) largest = i, largestParams = p;
    }
    if (largest >= 0)
        checkMemoryBudget(double(totals_.total()) * 4.0,
                          "the variables of model '" + spec_.name + "' (" + std::to_string(totals_.total()) +
                              " parameters; the largest layer, '" + layers_[largest]->name() + "', has " +
                              std::to_string(largestParams) + ")");
    for (int i : order_) layers_[i]->build(inputShapes_[i], seed);
    built_ = true;
}

std::string Model::summary(bool expandBlocks) const {
    SummaryTable t = SummaryTable::fromSpec(spec_, ShapeInference::run(spec_), expandBlocks);
    std::string s = t.format();
    if (!built_)
        s += "Not built yet: no variables exist until build(); the counts are those build() will create.\n";
    return s;
}

} // namespace strata
