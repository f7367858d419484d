#version 450
// Strided block copy for concat and slice: for row o < outer and j < chunk,
// dst[dstOffset + o*dstRow + j] = src[srcOffset + o*srcRow + j].
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"

layout(std430, binding = 0) readonly buffer S { uint src[]; };
layout(std430, binding = 1) writeonly buffer D { uint dst[]; };
layout(push_constant) uniform P { uint outer, chunk, srcRow, srcOffset, dstRow, dstOffset; } p;

void main() {
    GRID_LOOP(i, p.outer * p.chunk) {
        uint o = i / p.chunk, j = i % p.chunk;
        dst[p.dstOffset + o * p.dstRow + j] = src[p.srcOffset + o * p.srcRow + j];
    }
}
