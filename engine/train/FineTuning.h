// What training a model further needs besides the trainer: freezing layers by name or pattern
// (`strata-cli train --freeze`, the inspector's trainable switch) and the check that a
// cross-entropy loss and the model's output agree on probabilities versus logits (a model ending
// in logits trained with from_logits off learns badly without any error: the CLI and the Train
// panel warn).
//
//   std::vector<std::string> frozen = train::freezeLayers(spec, {"conv*", "fc1"});
//   if (auto w = train::lossOutputWarning(spec, "sparse_categorical_crossentropy", false); !w.empty()) ...
#pragma once

#include "engine/ModelSpec.h"

#include <string>
#include <vector>

namespace strata::train {

// Sets `trainable: false` in the config of every layer (not Input) whose name is one of
// `patterns` or matches one as a shell pattern (*, ?, [...]); a pattern may list several,
// separated by commas. Returns the names frozen, in spec order. Throws ConfigError naming the
// pattern when one matches no layer.
std::vector<std::string> freezeLayers(ModelSpec& spec, const std::vector<std::string>& patterns);

// Empty when `loss` is not a cross-entropy, when the output agrees with `fromLogits`, or when it
// cannot be told (an output layer without an activation Strata knows). Otherwise one sentence
// naming the loss, the output layer and its activation, and what to change.
std::string lossOutputWarning(const ModelSpec& spec, const std::string& loss, bool fromLogits);

} // namespace strata::train
