// The loss, gradient and update graphs of a training step (Trainer.h, StepGraphs.h).
#include "engine/train/StepGraphs.h"

#include "engine/Error.h"
#include "engine/ir/Losses.h"
#include "engine/ir/ScopeGuard.h"

namespace strata::train {

namespace {
bool isSparse(const std::string& loss) { return loss == "sparse_categorical_crossentropy"; }
} // namespace

std::string labelsName(std::size_t output) { return output == 0 ? "labels" : "labels_" + std::to_string(output); }

ir::ValueId appendLoss(ir::Graph& g, const TracedModel& traced, const std::string& loss, bool fromLogits,
                       DType labelType, const Shape& labelShape, std::size_t output) {
    const ir::ValueId out = traced.outputs.at(output);
    const std::string& act = traced.outputActivations.at(output);
    // Keras 3 weights a loss by its prediction's mask (Loss.__call__); Strata does not: refuse
    // rather than train on the padding.
    if (output < traced.outputMasks.size() && traced.outputMasks[output] != ir::kNoValue)
        throw StrataError("output '" + traced.outputNames.at(output) + "' carries a mask (from an Embedding with "
                          "mask_zero), which Keras would apply to the loss; Strata does not apply masks to losses: end "
                          "the model with a layer that drops the mask (e.g. GlobalAveragePooling1D, or a recurrent layer "
                          "without return_sequences) or set mask_zero false");
    ir::ScopeGuard scope(g, ir::kLossScope);
    ir::ValueId labels = g.placeholder(labelsName(output), labelShape, labelType);
    const bool softmaxCe = (loss == "sparse_categorical_crossentropy" || loss == "categorical_crossentropy") && act == "softmax";
    const bool sigmoidBce = loss == "binary_crossentropy" && act == "sigmoid";
    if (softmaxCe || sigmoidBce) return ir::losses::byName(g, loss, labels, traced.logits.at(output), true);
    return ir::losses::byName(g, loss, labels, out, fromLogits);
}

LossValues appendLosses(ir::Graph& g, const TracedModel& traced, const TrainOptions& options) {
    LossValues lv;
    for (std::size_t k = 0; k < traced.outputs.size(); ++k) {
        const Shape out = g.shape(traced.outputs[k]);
        const std::string& loss = options.lossFor(k);
        const bool sparse = isSparse(loss);
        lv.perOutput.push_back(appendLoss(g, traced, loss, options.fromLogits, sparse ? DType::I32 : DType::F32,
                                          sparse ? Shape{out[0]} : out, k));
    }
    if (lv.perOutput.size() == 1) {
        lv.total = lv.perOutput[0];
        return lv;
    }
    ir::ScopeGuard scope(g, ir::kLossScope);
    for (std::size_t k = 0; k < lv.perOutput.size(); ++k) {
        const double w = options.weightFor(k);
        const ir::ValueId term = w == 1.0 ? lv.perOutput[k] : g.mul(lv.perOutput[k], g.scalar(float(w)));
        lv.total = k == 0 ? term : g.add(lv.total, term);
    }
    return lv;
}

ir::TrainingGraphs stepGraphs(const Model& model, const TracedModel& t, const TrainOptions& options,
                              std::vector<ir::ValueId>* outputLosses) {
    ir::Graph g = t.graph;
    const LossValues lv = appendLosses(g, t, options);
    if (outputLosses && lv.perOutput.size() > 1) *outputLosses = lv.perOutput;
    std::vector<std::string> trainable;
    for (Variable* v : model.trainableVariables()) trainable.push_back(v->path());
    return ir::buildTrainingGraphs(g, lv.total, trainable, options.optimizer);
}

TracedStep traceTrainingStep(const Model& model, const std::vector<Shape>& batchShapes, const TrainOptions& options,
                             uint64_t seed) {
    TracedStep step;
    step.trace = traceModel(model, Signature{batchShapes, true}, seed);
    ir::TrainingGraphs tg = stepGraphs(model, step.trace, options);
    step.forwardNodes = std::size_t(tg.forward.nodeCount());
    step.backwardNodes = std::size_t(tg.backward.nodeCount());
    step.loss = tg.loss;
    step.trace.graph = std::move(tg.update);
    return step;
}

TracedStep traceTrainingStep(const Model& model, const Shape& xBatch, const TrainOptions& options, uint64_t seed) {
    return traceTrainingStep(model, std::vector<Shape>{xBatch}, options, seed);
}

std::string defaultLossFor(const TracedModel& traced, std::size_t output) {
    const std::string& act = traced.outputActivations.at(output);
    return act == "softmax" ? "sparse_categorical_crossentropy" : act == "sigmoid" ? "binary_crossentropy" : "mean_squared_error";
}

} // namespace strata::train
