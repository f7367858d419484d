// Scalar forms of the unary activations and their derivatives, shared by the CPU kernels.
// Definitions follow Keras: elu(alpha), selu (alpha 1.67326324, scale 1.05070098), softplus
// log(1 + e^x) computed stably, softsign x / (1 + |x|), swish x sigmoid(x), gelu exact (erf),
// leaky_relu(alpha), clip(min, max) whose derivative is 1 inside [min, max].
#pragma once

#include <bit>
#include <cmath>
#include <cstdint>

namespace strata::cpu {

struct UnaryParams {
    float alpha = 0.0f, lo = 0.0f, hi = 0.0f, exponent = 1.0f;
};

inline constexpr float kSeluAlpha = 1.67326324f, kSeluScale = 1.05070098f;

// e^x in float32 without a library call, so that a loop over it vectorizes (the recurrent layers'
// gates spend most of a step here): Cephes' expf, the argument reduced by n ln 2 (ln 2 in two
// parts) to |r| <= ln 2 / 2, a degree-6 polynomial, 2^n put in the exponent bits. Within 2 ulp of
// std::exp; the argument is clamped to [-87, 88], so the result stays a normal float (e^-87 is
// 1.6e-38 where the true value is smaller: an absolute error below 2e-38).
inline float expFast(float in) {
    const bool nan = in != in; // kept as NaN; the arithmetic below runs on 0 instead (no branch)
    float x = nan ? 0.0f : in;
    x = x < -87.0f ? -87.0f : (x > 88.0f ? 88.0f : x);
    const float t = x * 1.44269504088896341f;
    const int32_t ni = int32_t(t + (t >= 0.0f ? 0.5f : -0.5f)); // nearest integer
    const float n = float(ni);
    const float r = (x - n * 0.693359375f) + n * 2.12194440e-4f;
    float p = 1.9875691500e-4f;
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    p = p * (r * r) + r + 1.0f;
    const float y = p * std::bit_cast<float>((ni + 127) << 23);
    return nan ? in : y;
}

// 1 / (1 + e^-x): no branch, so it vectorizes; saturates to 1 and to a tiny positive value.
inline float sigmoidf(float x) { return 1.0f / (1.0f + expFast(-x)); }

// tanh: Cephes' odd polynomial for |x| < 0.625 (where 1 - 2 / (e^2x + 1) would cancel), else that
// form; both computed and one selected, so it vectorizes. Within a few ulp of std::tanh.
inline float tanhFast(float x) {
    const float z = x * x;
    const float small = ((((-5.70498872745e-3f * z + 2.06390887954e-2f) * z - 5.37397155531e-2f) * z + 1.33314422036e-1f) * z -
                         3.33332819422e-1f) * z * x + x;
    const float large = 1.0f - 2.0f / (expFast(2.0f * x) + 1.0f);
    return (x < 0.625f && x > -0.625f) ? small : large;
}
inline float softplusf(float x) { return x > 0 ? x + std::log1p(std::exp(-x)) : std::log1p(std::exp(x)); }

} // namespace strata::cpu
