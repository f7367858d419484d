#version 450
// out = a (op) b with numpy broadcasting over collapsed dims (strides 0 where broadcast).
// op: 0 add, 1 sub, 2 mul, 3 div, 4 copy a (broadcast_to). isInt: int32 elements.
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"

layout(std430, binding = 0) readonly buffer A { uint a[]; };
layout(std430, binding = 1) readonly buffer B { uint b[]; };
layout(std430, binding = 2) writeonly buffer O { uint o[]; };
layout(push_constant) uniform P { uint n, op, isInt, rank; uint dims[8]; uint sa[8]; uint sb[8]; } p;

void main() {
    GRID_LOOP(i, p.n) {
        uint rem = i, ia = 0u, ib = 0u;
        for (int d = int(p.rank) - 1; d >= 0; --d) {
            uint c = rem % p.dims[d];
            rem /= p.dims[d];
            ia += c * p.sa[d];
            ib += c * p.sb[d];
        }
        uint r;
        if (p.op == 4u) {
            r = a[ia];
        } else if (p.isInt != 0u) {
            int x = int(a[ia]), y = int(b[ib]);
            r = uint(p.op == 0u ? x + y : p.op == 1u ? x - y : p.op == 2u ? x * y : (y == 0 ? 0 : x / y));
        } else {
            float x = uintBitsToFloat(a[ia]), y = uintBitsToFloat(b[ib]);
            r = floatBitsToUint(p.op == 0u ? x + y : p.op == 1u ? x - y : p.op == 2u ? x * y : x / y);
        }
        o[i] = r;
    }
}
