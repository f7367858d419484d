#version 450
// Sum (times `scale`, for a mean) over the reduced dims. The input is described as up to four
// kept runs and four reduced runs of dims with their element strides; one invocation per output.
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"

layout(std430, binding = 0) readonly buffer X { float x[]; };
layout(std430, binding = 1) writeonly buffer Y { float y[]; };
layout(push_constant) uniform P {
    uint nOut, keptRank, redRank, redCount;
    uint keptDims[4]; uint keptStrides[4]; uint redDims[4]; uint redStrides[4];
    float scale;
} p;

void main() {
    GRID_LOOP(o, p.nOut) {
        uint rem = o, base = 0u;
        for (int d = int(p.keptRank) - 1; d >= 0; --d) {
            base += (rem % p.keptDims[d]) * p.keptStrides[d];
            rem /= p.keptDims[d];
        }
        float sum = 0.0;
        for (uint k = 0u; k < p.redCount; ++k) {
            uint r = k, off = base;
            for (int d = int(p.redRank) - 1; d >= 0; --d) {
                off += (r % p.redDims[d]) * p.redStrides[d];
                r /= p.redDims[d];
            }
            sum += x[off];
        }
        y[o] = sum * p.scale;
    }
}
