// Optimizers appended to a graph as ops, so any backend runs the whole training step.
//
//   OptimizerConfig opt = OptimizerConfig::fromJson({{"name", "adam"}, {"learning_rate", 1e-3}});
//   TrainingGraphs tg = buildTrainingGraphs(forward, loss, {"model/dense/kernel", "model/dense/bias"}, opt);
//   initializeOptimizerState(backend, tg.update);     // zero slots and optimizer/iter if absent
//   auto step = backend.prepare(tg.update, {tg.loss});
//
// Formulas (g: gradient, lr: the schedule's value at step = optimizer/iter before the update,
// t = step + 1; with weight_decay > 0 every optimizer first applies var -= lr * wd * var):
//   sgd:     momentum 0: var -= lr g; else m = momentum m - lr g; var += m (nesterov: var += momentum m - lr g)
//   adam:    m = b1 m + (1-b1) g; v = b2 v + (1-b2) g^2; var -= lr * (m/(1-b1^t)) / (sqrt(v/(1-b2^t)) + eps)
//            (the PyTorch / textbook placement of eps)
//   adamw:   adam with weight_decay 0.004 by default (decoupled, as above)
//   rmsprop: rms = rho rms + (1-rho) g^2; [centered: mg = rho mg + (1-rho) g; rms' = rms - mg^2]
//            inc = lr g / sqrt(rms' + eps); momentum 0: var -= inc; else mom = momentum mom + inc; var -= mom
// Slots are backend variables "<var path>/.OPTIMIZER_SLOT/optimizer/<slot>": m, v (adam, adamw);
// momentum (sgd with momentum > 0, rmsprop with momentum > 0); rms and average_gradient (rmsprop).
// The step counter is the int32 scalar variable "optimizer/iter", incremented by every update.
// Scopes (ScopeGuard.h): the learning rate and the iter increment are in "optimizer"; the update of
// a variable and its slot reads in "optimizer/<owner module path>", e.g. "optimizer/model/dense_1".
#pragma once

#include "engine/ir/Graph.h"
#include "engine/ir/Schedule.h"

#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace strata::ir {

class Backend;

inline const std::string kIterationsPath = "optimizer/iter";
std::string slotPath(const std::string& variablePath, const std::string& slot);
// "optimizer/model/dense_1" for "model/dense_1/kernel": the scope of that variable's update ops.
std::string optimizerScope(const std::string& variablePath);

struct OptimizerConfig {
    std::string name = "adam"; // sgd | adam | adamw | rmsprop
    LearningRateSchedule learningRate = LearningRateSchedule::constant(1e-3);
    double momentum = 0.0;     // sgd, rmsprop
    bool nesterov = false;     // sgd
    double beta1 = 0.9, beta2 = 0.999; // adam, adamw
    double epsilon = 1e-7;     // adam, adamw, rmsprop
    double rho = 0.9;          // rmsprop
    bool centered = false;     // rmsprop
    double weightDecay = 0.0;  // adamw defaults to 0.004

    // Keras defaults for the named optimizer (sgd lr 0.01, the others 1e-3).
    static OptimizerConfig defaults(const std::string& name);
    // {"name": "adam", "learning_rate": 0.001 | {schedule}, "beta_1": ..., ...}. Throws ConfigError
    // naming an unknown optimizer, an unknown option for that optimizer, or a value out of range.
    static OptimizerConfig fromJson(const nlohmann::json& j);
    nlohmann::json toJson() const;
};

// Appends the update of each variables[i] (a variable read) by grads[i]; a kNoValue gradient
// leaves that variable alone. Also appends the lr computation and the optimizer/iter increment.
void appendOptimizer(Graph& g, const OptimizerConfig& config, const std::vector<ValueId>& variables,
                     const std::vector<ValueId>& grads);

// The three graphs of one signature (ggml-opt style): forward computes the loss; backward adds
// the gradients; update adds the optimizer. forward and backward carry no assignments; update
// keeps the traced graph's assignments (e.g. batch-norm moving averages) and adds the optimizer's.
struct TrainingGraphs {
    Graph forward, backward, update;
    ValueId loss = kNoValue;
    std::vector<std::string> trainable; // variable paths, in the order of `gradients`
    std::vector<ValueId> gradients;     // values in `backward` and `update`
};
TrainingGraphs buildTrainingGraphs(const Graph& traced, ValueId loss, const std::vector<std::string>& trainablePaths,
                                   const OptimizerConfig& config);

// Zero-fills every optimizer slot and optimizer/iter that `g` reads and the backend lacks.
void initializeOptimizerState(Backend& backend, const Graph& g);

} // namespace strata::ir
