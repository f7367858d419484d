#version 450
// y = f(x) for the activation `op` (codes in activations.glsl).
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"
#include "activations.glsl"

layout(std430, binding = 0) readonly buffer X { float x[]; };
layout(std430, binding = 1) writeonly buffer Y { float y[]; };
layout(push_constant) uniform P { uint n, op; float alpha, lo, hi, e; } p;

void main() {
    GRID_LOOP(i, p.n) y[i] = unaryF(p.op, x[i], p.alpha, p.lo, p.hi, p.e);
}
