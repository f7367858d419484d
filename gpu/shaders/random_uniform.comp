#version 450
// The RandomUniform op: y(i) = Philox4x32-10 uniform of (seed, step, i) in [0, 1), the numbers
// dropout.comp compares with its rate (engine/ir/Philox.h), bit for bit the CPU's.
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"

layout(std430, binding = 0) readonly buffer S { uint step[]; };
layout(std430, binding = 1) writeonly buffer Y { float y[]; };
layout(push_constant) uniform P { uint n; uint seedLo, seedHi, stepIsInt; } p;

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
    GRID_LOOP(block, (p.n + 3u) / 4u) {
        uvec4 bits = philox(uvec4(block, 0u, s, 0u), uvec2(p.seedLo, p.seedHi));
        for (uint j = 0u; j < 4u; ++j) {
            uint i = block * 4u + j;
            if (i >= p.n) break;
            y[i] = float(bits[j] >> 8) * (1.0 / 16777216.0);
        }
    }
}
