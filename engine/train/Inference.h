// Inference: a built Model run forward (the inference-mode trace) for its outputs, on any
// backend, in batches. The one predict path: `strata-cli predict` and `evaluate`'s callers,
// Trainer::predict and the tests run a model for outputs through it.
//
//   std::vector<Tensor> outs = train::runModel(model, backend, {x}, 256); // every output, all rows
//
// Inference keeps one traced and prepared graph per batch shape, so a caller that predicts
// again (a trainer after each epoch) traces nothing twice. Batches are pipelined on backends
// that queue runs (Backend::maxInFlight).
#pragma once

#include "engine/Model.h"
#include "engine/ir/Backend.h"
#include "engine/train/Tracer.h"

#include <map>
#include <memory>
#include <vector>

namespace strata::train {

class Inference {
public:
    // The model's variables must be on the backend already (see runModel). With `traces`, the
    // traced graphs are shared with that cache (a Trainer's); else Inference keeps its own.
    Inference(const Model& model, ir::Backend& backend, TraceCache* traces = nullptr);
    ~Inference();

    // Every output of the model for `inputs` (one per model input, of its Input layer's dtype, equal sample counts
    // in the first dimension), `batch` samples per run. Throws StrataError naming the input when
    // the inputs do not fit, or the backend's error.
    std::vector<Tensor> run(const std::vector<Tensor>& inputs, int64_t batch);

private:
    struct Plan;
    Plan& plan(const std::vector<Tensor>& inputs, int64_t rows);

    const Model& model_;
    ir::Backend& backend_;
    std::unique_ptr<TraceCache> ownTraces_;
    TraceCache& traces_;
    std::map<Signature, std::unique_ptr<Plan>> plans_;
};

// Copies the model's variables to the backend, then runs every sample of `inputs` through it.
std::vector<Tensor> runModel(const Model& model, ir::Backend& backend, const std::vector<Tensor>& inputs, int64_t batch);

} // namespace strata::train
