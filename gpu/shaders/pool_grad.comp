#version 450
// Pooling backward as a gather, one invocation per input element (no atomics): it sums dy over
// the output windows that contain it. mode 0 max (only where it is the window's first maximum,
// as the CPU), 1 average.
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"
#include "window.glsl"

layout(std430, binding = 0) readonly buffer X { float x[]; };
layout(std430, binding = 1) readonly buffer DY { float dy[]; };
layout(std430, binding = 2) writeonly buffer DX { float dx[]; };

void main() {
    GRID_LOOP(i, p.n * p.inH * p.inW * p.inC) {
        uint c = i % p.inC, rest = i / p.inC;
        int iw = int(rest % p.inW); rest /= p.inW;
        int ih = int(rest % p.inH);
        uint img = rest / p.inH;
        // Windows oh with oh*s - pad <= ih < oh*s - pad + k.
        int ohLo = max((ih + p.padTop - int(p.kH) + p.strideH) / p.strideH, 0);
        int ohHi = min((ih + p.padTop) / p.strideH, int(p.outH) - 1);
        int owLo = max((iw + p.padLeft - int(p.kW) + p.strideW) / p.strideW, 0);
        int owHi = min((iw + p.padLeft) / p.strideW, int(p.outW) - 1);
        float acc = 0.0;
        for (int oh = ohLo; oh <= ohHi; ++oh)
            for (int ow = owLo; ow <= owHi; ++ow) {
                int h0 = max(oh * p.strideH - p.padTop, 0), h1 = min(oh * p.strideH - p.padTop + int(p.kH), int(p.inH));
                int w0 = max(ow * p.strideW - p.padLeft, 0), w1 = min(ow * p.strideW - p.padLeft + int(p.kW), int(p.inW));
                if (ih < h0 || ih >= h1 || iw < w0 || iw >= w1) continue;
                float g = dy[((img * p.outH + uint(oh)) * p.outW + uint(ow)) * p.inC + c];
                if (p.mode != 0u) {
                    acc += g / float(max((h1 - h0) * (w1 - w0), 1));
                    continue;
                }
                int bestH = -1, bestW = -1;
                float best = 0.0;
                for (int h = h0; h < h1; ++h)
                    for (int w = w0; w < w1; ++w) {
                        float v = x[((img * p.inH + uint(h)) * p.inW + uint(w)) * p.inC + c];
                        if (bestH < 0 || v > best) bestH = h, bestW = w, best = v;
                    }
                if (bestH == ih && bestW == iw) acc += g;
            }
        dx[i] = acc;
    }
}
