#version 450
// The fused Adam/AdamW update of engine/cpu/TrainingKernels.cpp; outputs may alias inputs
// (in-place variable and slot updates). t = iter + 1.
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"

layout(std430, binding = 0) readonly buffer W { float w[]; };
layout(std430, binding = 1) readonly buffer G { float g[]; };
layout(std430, binding = 2) readonly buffer M { float m[]; };
layout(std430, binding = 3) readonly buffer V { float v[]; };
layout(std430, binding = 4) readonly buffer LR { float lr[]; };
layout(std430, binding = 5) readonly buffer IT { uint iter[]; };
layout(std430, binding = 6) writeonly buffer WO { float wOut[]; };
layout(std430, binding = 7) writeonly buffer MO { float mOut[]; };
layout(std430, binding = 8) writeonly buffer VO { float vOut[]; };
layout(push_constant) uniform P { uint n, iterIsInt; float beta1, beta2, epsilon, weightDecay; } p;

// 1 - b^t for b in [0, 1] and a whole t >= 1, to a few float ulps on any Vulkan device. Vulkan's
// log and exp are only 2^-21 accurate (absolute) near 1, so -expm1(t log1p(b - 1)) built on them was
// off by up to 1e-4 relative for beta_2 = 0.999 (tst_vulkan_training
// adamBiasCorrectionMatchesCpuAtEveryStep); here the parts that cancel are series in float.
float oneMinusPow(float b, float t) {
    float c = 1.0 - b; // exact for b >= 0.5 (Sterbenz)
    if (c >= 0.25) return 1.0 - powWhole(b, uint(t)); // b^t <= 0.75: nothing cancels
    // s = -log1p(-c) / c = 1 + c/2 + c^2/3 + ...; 15 terms: 0.25^15 / 16 < 1e-10
    float s = 0.0;
    for (int k = 15; k >= 1; --k) s = 1.0 / float(k) + c * s;
    float y = -t * c * s; // t log(b) <= 0
    if (y < -0.5) return 1.0 - exp(y); // b^t < 0.61: exp's error is a few ulps of b^t, no cancellation
    // -expm1(y) = -y (1 + y/2 (1 + y/3 (1 + ...))) for |y| <= 0.5; 12 terms: 0.5^12 / 13! < 1e-13
    float q = 1.0;
    for (int k = 13; k >= 2; --k) q = 1.0 + y * q / float(k);
    return -y * q;
}

void main() {
    float t = float(scalarAsInt(iter[0], p.iterIsInt) + 1);
    float rate = lr[0];
    float decay = 1.0 - rate * p.weightDecay;
    float stepSize = rate / oneMinusPow(p.beta1, t);
    float invSqrtBc2 = 1.0 / sqrt(oneMinusPow(p.beta2, t));
    float c1 = 1.0 - p.beta1, c2 = 1.0 - p.beta2;
    GRID_LOOP(i, p.n) {
        float gi = g[i];
        float mi = p.beta1 * m[i] + c1 * gi;
        float vi = p.beta2 * v[i] + c2 * gi * gi;
        float wi = w[i];
        mOut[i] = mi;
        vOut[i] = vi;
        wOut[i] = wi * decay - stepSize * mi / (sqrt(vi) * invSqrtBc2 + p.epsilon);
    }
}
