#version 450
// Inverted dropout with the Philox4x32-10 mask of engine/ir/Philox.h: one invocation per block
// of four elements, bit for bit the CPU mask.
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"

layout(std430, binding = 0) readonly buffer X { float x[]; };
layout(std430, binding = 1) readonly buffer S { uint step[]; };
layout(std430, binding = 2) writeonly buffer Y { float y[]; };
layout(push_constant) uniform P { uint n; float rate; uint seedLo, seedHi, stepIsInt; } p;

uvec4 philox(uvec4 c, uvec2 k) {
    for (int round = 0; round < 10; ++round) {
        uint hi0, lo0, hi1, lo1;
        umulExtended(0xD2511F53u, c.x, hi0, lo0);
        umulExtended(0xCD9E8D57u, c.z, hi1, lo1);
        c = uvec4(hi1 ^ c.y ^ k.x, lo1, hi0 ^ c.w ^ k.y, lo0);
        k += uvec2(0x9E3779B9u, 0xBB67AE85u);
    }
    return c;
}

void main() {
    uint s = uint(scalarAsInt(step[0], p.stepIsInt));
    float scale = 1.0 / (1.0 - p.rate);
    GRID_LOOP(block, (p.n + 3u) / 4u) {
        uvec4 bits = philox(uvec4(block, 0u, s, 0u), uvec2(p.seedLo, p.seedHi));
        for (uint j = 0u; j < 4u; ++j) {
            uint i = block * 4u + j;
            if (i >= p.n) break;
            float u = float(bits[j] >> 8) * (1.0 / 16777216.0);
            y[i] = u >= p.rate ? x[i] * scale : 0.0;
        }
    }
}
