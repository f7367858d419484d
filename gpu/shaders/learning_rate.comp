#version 450
// The learning-rate schedule of engine/ir/Schedule.h at step = iter (one invocation).
// kind 0 constant, 1 step_decay, 2 cosine_decay.
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"

layout(std430, binding = 0) readonly buffer I { uint iter[]; };
layout(std430, binding = 1) writeonly buffer Y { float lr[]; };
layout(push_constant) uniform P { uint kind, iterIsInt; float learningRate; int decaySteps; float decayRate, alpha; } p;

// cos(pi q) for q in [0, 1] as -sin(x), x = pi (q - 1/2) in [-pi/2, pi/2], by its Taylor series
// (x^17/17! < 2e-11): Vulkan only promises cos() to 2^-11 absolute. (pow() is avoided likewise:
// common.glsl powWhole.)
float cosPi(float q) {
    float x = 3.14159265358979 * (q - 0.5), x2 = x * x, s = 1.0;
    for (int k = 16; k >= 2; k -= 2) s = 1.0 - x2 * s / float(k * (k + 1));
    return -x * s;
}

void main() {
    if (gl_GlobalInvocationID.x != 0u) return;
    int step = scalarAsInt(iter[0], p.iterIsInt);
    float r = p.learningRate;
    if (p.kind == 1u) {
        int k = step / p.decaySteps; // truncation, as int64 division on the CPU
        r = p.learningRate * powWhole(p.decayRate, uint(max(k, 0)));
    } else if (p.kind == 2u) {
        float q = float(min(step, p.decaySteps)) / float(p.decaySteps);
        r = p.learningRate * ((1.0 - p.alpha) * 0.5 * (1.0 + cosPi(q)) + p.alpha);
    }
    lr[0] = r;
}
