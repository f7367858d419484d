// Keras losses as graph computations, each producing a scalar: the mean over the batch (Keras'
// default "sum_over_batch_size" reduction) of the per-example loss.
//
// What the tracer should pass: when a model ends in a softmax (or sigmoid) and is trained with a
// cross-entropy, give the loss the *logits* (the softmax input) with fromLogits = true. The
// logits path is fused (sparse: one primitive for softmax + cross-entropy and one for its
// gradient) and numerically stable; the probability path clips with Keras' epsilon 1e-7.
#pragma once

#include "engine/ir/Graph.h"

#include <string>

namespace strata::ir::losses {

inline constexpr double kEpsilon = 1e-7; // keras.backend.epsilon()

// Shapes of yTrue and yPred must be equal (ShapeError naming both otherwise).
ValueId meanSquaredError(Graph& g, ValueId yTrue, ValueId yPred);
ValueId meanAbsoluteError(Graph& g, ValueId yTrue, ValueId yPred);
ValueId binaryCrossentropy(Graph& g, ValueId yTrue, ValueId yPred, bool fromLogits = false);
// yTrue: one-hot or probability targets, same shape as yPred; classes on the last axis.
ValueId categoricalCrossentropy(Graph& g, ValueId yTrue, ValueId yPred, bool fromLogits = false);
// labels: int32 class indices, shape yPred.shape[:-1] (a trailing 1 is accepted). A label outside
// [0, classes) is an error at run time.
ValueId sparseCategoricalCrossentropy(Graph& g, ValueId labels, ValueId yPred, bool fromLogits = false);

// By Keras name: mean_squared_error (mse), mean_absolute_error (mae), binary_crossentropy,
// categorical_crossentropy, sparse_categorical_crossentropy. ConfigError for other names.
ValueId byName(Graph& g, const std::string& name, ValueId yTrue, ValueId yPred, bool fromLogits = false);

} // namespace strata::ir::losses
