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

// 1 - b^t without cancellation: -expm1(t * log1p(b - 1)).
float oneMinusPow(float b, float t) { return -expm1f(t * log1pf(b - 1.0)); }

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
