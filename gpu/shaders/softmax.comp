#version 450
// Softmax or log-softmax over rows of `cols` elements, one invocation per row (rows are the
// classes of a batch: short).
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"

layout(std430, binding = 0) readonly buffer X { float x[]; };
layout(std430, binding = 1) writeonly buffer Y { float y[]; };
layout(push_constant) uniform P { uint rows, cols, logSoftmax; } p;

void main() {
    GRID_LOOP(r, p.rows) {
        uint base = r * p.cols;
        float mx = uintBitsToFloat(0xff800000u);
        for (uint j = 0u; j < p.cols; ++j) mx = max(mx, x[base + j]);
        float sum = 0.0;
        for (uint j = 0u; j < p.cols; ++j) sum += exp(x[base + j] - mx);
        if (p.logSoftmax != 0u) {
            float lse = mx + log(sum);
            for (uint j = 0u; j < p.cols; ++j) y[base + j] = x[base + j] - lse;
        } else {
            float inv = 1.0 / sum;
            for (uint j = 0u; j < p.cols; ++j) y[base + j] = exp(x[base + j] - mx) * inv;
        }
    }
}
