#version 450
// y = f(x) for the activation `op` (codes in activations.glsl).
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"
#include "activations.glsl"

layout(std430, binding = 0) readonly buffer X { float x[]; };
layout(std430, binding = 1) writeonly buffer Y { float y[]; };
layout(constant_id = 1) const uint OP = 0u; // the activation, a specialization constant: one branch-free loop
layout(push_constant) uniform P { uint n, op; float alpha, lo, hi, e; } p;

void main() {
    GRID_LOOP(i, p.n) y[i] = unaryF(OP, x[i], p.alpha, p.lo, p.hi, p.e);
}
