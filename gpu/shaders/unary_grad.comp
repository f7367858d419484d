#version 450
// dx = dy * f'(x) for the activation `op` (codes in activations.glsl).
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"
#include "activations.glsl"

layout(std430, binding = 0) readonly buffer X { float x[]; };
layout(std430, binding = 1) readonly buffer DY { float dy[]; };
layout(std430, binding = 2) writeonly buffer DX { float dx[]; };
layout(constant_id = 1) const uint OP = 0u; // the activation, a specialization constant: one branch-free loop
layout(push_constant) uniform P { uint n, op; float alpha, lo, hi, e; } p;

void main() {
    GRID_LOOP(i, p.n) dx[i] = dy[i] * unaryD(OP, x[i], p.alpha, p.lo, p.hi, p.e);
}
