#version 450
#extension GL_KHR_shader_subgroup_shuffle : require
#extension GL_EXT_control_flow_attributes : require
// C[M,N] = op(A) op(B), row-major, for CPU Vulkan drivers (lavapipe): no shared memory and no
// barrier() (each is a coroutine switch on a CPU driver). One workgroup is one subgroup of SG
// invocations (the SIMD lanes of one CPU vector); it computes TM = SG * RA rows x SG * 4 * TN4
// columns of C; invocation l keeps all TM rows of its own 4 * TN4 columns in vec4 accumulators.
// Per step of 4 values of K:
//   - invocation l loads RA vec4 of A: rows l, l + SG, ... at K offsets k .. k+3;
//   - each invocation loads 4 x TN4 vec4 of B (its own columns), used by all TM rows;
//   - row by row, the row's 4 A values reach all lanes by subgroupShuffle with a constant lane
//     (a register permutation on a CPU, no memory) and each accumulator of the row takes 4
//     chained FMAs: it is read and written once per step (the accumulators live on the stack).
// A and B are uniform texel buffers: on llvmpipe a texel fetch is a vector gather, where a
// lane-varying storage-buffer load is a loop over the lanes with a branch per value. VA / VB:
// A / B are viewed as RGBA32F texels (row length a multiple of 4, not transposed, element
// offset a multiple of 4); otherwise as R32F texels, four fetches per vec4. offA / offB: the
// element where the operand starts inside its view (views begin at aligned offsets).
// Rows and columns past the edge are clamped on load and skipped on store.
layout(local_size_x_id = 0) in; // SG
layout(constant_id = 1) const uint RA = 1;  // A vec4 per invocation: TM = SG * RA rows per workgroup
layout(constant_id = 2) const uint TN4 = 1; // vec4 columns per invocation
layout(constant_id = 3) const uint TA = 0;
layout(constant_id = 4) const uint TB = 0;
layout(constant_id = 5) const uint VA = 0;
layout(constant_id = 6) const uint VB = 0;

layout(binding = 0) uniform samplerBuffer A;
layout(binding = 1) uniform samplerBuffer B;
layout(std430, binding = 2) writeonly buffer C { float c[]; };
// BIAS: c = product + bias[column] (a fused bias add); without it binding 3 is a dummy, never read.
layout(constant_id = 7) const uint BIAS = 0u;
layout(std430, binding = 3) readonly buffer Bias { float bias[]; };
layout(push_constant) uniform P { uint M, N, K, offA, offB, sA, sB, sC; } p;
// Batched (BatchMatMul): workgroup z is the batch entry; sA / sB / sC are the elements between
// consecutive entries of A, B and C (multiples of 4 where VA / VB read texels; 0 for one product).
uint offA, offB; // p.offA / p.offB moved to this workgroup's batch entry (set first in main)

const uint SG = gl_WorkGroupSize.x;
const uint TM = SG * RA;

float loadA(uint r, uint k) { return texelFetch(A, int(offA + (TA == 0u ? r * p.K + k : k * p.M + r))).x; }

vec4 loadA4(uint r, uint k) { // A[r][k .. k+3]
    if (VA != 0u) return texelFetch(A, int((offA + r * p.K + k) >> 2));
    return vec4(loadA(r, k), loadA(r, k + 1u), loadA(r, k + 2u), loadA(r, k + 3u));
}

float loadB(uint k, uint col) { return texelFetch(B, int(offB + (TB == 0u ? k * p.N + col : col * p.K + k))).x; }

vec4 loadB4(uint k, uint col) { // B[k][col .. col+3], columns clamped to the edge
    if (VB != 0u) return texelFetch(B, int((offB + k * p.N + col) >> 2));
    const uint last = p.N - 1u;
    return vec4(loadB(k, min(col, last)), loadB(k, min(col + 1u, last)), loadB(k, min(col + 2u, last)),
                loadB(k, min(col + 3u, last)));
}

void main() {
    offA = p.offA + gl_WorkGroupID.z * p.sA;
    offB = p.offB + gl_WorkGroupID.z * p.sB;
    const uint lane = gl_LocalInvocationID.x;
    const uint row0 = gl_WorkGroupID.y * TM;
    const uint colBase = gl_WorkGroupID.x * SG * 4u * TN4 + lane * 4u;
    // Vector columns past the edge read the last whole vec4 (VB implies N % 4 == 0).
    uint cols[TN4];
    [[unroll]] for (uint j = 0u; j < TN4; ++j) cols[j] = VB != 0u ? min(colBase + j * SG * 4u, p.N - 4u) : colBase + j * SG * 4u;
    uint myRows[RA];
    [[unroll]] for (uint r = 0u; r < RA; ++r) myRows[r] = min(row0 + r * SG + lane, p.M - 1u);

    vec4 acc[TM][TN4];
    [[unroll]] for (uint i = 0u; i < TM; ++i)
        [[unroll]] for (uint j = 0u; j < TN4; ++j) acc[i][j] = vec4(0.0);

    const uint kMain = p.K & ~3u;
    for (uint k0 = 0u; k0 < kMain; k0 += 4u) {
        vec4 av[RA];
        [[unroll]] for (uint r = 0u; r < RA; ++r) av[r] = loadA4(myRows[r], k0);
        vec4 bv[4][TN4]; // B[k0 .. k0+3][own columns], used by every row
        [[unroll]] for (uint kk = 0u; kk < 4u; ++kk)
            [[unroll]] for (uint j = 0u; j < TN4; ++j) bv[kk][j] = loadB4(k0 + kk, cols[j]);
        [[unroll]] for (uint r = 0u; r < RA; ++r)
            [[unroll]] for (uint l = 0u; l < SG; ++l) {
                const vec4 s = subgroupShuffle(av[r], l); // A[row0 + r * SG + l][k0 .. k0+3]
                [[unroll]] for (uint j = 0u; j < TN4; ++j) // each accumulator read and written once per 4 values of K
                    acc[r * SG + l][j] = fma(vec4(s.w), bv[3][j], fma(vec4(s.z), bv[2][j], fma(vec4(s.y), bv[1][j], fma(vec4(s.x), bv[0][j], acc[r * SG + l][j]))));
            }
    }
    for (uint k = kMain; k < p.K; ++k) { // the tail of K, one value at a time
        vec4 bv[TN4];
        [[unroll]] for (uint j = 0u; j < TN4; ++j) bv[j] = loadB4(k, cols[j]);
        [[unroll]] for (uint r = 0u; r < RA; ++r) {
            const float mine = loadA(myRows[r], k);
            [[unroll]] for (uint l = 0u; l < SG; ++l) {
                const float s = subgroupShuffle(mine, l);
                [[unroll]] for (uint j = 0u; j < TN4; ++j) acc[r * SG + l][j] = fma(vec4(s), bv[j], acc[r * SG + l][j]);
            }
        }
    }

    vec4 bj[TN4]; // this invocation's columns of the bias, read once
    [[unroll]] for (uint j = 0u; j < TN4; ++j)
        [[unroll]] for (uint e = 0u; e < 4u; ++e) {
            const uint col = colBase + j * SG * 4u + e;
            bj[j][e] = BIAS != 0u && col < p.N ? bias[col] : 0.0;
        }
    [[unroll]] for (uint i = 0u; i < TM; ++i) {
        const uint r = row0 + i;
        if (r >= p.M) break;
        [[unroll]] for (uint j = 0u; j < TN4; ++j) {
            const uint col = colBase + j * SG * 4u;
            const vec4 v = BIAS != 0u ? acc[i][j] + bj[j] : acc[i][j];
            [[unroll]] for (uint e = 0u; e < 4u; ++e)
                if (col + e < p.N) c[gl_WorkGroupID.z * p.sC + r * p.N + col + e] = v[e];
        }
    }
}
