#version 450
// Grouped and depthwise 2-D convolutions, direct (no im2col): Window2D geometry in the push
// constants, with `mode` holding the number of groups G. The filter is HWIO with I = inC / G
// (cinG); output channel o belongs to group o / coutG (coutG = outC / G) and reads its input
// channels g * cinG .. g * cinG + cinG - 1. One invocation per element of the result:
//   OP 0 forward          a = x,  b = w,  out = y  [n, outH, outW, outC]   (+ bias[o] when BIAS)
//   OP 1 backprop input   a = dy, b = w,  out = dx [n, inH, inW, inC]      (a gather, no atomics)
//   OP 2 backprop filter  a = x,  b = dy, out = dw [kH, kW, cinG, outC]
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"
#include "window.glsl"

layout(constant_id = 1) const uint OP = 0u;
layout(constant_id = 2) const uint BIAS = 0u;
layout(std430, binding = 0) readonly buffer A { float a[]; };
layout(std430, binding = 1) readonly buffer B { float b[]; };
layout(std430, binding = 2) writeonly buffer Out { float result[]; };
layout(std430, binding = 3) readonly buffer Bias { float bias[]; };

void main() {
    uint G = p.mode, cinG = p.inC / G, coutG = p.outC / G;
    if (OP == 0u) {
        GRID_LOOP(i, p.n * p.outH * p.outW * p.outC) {
            uint o = i % p.outC, rest = i / p.outC;
            int ow = int(rest % p.outW); rest /= p.outW;
            int oh = int(rest % p.outH);
            uint img = rest / p.outH, c0 = (o / coutG) * cinG;
            float acc = 0.0;
            for (uint kh = 0u; kh < p.kH; ++kh) {
                int ih = oh * p.strideH - p.padTop + int(kh) * p.dilationH;
                if (ih < 0 || ih >= int(p.inH)) continue;
                for (uint kw = 0u; kw < p.kW; ++kw) {
                    int iw = ow * p.strideW - p.padLeft + int(kw) * p.dilationW;
                    if (iw < 0 || iw >= int(p.inW)) continue;
                    uint xAt = ((img * p.inH + uint(ih)) * p.inW + uint(iw)) * p.inC + c0;
                    uint wAt = (kh * p.kW + kw) * cinG * p.outC + o;
                    for (uint ci = 0u; ci < cinG; ++ci) acc += a[xAt + ci] * b[wAt + ci * p.outC];
                }
            }
            result[i] = BIAS != 0u ? acc + bias[o] : acc;
        }
    } else if (OP == 1u) {
        GRID_LOOP(i, p.n * p.inH * p.inW * p.inC) {
            uint c = i % p.inC, rest = i / p.inC;
            int iw = int(rest % p.inW); rest /= p.inW;
            int ih = int(rest % p.inH);
            uint img = rest / p.inH, g = c / cinG, ci = c % cinG;
            float acc = 0.0;
            for (uint kh = 0u; kh < p.kH; ++kh) {
                int th = ih + p.padTop - int(kh) * p.dilationH; // = oh * strideH
                if (th < 0 || th % p.strideH != 0 || th / p.strideH >= int(p.outH)) continue;
                for (uint kw = 0u; kw < p.kW; ++kw) {
                    int tw = iw + p.padLeft - int(kw) * p.dilationW;
                    if (tw < 0 || tw % p.strideW != 0 || tw / p.strideW >= int(p.outW)) continue;
                    uint dyAt = ((img * p.outH + uint(th / p.strideH)) * p.outW + uint(tw / p.strideW)) * p.outC + g * coutG;
                    uint wAt = ((kh * p.kW + kw) * cinG + ci) * p.outC + g * coutG;
                    for (uint m = 0u; m < coutG; ++m) acc += a[dyAt + m] * b[wAt + m];
                }
            }
            result[i] = acc;
        }
    } else {
        GRID_LOOP(i, p.kH * p.kW * cinG * p.outC) {
            uint o = i % p.outC, rest = i / p.outC;
            uint ci = rest % cinG; rest /= cinG;
            int kw = int(rest % p.kW);
            int kh = int(rest / p.kW);
            uint c = (o / coutG) * cinG + ci;
            float acc = 0.0;
            for (uint img = 0u; img < p.n; ++img)
                for (uint oh = 0u; oh < p.outH; ++oh) {
                    int ih = int(oh) * p.strideH - p.padTop + kh * p.dilationH;
                    if (ih < 0 || ih >= int(p.inH)) continue;
                    for (uint ow = 0u; ow < p.outW; ++ow) {
                        int iw = int(ow) * p.strideW - p.padLeft + kw * p.dilationW;
                        if (iw < 0 || iw >= int(p.inW)) continue;
                        acc += a[((img * p.inH + uint(ih)) * p.inW + uint(iw)) * p.inC + c] *
                               b[((img * p.outH + oh) * p.outW + ow) * p.outC + o];
                    }
                }
            result[i] = acc;
        }
    }
}
