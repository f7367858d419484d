#version 450
// Pooling backward as a gather, one invocation per input element (no atomics): it sums dy over
// the output windows that contain it. mode 0 max (only where it is the window's first maximum,
// as the CPU), 1 average. V4 (channels a multiple of 4): four channels per invocation, each
// lane of the vec4 tracking its own channel's maximum.
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"
#include "window.glsl"

layout(constant_id = 1) const uint V4 = 0u;
layout(std430, binding = 0) readonly buffer X { float x[]; };
layout(std430, binding = 0) readonly buffer X4 { vec4 x4[]; };
layout(std430, binding = 1) readonly buffer DY { float dy[]; };
layout(std430, binding = 1) readonly buffer DY4 { vec4 dy4[]; };
layout(std430, binding = 2) writeonly buffer DX { float dx[]; };
layout(std430, binding = 2) writeonly buffer DX4 { vec4 dx4[]; };

vec4 loadX(uint at) { return V4 != 0u ? x4[at] : vec4(x[at]); }
vec4 loadDy(uint at) { return V4 != 0u ? dy4[at] : vec4(dy[at]); }

void main() {
    uint C = V4 != 0u ? p.inC / 4u : p.inC; // channel groups
    GRID_LOOP(i, p.n * p.inH * p.inW * C) {
        uint c = i % C, rest = i / C;
        int iw = int(rest % p.inW); rest /= p.inW;
        int ih = int(rest % p.inH);
        uint img = rest / p.inH;
        // Windows oh with oh*s - pad <= ih < oh*s - pad + k.
        int ohLo = max((ih + p.padTop - int(p.kH) + p.strideH) / p.strideH, 0);
        int ohHi = min((ih + p.padTop) / p.strideH, int(p.outH) - 1);
        int owLo = max((iw + p.padLeft - int(p.kW) + p.strideW) / p.strideW, 0);
        int owHi = min((iw + p.padLeft) / p.strideW, int(p.outW) - 1);
        uint self = (img * p.inH + uint(ih)) * p.inW + uint(iw); // this pixel
        vec4 acc = vec4(0.0);
        for (int oh = ohLo; oh <= ohHi; ++oh)
            for (int ow = owLo; ow <= owHi; ++ow) {
                int h0 = max(oh * p.strideH - p.padTop, 0), h1 = min(oh * p.strideH - p.padTop + int(p.kH), int(p.inH));
                int w0 = max(ow * p.strideW - p.padLeft, 0), w1 = min(ow * p.strideW - p.padLeft + int(p.kW), int(p.inW));
                if (ih < h0 || ih >= h1 || iw < w0 || iw >= w1) continue;
                vec4 g = loadDy(((img * p.outH + uint(oh)) * p.outW + uint(ow)) * C + c);
                if (p.mode != 0u) {
                    acc += g / float(max((h1 - h0) * (w1 - w0), 1));
                    continue;
                }
                // Per channel: the pixel of the window's first maximum (row-major scan).
                uvec4 bestAt = uvec4(0xffffffffu);
                vec4 best = vec4(0.0);
                for (int h = h0; h < h1; ++h)
                    for (int w = w0; w < w1; ++w) {
                        uint pix = (img * p.inH + uint(h)) * p.inW + uint(w);
                        vec4 v = loadX(pix * C + c);
                        bvec4 take = bvec4(uvec4(greaterThan(v, best)) | uvec4(equal(bestAt, uvec4(0xffffffffu))));
                        best = mix(best, v, take);
                        bestAt = mix(bestAt, uvec4(pix), take);
                    }
                acc += mix(vec4(0.0), g, equal(bestAt, uvec4(self)));
            }
        if (V4 != 0u)
            dx4[i] = acc;
        else
            dx[i] = acc.x;
    }
}
