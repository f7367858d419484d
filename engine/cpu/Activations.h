// Scalar forms of the unary activations and their derivatives, shared by the CPU kernels.
// Definitions follow Keras: elu(alpha), selu (alpha 1.67326324, scale 1.05070098), softplus
// log(1 + e^x) computed stably, softsign x / (1 + |x|), swish x sigmoid(x), gelu exact (erf),
// leaky_relu(alpha), clip(min, max) whose derivative is 1 inside [min, max].
#pragma once

#include <cmath>

namespace strata::cpu {

struct UnaryParams {
    float alpha = 0.0f, lo = 0.0f, hi = 0.0f, exponent = 1.0f;
};

inline constexpr float kSeluAlpha = 1.67326324f, kSeluScale = 1.05070098f;

inline float sigmoidf(float x) { return x >= 0 ? 1.0f / (1.0f + std::exp(-x)) : std::exp(x) / (1.0f + std::exp(x)); }
inline float softplusf(float x) { return x > 0 ? x + std::log1p(std::exp(-x)) : std::log1p(std::exp(x)); }

} // namespace strata::cpu
