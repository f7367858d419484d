// What makes data-parallel replicas start equal and lets them check that they still are: rank
// 0's initial state sent to every rank, and a fingerprint of the weights compared across ranks.
// Transport-free: it speaks train::Collectives (engine/train/Collectives.h).
#pragma once

#include "engine/Model.h"
#include "engine/ir/Backend.h"
#include "engine/train/Collectives.h"
#include "engine/train/Trainer.h"

namespace strata::session {

// Rank 0's model variables (every one, trainable or not), the optimizer state its backend holds
// (slots and optimizer/iter: a resumed run's) and where training resumes (opts.initialEpoch,
// initialBatch, initialStep) replace every other rank's, bit for bit. Every rank calls it.
void shareInitialState(train::Collectives& c, Model& model, ir::Backend& backend, train::TrainOptions& opts);

// Whether every rank's backend holds the same bits for every variable (a 31-bit hash of them
// compared across ranks). Every rank calls it.
bool replicasAgree(train::Collectives& c, const ir::Backend& backend);

} // namespace strata::session
