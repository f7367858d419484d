// The unary activations and their derivatives, with the codes of OpKind Neg..Clip in order:
// 0 neg, 1 exp, 2 log, 3 sqrt, 4 square, 5 pow, 6 abs, 7 relu, 8 sigmoid, 9 tanh, 10 elu, 11 selu,
// 12 softplus, 13 softsign, 14 swish, 15 gelu, 16 leaky_relu, 17 clip, then HardSigmoid..ThresholdedRelu:
// 18 hard_sigmoid, 19 hard_silu, 20 mish, 21 gelu_tanh, 22 thresholded_relu, 23 sin, 24 cos, 25 floor
// (ir::unaryActivationCode). sin and cos are sinCosf's polynomials, not the driver's (whose error
// the Vulkan spec leaves at 2^-11), so rotations sample where the CPU's std::sin/cos do.
// Same formulas as engine/cpu/ElementwiseKernels.cpp (Keras definitions, PyTorch's derivatives).
const float kSeluAlpha = 1.67326324;
const float kSeluScale = 1.05070098;

float sigmoidf(float x) {
    if (x >= 0.0) return 1.0 / (1.0 + exp(-x));
    float e = exp(x);
    return e / (1.0 + e);
}
float softplusf(float x) { return x > 0.0 ? x + log1pf(exp(-x)) : log1pf(exp(x)); }
float tanhf(float x) { // tanh() of large arguments overflows inside some drivers
    float c = clamp(x, -15.0, 15.0);
    return tanh(c);
}
// erfc with fractional error below 1.2e-7 everywhere (Numerical Recipes erfcc), so the gelu
// tail keeps its relative accuracy.
float erfcf(float x) {
    float z = abs(x);
    float t = 1.0 / (1.0 + 0.5 * z);
    float r = t * exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 +
              t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
    return x >= 0.0 ? r : 2.0 - r;
}
float geluf(float x) { return 0.5 * x * erfcf(-x * 0.70710678118654752); }
float geluGrad(float x) {
    float cdf = 0.5 * erfcf(-x * 0.70710678118654752);
    return cdf + x * exp(-0.5 * x * x) * 0.39894228040143268;
}
const float kGeluK = 0.7978845608028654;
const float kGeluC = 0.044715;
float hardSigmoidf(float x) { return clamp(x + 3.0, 0.0, 6.0) * (1.0 / 6.0); }
float mishGrad(float x) {
    float t = tanhf(softplusf(x));
    return t + x * (1.0 - t * t) * sigmoidf(x);
}
float geluTanhf(float x) { return 0.5 * x * (1.0 + tanhf(kGeluK * (x + kGeluC * x * x * x))); }
float geluTanhGrad(float x) {
    float t = tanhf(kGeluK * (x + kGeluC * x * x * x));
    return 0.5 * (1.0 + t) + 0.5 * x * (1.0 - t * t) * kGeluK * (1.0 + 3.0 * kGeluC * x * x);
}
float powf(float v, float e) {
    if (e == -0.5) return 1.0 / sqrt(v);
    if (e == floor(e)) { // integer exponents: defined for negative bases, as std::pow
        float r = pow(abs(v), e);
        return (v < 0.0 && mod(e, 2.0) == 1.0) ? -r : r;
    }
    if (v == 0.0) return e > 0.0 ? 0.0 : uintBitsToFloat(0x7f800000u);
    return v < 0.0 ? uintBitsToFloat(0x7fc00000u) : pow(v, e);
}

// (sin v, cos v) to about 1 ulp for |v| up to a few thousand: Cody-Waite reduction by pi/2, then
// Cephes' sinf/cosf polynomials on [-pi/4, pi/4].
vec2 sinCosf(float v) {
    float j = floor(v * 0.63661977236758134 + 0.5);
    float y = ((v - j * 1.5703125) - j * 4.837512969970703125e-4) - j * 7.54978995489188216e-8;
    float z = y * y;
    float s = y + y * z * (-1.6666654611e-1 + z * (8.3321608736e-3 + z * -1.9515295891e-4));
    float c = 1.0 - 0.5 * z + z * z * (4.166664568298827e-2 + z * (-1.388731625493765e-3 + z * 2.443315711809948e-5));
    int q = int(j) & 3;
    if (q == 0) return vec2(s, c);
    if (q == 1) return vec2(c, -s);
    if (q == 2) return vec2(-s, -c);
    return vec2(-c, s);
}

float unaryF(uint op, float v, float alpha, float lo, float hi, float e) {
    switch (op) {
    case 0u: return -v;
    case 1u: return exp(v);
    case 2u: return log(v);
    case 3u: return sqrt(v);
    case 4u: return v * v;
    case 5u: return powf(v, e);
    case 6u: return abs(v);
    case 7u: return v < 0.0 ? 0.0 : v;
    case 8u: return sigmoidf(v);
    case 9u: return tanhf(v);
    case 10u: return v > 0.0 ? v : alpha * expm1f(v);
    case 11u: return kSeluScale * (v > 0.0 ? v : kSeluAlpha * expm1f(v));
    case 12u: return softplusf(v);
    case 13u: return v / (1.0 + abs(v));
    case 14u: return v * sigmoidf(v);
    case 15u: return geluf(v);
    case 16u: return v < 0.0 ? alpha * v : v;
    case 17u: return min(max(v, lo), hi);
    case 18u: return hardSigmoidf(v);
    case 19u: return v * hardSigmoidf(v);
    case 20u: return v * tanhf(softplusf(v));
    case 21u: return geluTanhf(v);
    case 23u: return sinCosf(v).x;
    case 24u: return sinCosf(v).y;
    case 25u: return floor(v);
    default: return v > alpha ? v : 0.0;
    }
}

// f'(v), so that dx = dy * f'(v).
float unaryD(uint op, float v, float alpha, float lo, float hi, float e) {
    switch (op) {
    case 0u: return -1.0;
    case 1u: return exp(v);
    case 2u: return 1.0 / v;
    case 3u: return 0.5 / sqrt(v);
    case 4u: return 2.0 * v;
    case 5u: return e * powf(v, e - 1.0);
    case 6u: return v > 0.0 ? 1.0 : (v < 0.0 ? -1.0 : 0.0);
    case 7u: return v > 0.0 ? 1.0 : 0.0;
    case 8u: { float s = sigmoidf(v); return s * (1.0 - s); }
    case 9u: { float t = tanhf(v); return 1.0 - t * t; }
    case 10u: return v > 0.0 ? 1.0 : alpha * exp(v);
    case 11u: return kSeluScale * (v > 0.0 ? 1.0 : kSeluAlpha * exp(v));
    case 12u: return sigmoidf(v);
    case 13u: { float d = 1.0 + abs(v); return 1.0 / (d * d); }
    case 14u: { float s = sigmoidf(v); return s + v * s * (1.0 - s); }
    case 15u: return geluGrad(v);
    case 16u: return v > 0.0 ? 1.0 : alpha;
    case 17u: return (v >= lo && v <= hi) ? 1.0 : 0.0;
    case 18u: return (v > -3.0 && v < 3.0) ? 1.0 / 6.0 : 0.0;
    case 19u: return v < -3.0 ? 0.0 : (v <= 3.0 ? v * (1.0 / 3.0) + 0.5 : 1.0);
    case 20u: return mishGrad(v);
    case 21u: return geluTanhGrad(v);
    case 23u: return sinCosf(v).y;
    case 24u: return -sinCosf(v).x;
    case 25u: return 0.0;
    default: return v > alpha ? 1.0 : 0.0;
    }
}
