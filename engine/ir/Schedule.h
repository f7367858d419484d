// Learning-rate schedules, evaluated inside the graph from the step counter optimizer/iter by the
// learning_rate primitive (so every backend computes the lr itself; nothing is fed per step).
// The step is the counter *before* this update, as in Keras (the first update uses step 0).
//   constant:     lr
//   step_decay:   lr * decay_rate ^ floor(step / decay_steps)
//   cosine_decay: lr * ((1 - alpha) * 0.5 * (1 + cos(pi * min(step, decay_steps) / decay_steps)) + alpha)
// JSON: a number (constant) or {"name": "cosine_decay", "initial_learning_rate": 0.1,
// "decay_steps": 1000, "alpha": 0.0} / {"name": "step_decay", "initial_learning_rate": 0.1,
// "decay_steps": 100, "decay_rate": 0.5}. Unknown names and keys are ConfigErrors.
#pragma once

#include "engine/ir/Attrs.h"

#include <cstdint>
#include <string>

#include <nlohmann/json_fwd.hpp>

namespace strata::ir {

struct LearningRateSchedule {
    enum class Kind { Constant, StepDecay, CosineDecay };
    Kind kind = Kind::Constant;
    double learningRate = 1e-3;
    int64_t decaySteps = 1;
    double decayRate = 1.0; // step_decay
    double alpha = 0.0;     // cosine_decay: floor as a fraction of the initial lr

    static LearningRateSchedule constant(double lr) { return {Kind::Constant, lr}; }
    static LearningRateSchedule fromJson(const nlohmann::json& j);
    nlohmann::json toJson() const;
    double at(int64_t step) const; // the reference the learning_rate kernels must match
    void writeAttrs(Attrs& a) const;
    static LearningRateSchedule fromAttrs(const Attrs& a);
};

} // namespace strata::ir
