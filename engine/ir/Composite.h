// Layer computations composed from primitives, so their gradients come from the primitive rules
// and every backend runs them without new kernels. The tracer calls these per Keras layer.
//
//   ValueId h = dense(g, x, kernel, bias, "relu");                 // x [..., in], kernel [in, units]
//   BatchNormOutputs bn = batchNormTraining(g, x, gamma, beta);   // eps 1e-3 (Keras)
//   updateMovingAverage(g, "model/bn/moving_mean", bn.mean, 0.99);
//   updateMovingAverage(g, "model/bn/moving_variance", bn.variance, 0.99);
#pragma once

#include "engine/ir/Graph.h"

#include <string>

namespace strata::ir {

// Keras activation by name: linear (or ""), relu, sigmoid, tanh, softmax, log_softmax, elu, selu,
// softplus, softsign, swish, silu, gelu (exact erf form), leaky_relu (slope 0.2), exponential,
// relu6, hard_sigmoid (Keras 3: relu6(x + 3) / 6), hard_silu and its alias hard_swish, mish, and
// gelu_tanh: Keras' gelu(x, approximate=True), PyTorch's GELU(approximate="tanh"). A Keras
// activation is named by a string, so the approximate form has a name of its own.
// Throws ConfigError naming an unknown activation.
ValueId activation(Graph& g, const std::string& name, ValueId x);

// x @ kernel + bias, then the activation. x of rank > 2 is applied over its last axis (as Keras'
// Dense does). bias may be kNoValue.
ValueId dense(Graph& g, ValueId x, ValueId kernel, ValueId bias, const std::string& activationName = "linear");

struct BatchNormOutputs {
    ValueId y = kNoValue;
    ValueId mean = kNoValue;     // batch mean per channel, shape [C]
    ValueId variance = kNoValue; // biased batch variance per channel, shape [C]
};

// Training mode: normalizes over every axis but the last with the batch statistics.
// gamma/beta ([C]) may be kNoValue (Keras scale=False / center=False).
BatchNormOutputs batchNormTraining(Graph& g, ValueId x, ValueId gamma, ValueId beta, double epsilon = 1e-3);
// Inference mode with given statistics (moving_mean, moving_variance).
ValueId batchNormInference(Graph& g, ValueId x, ValueId gamma, ValueId beta, ValueId mean, ValueId variance,
                           double epsilon = 1e-3);
// Normalizes over the last axis; gamma/beta ([C]) may be kNoValue.
ValueId layerNorm(Graph& g, ValueId x, ValueId gamma, ValueId beta, double epsilon = 1e-3);

// Appends assign(path, moving * momentum + batch * (1 - momentum)); the variable is declared with
// the batch value's shape.
void updateMovingAverage(Graph& g, const std::string& path, ValueId batchValue, double momentum = 0.99);

} // namespace strata::ir
