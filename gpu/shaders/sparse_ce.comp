#version 450
// Fused softmax cross-entropy with int32 labels, one invocation per row.
// grad 0: loss[r] = logsumexp(x[r]) - x[r][label]; grad 1: dx[r] = (softmax(x[r]) - onehot) * dloss[r].
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"

layout(std430, binding = 0) readonly buffer X { float x[]; };
layout(std430, binding = 1) readonly buffer L { int labels[]; };
layout(std430, binding = 2) readonly buffer D { float dloss[]; };
layout(std430, binding = 3) writeonly buffer Y { float y[]; };
#define STATUS_BINDING 4
#include "status.glsl"
layout(push_constant) uniform P { uint rows, cols, grad; } p;

void main() {
    GRID_LOOP(r, p.rows) {
        uint base = r * p.cols;
        int label = labels[r];
        bool ok = checkLabel(label, p.cols, r);
        float mx = uintBitsToFloat(0xff800000u);
        for (uint j = 0u; j < p.cols; ++j) mx = max(mx, x[base + j]);
        float sum = 0.0;
        for (uint j = 0u; j < p.cols; ++j) sum += exp(x[base + j] - mx);
        float lse = mx + log(sum);
        if (p.grad == 0u) {
            y[r] = ok ? lse - x[base + uint(label)] : 0.0;
        } else {
            float g = dloss[r];
            for (uint j = 0u; j < p.cols; ++j)
                y[base + j] = exp(x[base + j] - lse) * g - ((ok && int(j) == label) ? g : 0.0);
        }
    }
}
