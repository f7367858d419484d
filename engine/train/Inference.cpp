#include "engine/train/Inference.h"

#include "engine/Error.h"
#include "engine/layers/CoreLayers.h"

#include <algorithm>
#include <deque>

namespace strata::train {

struct Inference::Plan {
    const TracedModel* traced = nullptr;
    std::unique_ptr<ir::PreparedGraph> prepared;
};

Inference::Inference(const Model& model, ir::Backend& backend, TraceCache* traces)
    : model_(model), backend_(backend), ownTraces_(traces ? nullptr : std::make_unique<TraceCache>(model, 0)),
      traces_(traces ? *traces : *ownTraces_) {}

Inference::~Inference() = default;

Inference::Plan& Inference::plan(const std::vector<Tensor>& inputs, int64_t rows) {
    Signature sig;
    for (const Tensor& x : inputs) sig.inputs.push_back(x.shape().withoutFirst().prepended(rows));
    auto [it, fresh] = plans_.try_emplace(sig);
    if (fresh) {
        it->second = std::make_unique<Plan>();
        it->second->traced = &traces_.get(sig);
        it->second->prepared = backend_.prepare(it->second->traced->graph, it->second->traced->outputs);
    }
    return *it->second;
}

std::vector<Tensor> Inference::run(const std::vector<Tensor>& inputs, int64_t batch) {
    const std::vector<int>& in = model_.inputIndices();
    if (inputs.size() != in.size())
        throw StrataError("model '" + model_.name() + "' takes " + std::to_string(in.size()) + " inputs, given " +
                          std::to_string(inputs.size()));
    if (batch < 1) throw StrataError("batch size must be at least 1, got " + std::to_string(batch));
    const int64_t n = inputs.at(0).shape()[0];
    for (std::size_t i = 0; i < inputs.size(); ++i) {
        const auto* layer = static_cast<const layers::InputLayer*>(model_.layers()[std::size_t(in[i])]);
        if (inputs[i].dtype() != layer->dtype())
            throw StrataError("input '" + layer->name() + "' must be " + std::string(dtypeName(layer->dtype())) + ", got " +
                              std::string(dtypeName(inputs[i].dtype())));
        if (inputs[i].shape()[0] != n)
            throw StrataError("input '" + model_.layers()[std::size_t(in[i])]->name() + "' has " +
                              std::to_string(inputs[i].shape()[0]) + " samples, the first input " + std::to_string(n));
    }
    // Allocated from the first traced graph: its output shapes are concrete where the model's
    // (an image of unknown size) are not.
    std::vector<Tensor> outputs;
    // Pipelined: a backend copies each batch's input when it is enqueued, so the views need no ring.
    struct Batch { int64_t start = 0, rows = 0; };
    std::deque<Batch> inFlight;
    std::vector<Tensor> results;
    auto finishBatch = [&] {
        const Batch b = inFlight.front();
        inFlight.pop_front();
        backend_.collect(results);
        for (std::size_t o = 0; o < outputs.size(); ++o) {
            const int64_t rowElems = outputs[o].shape().numElementsFrom(1);
            std::copy_n(results[o].f32(), b.rows * rowElems, outputs[o].f32() + b.start * rowElems);
        }
    };
    try {
        for (int64_t start = 0; start < n; start += batch) {
            if (int(inFlight.size()) >= backend_.maxInFlight()) finishBatch();
            const int64_t rows = std::min(batch, n - start);
            Plan& p = plan(inputs, rows);
            if (outputs.empty())
                for (ir::ValueId v : p.traced->outputs) {
                    std::vector<int64_t> dims = p.traced->graph.shape(v).dims();
                    dims[0] = n;
                    outputs.emplace_back(Shape(dims));
                }
            std::vector<ir::Feed> feeds;
            for (std::size_t i = 0; i < inputs.size(); ++i) {
                const std::size_t rowBytes = std::size_t(inputs[i].shape().numElementsFrom(1)) * dtypeSize(inputs[i].dtype());
                feeds.push_back({p.traced->inputNames[i],
                                 ir::TensorView(inputs[i].bytes() + std::size_t(start) * rowBytes,
                                                inputs[i].shape().withoutFirst().prepended(rows), inputs[i].dtype())});
            }
            backend_.enqueue(*p.prepared, feeds, p.traced->outputs);
            inFlight.push_back({start, rows});
        }
        while (!inFlight.empty()) finishBatch();
    } catch (...) {
        std::vector<Tensor> dropped; // the runs still queued are collected and dropped, their errors too
        for (std::size_t i = 0; i < inFlight.size(); ++i) {
            try {
                backend_.collect(dropped);
            } catch (const std::exception&) {
            }
        }
        throw;
    }
    if (n == 0) // nothing ran: empty outputs of the model's sample shapes (an unknown dimension as 0)
        for (int o : model_.outputIndices()) {
            std::vector<int64_t> dims = model_.outputShape(o).dims();
            for (int64_t& d : dims) d = d == kUnknownDim ? 0 : d;
            dims[0] = 0;
            outputs.emplace_back(Shape(dims));
        }
    return outputs;
}

std::vector<Tensor> runModel(const Model& model, ir::Backend& backend, const std::vector<Tensor>& inputs, int64_t batch) {
    for (const Variable* v : model.variables()) backend.setVariable(v->path(), v->value());
    return Inference(model, backend).run(inputs, batch);
}

} // namespace strata::train
