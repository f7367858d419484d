// What a model's preprocessing does to one sample, for the dataset view: the model's layers whose
// palette category is "Preprocessing" (augmentations such as random flips) and its Rescaling
// layers, in model order, become a model of their own (Input -> those layers), traced in training
// mode (augmentations act only while training, as Dropout does) and run on a backend, once per
// seed. Written over the registry: a new Preprocessing layer type appears here with no change.
//
//   ModelSpec pre = preprocessingSpec(model, Shape{28, 28, 1});        // empty layers: none
//   std::vector<Tensor> out = augmentSample(pre, pixels, 4, seed, cpu); // 4 x (28, 28, 1)
#pragma once

#include "engine/ModelSpec.h"
#include "engine/Tensor.h"
#include "engine/ir/Backend.h"

#include <cstdint>
#include <string>
#include <vector>

namespace strata::train {

// Whether a layer type preprocesses inputs: category "Preprocessing", or Rescaling.
bool isPreprocessingType(const std::string& type);

// Input(sampleShape) followed by the preprocessing layers of `spec` (top level, in the spec's
// order, configs as written). No layers but the Input when the model has none.
ModelSpec preprocessingSpec(const ModelSpec& spec, const Shape& sampleShape);

// `copies` results of the preprocessing model on one sample (its sample shape, no batch
// dimension), the i-th traced in training mode with seed + i. Throws StrataError naming the layer
// when the layers do not fit the sample.
std::vector<Tensor> augmentSample(const ModelSpec& preprocessing, const Tensor& sample, int copies, uint64_t seed,
                                  ir::Backend& backend);

} // namespace strata::train
