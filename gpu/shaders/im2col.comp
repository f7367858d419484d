#version 450
// col[(img, oh, ow), (kh, kw, c)] of an NHWC input; zeros where the window leaves the image.
// V4 (channels a multiple of 4): one invocation moves four channels as one vec4 (16-byte loads
// and stores, a quarter of the index arithmetic), the usual layout for NHWC on GPUs.
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"
#include "window.glsl"

layout(constant_id = 1) const uint V4 = 0u;
layout(std430, binding = 0) readonly buffer X { float x[]; };
layout(std430, binding = 0) readonly buffer X4 { vec4 x4[]; };
layout(std430, binding = 1) writeonly buffer C { float col[]; };
layout(std430, binding = 1) writeonly buffer C4 { vec4 col4[]; };

void main() {
    uint C = V4 != 0u ? p.inC / 4u : p.inC; // channel groups
    uint K = p.kH * p.kW * C;
    GRID_LOOP(i, p.n * p.outH * p.outW * K) {
        uint k = i % K, row = i / K;
        uint c = k % C, kk = k / C;
        int kw = int(kk % p.kW), kh = int(kk / p.kW);
        int ow = int(row % p.outW);
        uint rest = row / p.outW;
        int oh = int(rest % p.outH);
        uint img = rest / p.outH;
        int ih = oh * p.strideH - p.padTop + kh * p.dilationH;
        int iw = ow * p.strideW - p.padLeft + kw * p.dilationW;
        bool inside = ih >= 0 && ih < int(p.inH) && iw >= 0 && iw < int(p.inW);
        uint at = ((img * p.inH + uint(ih)) * p.inW + uint(iw)) * C + c;
        if (V4 != 0u)
            col4[i] = inside ? x4[at] : vec4(0.0);
        else
            col[i] = inside ? x[at] : 0.0;
    }
}
