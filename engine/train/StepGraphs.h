// One training step's graphs for a training trace (internal to engine/train): the loss of every
// output, then the gradients and updates of every trainable variable. Trainer::fit runs them; the
// inspector draws them (traceTrainingStep, Trainer.h); DataParallelStep splits them.
#pragma once

#include "engine/Model.h"
#include "engine/ir/Optimizers.h"
#include "engine/train/Trainer.h"

namespace strata::train {

// `outputLosses`, when given and the model has several outputs: every output's loss value.
ir::TrainingGraphs stepGraphs(const Model& model, const TracedModel& t, const TrainOptions& options,
                              std::vector<ir::ValueId>* outputLosses = nullptr);

} // namespace strata::train
