// What the Vulkan-vs-CPU layer suites compare (tst_vulkan_sequence, tst_vulkan_attention,
// tst_vulkan_masks): a model's training trace run on a backend, fetching its outputs and the
// gradients of a fixed weighted sum of them.
#pragma once

#include "engine/Model.h"
#include "engine/ir/Autodiff.h"
#include "engine/ir/Backend.h"
#include "engine/train/Tracer.h"

#include <cmath>
#include <functional>
#include <vector>

namespace vktest {

// Input k of shape s (batch first) for the trace.
using InputMaker = std::function<strata::Tensor(std::size_t k, const strata::Shape& s)>;

// sin waves, a different phase per input: float inputs.
inline strata::Tensor waveInput(std::size_t k, const strata::Shape& s) {
    std::vector<float> x(std::size_t(s.numElements()));
    for (std::size_t i = 0; i < x.size(); ++i) x[i] = std::sin(float(i) * 0.7f + float(k)) + 0.1f * float(i % 4);
    return strata::Tensor::fromVector(s, x);
}

// The outputs and the gradients of sum_k sum(y_k * w) (w a fixed pattern) with respect to the
// inputs (when wrtInputs; an input without a gradient, such as ids, is skipped) and every
// trainable variable, in the model's training trace at `batch`, with optimizer/iter = iter.
inline std::vector<strata::Tensor> outputsAndGradients(strata::ir::Backend& be, const strata::Model& model, int64_t batch, bool wrtInputs,
                                                       int32_t iter, const InputMaker& input = waveInput) {
    using namespace strata;
    train::Signature sig{{}, true};
    for (int i : model.inputIndices()) sig.inputs.push_back(model.outputShape(i).withoutFirst().prepended(batch));
    train::TracedModel t = train::traceModel(model, sig, 5);
    ir::Graph& g = t.graph;
    std::vector<ir::ValueId> wrt;
    if (wrtInputs)
        for (const std::string& name : t.inputNames) wrt.push_back(g.findPlaceholder(name));
    for (const Variable* v : model.variables())
        if (v->isEffectivelyTrainable()) wrt.push_back(g.findVariable(v->path()));
    ir::ValueId loss = ir::kNoValue;
    for (ir::ValueId y : t.outputs) {
        const Shape out = g.shape(y);
        std::vector<float> w(std::size_t(out.numElements()));
        for (std::size_t i = 0; i < w.size(); ++i) w[i] = 0.5f + 0.25f * float(i % 5) - (i % 3 == 0 ? 1.0f : 0.0f);
        const ir::ValueId term = g.reduceSumAll(g.mul(y, g.constant(Tensor::fromVector(out, w))));
        loss = loss == ir::kNoValue ? term : g.add(loss, term);
    }
    std::vector<ir::ValueId> fetch = t.outputs;
    for (ir::ValueId d : ir::gradients(g, loss, wrt))
        if (d != ir::kNoValue) fetch.push_back(d);
    for (const Variable* v : model.variables()) be.setVariable(v->path(), v->value());
    be.setVariable("optimizer/iter", Tensor::fromVector(Shape{}, std::vector<int32_t>{iter}));
    auto plan = be.prepare(g, fetch);
    std::vector<Tensor> xs;
    std::vector<ir::Feed> feeds;
    for (std::size_t k = 0; k < sig.inputs.size(); ++k) xs.push_back(input(k, sig.inputs[k]));
    for (std::size_t k = 0; k < xs.size(); ++k) feeds.push_back({t.inputNames[k], ir::TensorView(xs[k])});
    return be.run(*plan, feeds);
}

} // namespace vktest
