#version 450
// The adjoint of im2col as a gather, one invocation per input element: dx sums the col entries
// that read it. V4 (channels a multiple of 4): four channels per invocation as one vec4.
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"
#include "window.glsl"

layout(constant_id = 1) const uint V4 = 0u;
layout(std430, binding = 0) readonly buffer Col { float col[]; };
layout(std430, binding = 0) readonly buffer Col4 { vec4 col4[]; };
layout(std430, binding = 1) writeonly buffer X { float dx[]; };
layout(std430, binding = 1) writeonly buffer X4 { vec4 dx4[]; };

void main() {
    uint C = V4 != 0u ? p.inC / 4u : p.inC; // channel groups
    uint K = p.kH * p.kW * C;
    GRID_LOOP(i, p.n * p.inH * p.inW * C) {
        uint c = i % C, rest = i / C;
        int iw = int(rest % p.inW); rest /= p.inW;
        int ih = int(rest % p.inH);
        uint img = rest / p.inH;
        vec4 acc = vec4(0.0);
        for (int kh = 0; kh < int(p.kH); ++kh) {
            int th = ih + p.padTop - kh * p.dilationH;
            if (th < 0 || th % p.strideH != 0) continue;
            int oh = th / p.strideH;
            if (oh >= int(p.outH)) continue;
            for (int kw = 0; kw < int(p.kW); ++kw) {
                int tw = iw + p.padLeft - kw * p.dilationW;
                if (tw < 0 || tw % p.strideW != 0) continue;
                int ow = tw / p.strideW;
                if (ow >= int(p.outW)) continue;
                uint at = ((img * p.outH + uint(oh)) * p.outW + uint(ow)) * K + (uint(kh) * p.kW + uint(kw)) * C + c;
                if (V4 != 0u)
                    acc += col4[at];
                else
                    acc.x += col[at];
            }
        }
        if (V4 != 0u)
            dx4[i] = acc;
        else
            dx[i] = acc.x;
    }
}
