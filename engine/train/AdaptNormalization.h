// Keras' Normalization.adapt() for a model: before training, each Normalization layer whose config
// gives no mean and variance takes its input's per-channel mean and (population) variance over
// the training data. The layer's input must come from the model's one Input through layers without
// variables (Rescaling, Resizing, the augmentations, ...), which are run in inference mode (an
// augmentation is then the identity) on the CPU backend.
#pragma once

#include "engine/Model.h"
#include "engine/data/Dataset.h"

#include <string>
#include <vector>

namespace strata::train {

// True when some top-level layer of `model` is a Normalization that adapts.
bool needsNormalizationAdapt(const Model& model);

// Adapts every such layer of `model` (built) on `data` (in memory or streamed), writing its mean and
// variance variables; returns the names of the layers adapted. Throws StrataError naming the layer
// when its input depends on a layer with variables or on no single model input, or when `data` is
// empty or its samples do not fit the model's input.
std::vector<std::string> adaptNormalization(Model& model, const data::Dataset& data, int64_t batchSize = 256);

} // namespace strata::train
