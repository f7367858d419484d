#version 450
// The learning-rate schedule of engine/ir/Schedule.h at step = iter (one invocation).
// kind 0 constant, 1 step_decay, 2 cosine_decay.
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"

layout(std430, binding = 0) readonly buffer I { uint iter[]; };
layout(std430, binding = 1) writeonly buffer Y { float lr[]; };
layout(push_constant) uniform P { uint kind, iterIsInt; float learningRate; int decaySteps; float decayRate, alpha; } p;

void main() {
    if (gl_GlobalInvocationID.x != 0u) return;
    int step = scalarAsInt(iter[0], p.iterIsInt);
    float r = p.learningRate;
    if (p.kind == 1u) {
        int k = step / p.decaySteps; // truncation, as int64 division on the CPU
        r = p.learningRate * pow(p.decayRate, float(k));
    } else if (p.kind == 2u) {
        float q = float(min(step, p.decaySteps)) / float(p.decaySteps);
        r = p.learningRate * ((1.0 - p.alpha) * 0.5 * (1.0 + cos(3.14159265358979 * q)) + p.alpha);
    }
    lr[0] = r;
}
