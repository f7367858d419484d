#version 450
// col[(img, oh, ow), (kh, kw, c)] of an NHWC input; zeros where the window leaves the image.
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"
#include "window.glsl"

layout(std430, binding = 0) readonly buffer X { float x[]; };
layout(std430, binding = 1) writeonly buffer C { float col[]; };

void main() {
    uint K = p.kH * p.kW * p.inC;
    GRID_LOOP(i, p.n * p.outH * p.outW * K) {
        uint k = i % K, row = i / K;
        uint c = k % p.inC, kk = k / p.inC;
        int kw = int(kk % p.kW), kh = int(kk / p.kW);
        int ow = int(row % p.outW);
        uint rest = row / p.outW;
        int oh = int(rest % p.outH);
        uint img = rest / p.outH;
        int ih = oh * p.strideH - p.padTop + kh * p.dilationH;
        int iw = ow * p.strideW - p.padLeft + kw * p.dilationW;
        bool inside = ih >= 0 && ih < int(p.inH) && iw >= 0 && iw < int(p.inW);
        col[i] = inside ? x[((img * p.inH + uint(ih)) * p.inW + uint(iw)) * p.inC + c] : 0.0;
    }
}
