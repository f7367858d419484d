#version 450
// int32 labels [n] -> float [n, depth].
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"

layout(std430, binding = 0) readonly buffer L { int labels[]; };
layout(std430, binding = 1) writeonly buffer Y { float y[]; };
#define STATUS_BINDING 2
#include "status.glsl"
layout(push_constant) uniform P { uint n, depth; } p;

void main() {
    GRID_LOOP(i, p.n * p.depth) {
        uint row = i / p.depth, c = i % p.depth;
        int label = labels[row];
        if (c == 0u) checkLabel(label, p.depth, row);
        y[i] = label == int(c) ? 1.0 : 0.0;
    }
}
