#version 450
// out = a (op) b with numpy broadcasting over collapsed dims (strides 0 where broadcast).
// OP: 0 add, 1 sub, 2 mul, 3 div, 4 copy a (broadcast_to); IS_INT: int32 elements; RANK: the
// collapsed rank (1: both operands are contiguous or scalars, no index arithmetic). All three are
// specialization constants, so each pipeline holds one straight-line loop.
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"

layout(std430, binding = 0) readonly buffer A { uint a[]; };
layout(std430, binding = 1) readonly buffer B { uint b[]; };
layout(std430, binding = 2) writeonly buffer O { uint o[]; };
layout(constant_id = 1) const uint OP = 0u;
layout(constant_id = 2) const uint IS_INT = 0u;
layout(constant_id = 3) const uint RANK = 8u;
layout(push_constant) uniform P { uint n, op, isInt, rank; uint dims[8]; uint sa[8]; uint sb[8]; } p;

void main() {
    GRID_LOOP(i, p.n) {
        uint ia = 0u, ib = 0u;
        if (RANK == 1u) {
            ia = i * p.sa[0];
            ib = i * p.sb[0];
        } else {
            uint rem = i;
            for (int d = int(RANK) - 1; d >= 0; --d) {
                uint c = rem % p.dims[d];
                rem /= p.dims[d];
                ia += c * p.sa[d];
                ib += c * p.sb[d];
            }
        }
        uint r;
        if (OP == 4u) {
            r = a[ia];
        } else if (IS_INT != 0u) {
            int x = int(a[ia]), y = int(b[ib]);
            r = uint(OP == 0u ? x + y : OP == 1u ? x - y : OP == 2u ? x * y : (y == 0 ? 0 : x / y));
        } else {
            float x = uintBitsToFloat(a[ia]), y = uintBitsToFloat(b[ib]);
            r = floatBitsToUint(OP == 0u ? x + y : OP == 1u ? x - y : OP == 2u ? x * y : x / y);
        }
        o[i] = r;
    }
}
