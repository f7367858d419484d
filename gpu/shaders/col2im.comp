#version 450
// The adjoint of im2col as a gather, one invocation per input element: dx sums the col entries
// that read it.
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"
#include "window.glsl"

layout(std430, binding = 0) readonly buffer C { float col[]; };
layout(std430, binding = 1) writeonly buffer X { float dx[]; };

void main() {
    uint K = p.kH * p.kW * p.inC;
    GRID_LOOP(i, p.n * p.inH * p.inW * p.inC) {
        uint c = i % p.inC, rest = i / p.inC;
        int iw = int(rest % p.inW); rest /= p.inW;
        int ih = int(rest % p.inH);
        uint img = rest / p.inH;
        float acc = 0.0;
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
                acc += col[((img * p.outH + uint(oh)) * p.outW + uint(ow)) * K + (uint(kh) * p.kW + uint(kw)) * p.inC + c];
            }
        }
        dx[i] = acc;
    }
}
