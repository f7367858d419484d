#version 450
// out[i] = x[offset(i)] where out has dims `dims` and x strides (permuted) `strides`.
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"

layout(std430, binding = 0) readonly buffer X { uint x[]; };
layout(std430, binding = 1) writeonly buffer Y { uint y[]; };
layout(push_constant) uniform P { uint n, rank; uint dims[8]; uint strides[8]; } p;

void main() {
    GRID_LOOP(i, p.n) {
        uint rem = i, off = 0u;
        for (int d = int(p.rank) - 1; d >= 0; --d) {
            off += (rem % p.dims[d]) * p.strides[d];
            rem /= p.dims[d];
        }
        y[i] = x[off];
    }
}
