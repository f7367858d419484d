#version 450
#extension GL_EXT_control_flow_attributes : require
// C[M,N] = op(A) op(B), row-major, for GPUs: the register-blocked GEMM. A workgroup of 16 x 16
// invocations computes a BM x BN = 16*TT x 16*TT tile of C; invocation (ty, tx) keeps TT x TT
// accumulators: rows ty*4 .. +3 of each 64-row band of the tile, columns tx*4 .. +3 of each
// 64-column band (so its shared-memory reads are vec4 and a warp's reads are contiguous).
// K advances in steps of BK = 8 through two shared-memory buffers: while the tile in one buffer
// is multiplied, the next tile's global loads are in flight in registers, and they are stored to
// the other buffer afterwards; one barrier per step. A is kept K-major in shared memory
// (As[k][row]), B as it is (Bs[k][col]).
// A and B are uniform texel buffers. VA / VB: the operand is read as RGBA32F texels along its
// contiguous dimension (K for A, M for a transposed A; N for B, K for a transposed B), which
// must then be a multiple of 4 with the operand starting on a multiple of 4 elements; otherwise
// as R32F texels, four fetches per vec4. offA / offB: the element where the operand starts
// inside its view. Reads past M or N are clamped to the edge (their results are not stored);
// reads past K are zero.
layout(local_size_x = 256) in;
layout(constant_id = 0) const uint TT = 8; // 4 or 8: a 64 x 64 or 128 x 128 tile
layout(constant_id = 1) const uint TA = 0;
layout(constant_id = 2) const uint TB = 0;
layout(constant_id = 3) const uint VA = 0;
layout(constant_id = 4) const uint VB = 0;

layout(binding = 0) uniform samplerBuffer A;
layout(binding = 1) uniform samplerBuffer B;
layout(std430, binding = 2) writeonly buffer C { float c[]; };
// BIAS: c = product + bias[column] (a fused bias add); without it binding 3 is a dummy, never read.
layout(constant_id = 5) const uint BIAS = 0u;
layout(std430, binding = 3) readonly buffer Bias { float bias[]; };
layout(push_constant) uniform P { uint M, N, K, offA, offB, sA, sB, sC; } p;
// Batched (BatchMatMul): workgroup z is the batch entry; sA / sB / sC are the elements between
// consecutive entries of A, B and C (multiples of 4 where VA / VB read texels; 0 for one product).
uint offA, offB; // p.offA / p.offB moved to this workgroup's batch entry (set first in main)

const uint BK = 8u;
const uint BM = 16u * TT, BN = 16u * TT;
const uint BM4 = BM / 4u, BN4 = BN / 4u;
const uint LOADS_A = (BM * BK / 4u + 255u) / 256u; // vec4 loads per invocation per step
const uint LOADS_B = (BN * BK / 4u + 255u) / 256u;

shared vec4 As[2][BK][BM4];
shared vec4 Bs[2][BK][BN4];

float elemA(uint r, uint k) { return texelFetch(A, int(offA + (TA == 0u ? r * p.K + k : k * p.M + r))).x; }
float elemB(uint k, uint col) { return texelFetch(B, int(offB + (TB == 0u ? k * p.N + col : col * p.K + k))).x; }

// Load slot e of the A tile at k0: four values along A's contiguous dimension.
//   TA == 0: e -> row e / 2, k (e % 2) * 4 .. +3      TA == 1: e -> k e / BM4, rows (e % BM4) * 4 .. +3
vec4 fetchA(uint e, uint row0, uint k0) {
    if (TA == 0u) {
        const uint r = min(row0 + e / 2u, p.M - 1u), k = k0 + (e % 2u) * 4u;
        if (VA != 0u) return k < p.K ? texelFetch(A, int((offA + r * p.K + k) >> 2)) : vec4(0.0);
        return vec4(k < p.K ? elemA(r, k) : 0.0, k + 1u < p.K ? elemA(r, k + 1u) : 0.0, k + 2u < p.K ? elemA(r, k + 2u) : 0.0,
                    k + 3u < p.K ? elemA(r, k + 3u) : 0.0);
    }
    const uint k = k0 + e / BM4, r = row0 + (e % BM4) * 4u;
    if (k >= p.K) return vec4(0.0);
    if (VA != 0u) return texelFetch(A, int((offA + k * p.M + min(r, p.M - 4u)) >> 2));
    const uint last = p.M - 1u;
    return vec4(elemA(min(r, last), k), elemA(min(r + 1u, last), k), elemA(min(r + 2u, last), k), elemA(min(r + 3u, last), k));
}

void storeA(uint buf, uint e, vec4 v) {
    if (TA == 0u) {
        const uint r = e / 2u, k = (e % 2u) * 4u; // transposed into As[k][r]
        [[unroll]] for (uint i = 0u; i < 4u; ++i) As[buf][k + i][r / 4u][r % 4u] = v[i];
    } else {
        As[buf][e / BM4][e % BM4] = v;
    }
}

//   TB == 0: e -> k e / BN4, columns (e % BN4) * 4 .. +3      TB == 1: e -> column e / 2, k (e % 2) * 4 .. +3
vec4 fetchB(uint e, uint col0, uint k0) {
    if (TB == 0u) {
        const uint k = k0 + e / BN4, col = col0 + (e % BN4) * 4u;
        if (k >= p.K) return vec4(0.0);
        if (VB != 0u) return texelFetch(B, int((offB + k * p.N + min(col, p.N - 4u)) >> 2));
        const uint last = p.N - 1u;
        return vec4(elemB(k, min(col, last)), elemB(k, min(col + 1u, last)), elemB(k, min(col + 2u, last)), elemB(k, min(col + 3u, last)));
    }
    const uint col = min(col0 + e / 2u, p.N - 1u), k = k0 + (e % 2u) * 4u;
    if (VB != 0u) return k < p.K ? texelFetch(B, int((offB + col * p.K + k) >> 2)) : vec4(0.0);
    return vec4(k < p.K ? elemB(k, col) : 0.0, k + 1u < p.K ? elemB(k + 1u, col) : 0.0, k + 2u < p.K ? elemB(k + 2u, col) : 0.0,
                k + 3u < p.K ? elemB(k + 3u, col) : 0.0);
}

void storeB(uint buf, uint e, vec4 v) {
    if (TB == 0u) {
        Bs[buf][e / BN4][e % BN4] = v;
    } else {
        const uint col = e / 2u, k = (e % 2u) * 4u;
        [[unroll]] for (uint i = 0u; i < 4u; ++i) Bs[buf][k + i][col / 4u][col % 4u] = v[i];
    }
}

void main() {
    offA = p.offA + gl_WorkGroupID.z * p.sA;
    offB = p.offB + gl_WorkGroupID.z * p.sB;
    const uint tid = gl_LocalInvocationID.x;
    const uint tx = tid % 16u, ty = tid / 16u;
    const uint row0 = gl_WorkGroupID.y * BM, col0 = gl_WorkGroupID.x * BN;
    const uint bands = TT / 4u; // 64-row (64-column) bands of the tile

    vec4 acc[TT][TT / 4u]; // acc[i][j]: row band i/4 row ty*4 + i%4, columns band j, tx*4 .. +3
    [[unroll]] for (uint i = 0u; i < TT; ++i)
        [[unroll]] for (uint j = 0u; j < bands; ++j) acc[i][j] = vec4(0.0);

    vec4 pa[LOADS_A], pb[LOADS_B];
    [[unroll]] for (uint l = 0u; l < LOADS_A; ++l) if (tid + l * 256u < BM * BK / 4u) pa[l] = fetchA(tid + l * 256u, row0, 0u);
    [[unroll]] for (uint l = 0u; l < LOADS_B; ++l) if (tid + l * 256u < BN * BK / 4u) pb[l] = fetchB(tid + l * 256u, col0, 0u);
    [[unroll]] for (uint l = 0u; l < LOADS_A; ++l) if (tid + l * 256u < BM * BK / 4u) storeA(0u, tid + l * 256u, pa[l]);
    [[unroll]] for (uint l = 0u; l < LOADS_B; ++l) if (tid + l * 256u < BN * BK / 4u) storeB(0u, tid + l * 256u, pb[l]);
    barrier();

    const uint steps = (p.K + BK - 1u) / BK;
    for (uint s = 0u; s < steps; ++s) {
        const uint buf = s & 1u;
        const bool more = s + 1u < steps;
        if (more) {
            [[unroll]] for (uint l = 0u; l < LOADS_A; ++l) if (tid + l * 256u < BM * BK / 4u) pa[l] = fetchA(tid + l * 256u, row0, (s + 1u) * BK);
            [[unroll]] for (uint l = 0u; l < LOADS_B; ++l) if (tid + l * 256u < BN * BK / 4u) pb[l] = fetchB(tid + l * 256u, col0, (s + 1u) * BK);
        }
        [[unroll]] for (uint kk = 0u; kk < BK; ++kk) {
            vec4 ar[TT / 4u], br[TT / 4u];
            [[unroll]] for (uint b = 0u; b < bands; ++b) ar[b] = As[buf][kk][b * 16u + ty], br[b] = Bs[buf][kk][b * 16u + tx];
            [[unroll]] for (uint i = 0u; i < TT; ++i)
                [[unroll]] for (uint j = 0u; j < bands; ++j) acc[i][j] = fma(vec4(ar[i / 4u][i % 4u]), br[j], acc[i][j]);
        }
        if (more) {
            [[unroll]] for (uint l = 0u; l < LOADS_A; ++l) if (tid + l * 256u < BM * BK / 4u) storeA(buf ^ 1u, tid + l * 256u, pa[l]);
            [[unroll]] for (uint l = 0u; l < LOADS_B; ++l) if (tid + l * 256u < BN * BK / 4u) storeB(buf ^ 1u, tid + l * 256u, pb[l]);
        }
        barrier();
    }

    vec4 bj[TT / 4u]; // this invocation's columns of the bias, read once
    [[unroll]] for (uint j = 0u; j < bands; ++j)
        [[unroll]] for (uint e = 0u; e < 4u; ++e) {
            const uint col = col0 + j * 64u + tx * 4u + e;
            bj[j][e] = BIAS != 0u && col < p.N ? bias[col] : 0.0;
        }
    [[unroll]] for (uint i = 0u; i < TT; ++i) {
        const uint r = row0 + (i / 4u) * 64u + ty * 4u + i % 4u;
        if (r >= p.M) continue;
        [[unroll]] for (uint j = 0u; j < bands; ++j) {
            const uint col = col0 + j * 64u + tx * 4u;
            const vec4 v = BIAS != 0u ? acc[i][j] + bj[j] : acc[i][j];
            [[unroll]] for (uint e = 0u; e < 4u; ++e)
                if (col + e < p.N) c[gl_WorkGroupID.z * p.sC + r * p.N + col + e] = v[e];
        }
    }
}
