#version 450
// Pooling forward, one invocation per output element. mode 0 max, 1 average; windows are
// clipped to the input (padding never contributes; the average divides by the valid count).
// V4 (channels a multiple of 4): four channels per invocation as one vec4.
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"
#include "window.glsl"

layout(constant_id = 1) const uint V4 = 0u;
layout(std430, binding = 0) readonly buffer X { float x[]; };
layout(std430, binding = 0) readonly buffer X4 { vec4 x4[]; };
layout(std430, binding = 1) writeonly buffer Y { float y[]; };
layout(std430, binding = 1) writeonly buffer Y4 { vec4 y4[]; };

void main() {
    uint C = V4 != 0u ? p.inC / 4u : p.inC; // channel groups
    GRID_LOOP(i, p.n * p.outH * p.outW * C) {
        uint c = i % C, rest = i / C;
        int ow = int(rest % p.outW); rest /= p.outW;
        int oh = int(rest % p.outH);
        uint img = rest / p.outH;
        int h0 = max(oh * p.strideH - p.padTop, 0), h1 = min(oh * p.strideH - p.padTop + int(p.kH), int(p.inH));
        int w0 = max(ow * p.strideW - p.padLeft, 0), w1 = min(ow * p.strideW - p.padLeft + int(p.kW), int(p.inW));
        vec4 acc = vec4(p.mode == 0u ? uintBitsToFloat(0xff800000u) : 0.0);
        for (int ih = h0; ih < h1; ++ih)
            for (int iw = w0; iw < w1; ++iw) {
                uint at = ((img * p.inH + uint(ih)) * p.inW + uint(iw)) * C + c;
                vec4 v = V4 != 0u ? x4[at] : vec4(x[at]);
                acc = p.mode == 0u ? max(acc, v) : acc + v;
            }
        if (p.mode != 0u) acc *= 1.0 / float(max((h1 - h0) * (w1 - w0), 1));
        if (V4 != 0u)
            y4[i] = acc;
        else
            y[i] = acc.x;
    }
}
