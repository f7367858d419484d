#version 450
// The ImageTransform op and its adjoint, with the sampling rule of engine/ir/ImageGeometry.h and
// the taps of engine/cpu/ImageKernels.cpp. Forward (grad 0): one invocation per output element.
// Adjoint (grad 1): one invocation per (image, channel) plane, which zeroes its plane of dx and then
// adds every output pixel's taps into it in order: no two invocations write one element.
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"

layout(std430, binding = 0) readonly buffer X { float x[]; }; // x, or dy for the adjoint
layout(std430, binding = 1) readonly buffer T { float t[]; };
layout(std430, binding = 2) buffer Y { float y[]; };          // y, or dx for the adjoint
layout(push_constant) uniform P { uint n, h, w, c, interpolation, fillMode; float fillValue; uint grad; } p;

float mapCoordinate(float v, uint len, uint mode) {
    float n = float(len);
    if (mode == 0u) return v;
    if (mode == 2u) {
        if (len > 1u) {
            float r = v - 2.0 * n * floor(v / (2.0 * n));
            if (r >= n) r = 2.0 * n - 1.0 - r;
            v = r;
        } else {
            v = 0.0;
        }
    } else if (mode == 3u) {
        v = len > 1u ? v - n * floor(v / n) : 0.0;
    }
    return min(max(v, 0.0), n - 1.0);
}

int pixelIndex(float yy, float xx) {
    if (!(yy >= 0.0 && yy < float(p.h) && xx >= 0.0 && xx < float(p.w))) return -1;
    return int(yy) * int(p.w) + int(xx);
}

float roundHalfAway(float v) { return sign(v) * floor(abs(v) + 0.5); }

// The taps of output pixel (i, j) of image b: flat pixel indices (-1: the fill value) and weights.
int taps(uint b, uint i, uint j, out int at[4], out float wt[4]) {
    for (int k = 0; k < 4; ++k) at[k] = -1, wt[k] = 0.0;
    uint o = b * 8u;
    float fj = float(j), fi = float(i);
    float k = t[o + 6u] * fj + t[o + 7u] * fi + 1.0;
    if (k == 0.0) {
        wt[0] = 1.0;
        return 1;
    }
    float xx = mapCoordinate((t[o] * fj + t[o + 1u] * fi + t[o + 2u]) / k, p.w, p.fillMode);
    float yy = mapCoordinate((t[o + 3u] * fj + t[o + 4u] * fi + t[o + 5u]) / k, p.h, p.fillMode);
    if (p.interpolation == 0u) {
        at[0] = pixelIndex(roundHalfAway(yy), roundHalfAway(xx));
        wt[0] = 1.0;
        return 1;
    }
    float y0 = floor(yy), x0 = floor(xx), y1 = y0 + 1.0, x1 = x0 + 1.0;
    at[0] = pixelIndex(y0, x0), wt[0] = (y1 - yy) * (x1 - xx);
    at[1] = pixelIndex(y0, x1), wt[1] = (y1 - yy) * (xx - x0);
    at[2] = pixelIndex(y1, x0), wt[2] = (yy - y0) * (x1 - xx);
    at[3] = pixelIndex(y1, x1), wt[3] = (yy - y0) * (xx - x0);
    return 4;
}

void main() {
    uint plane = p.h * p.w;
    if (p.grad == 0u) {
        GRID_LOOP(e, p.n * plane * p.c) {
            uint ch = e % p.c, pix = e / p.c, b = pix / plane, i = (pix % plane) / p.w, j = pix % p.w;
            int at[4];
            float wt[4];
            int count = taps(b, i, j, at, wt);
            float v = 0.0;
            for (int k = 0; k < count; ++k) v += wt[k] * (at[k] >= 0 ? x[(b * plane + uint(at[k])) * p.c + ch] : p.fillValue);
            y[e] = v;
        }
        return;
    }
    GRID_LOOP(bc, p.n * p.c) {
        uint b = bc / p.c, ch = bc % p.c;
        for (uint q = 0u; q < plane; ++q) y[(b * plane + q) * p.c + ch] = 0.0;
        for (uint q = 0u; q < plane; ++q) {
            int at[4];
            float wt[4];
            int count = taps(b, q / p.w, q % p.w, at, wt);
            float g = x[(b * plane + q) * p.c + ch];
            for (int k = 0; k < count; ++k)
                if (at[k] >= 0) y[(b * plane + uint(at[k])) * p.c + ch] += wt[k] * g;
        }
    }
}
