#version 450
#extension GL_EXT_control_flow_attributes : require
// C[M,N] = op(A) op(B), row-major, op = transpose when ta / tb. Tiled GEMM: a workgroup computes
// a BM x BN tile through shared-memory tiles of depth BK; each invocation keeps a TM x TN block
// of C in registers, its rows and columns interleaved across the tile (conflict-free reads,
// coalesced writes). Tile sizes are specialization constants chosen per device (GemmTiles).
// Batched (BatchMatMul): workgroup z is the batch entry; sA / sB / sC are the elements between
// consecutive entries of A, B and C (0 for one product).
layout(local_size_x_id = 0) in; // (BM / TM) * (BN / TN) invocations
layout(constant_id = 1) const uint BM = 64;
layout(constant_id = 2) const uint BN = 64;
layout(constant_id = 3) const uint BK = 16;
layout(constant_id = 4) const uint TM = 4;
layout(constant_id = 5) const uint TN = 4;

layout(std430, binding = 0) readonly buffer A { float a[]; };
layout(std430, binding = 1) readonly buffer B { float b[]; };
layout(std430, binding = 2) writeonly buffer C { float c[]; };
// BIAS: c = product + bias[column] (a fused bias add); without it binding 3 is a dummy, never read.
layout(constant_id = 6) const uint BIAS = 0u;
layout(std430, binding = 3) readonly buffer Bias { float bias[]; };
layout(push_constant) uniform P { uint M, N, K, ta, tb, sA, sB, sC; } p;

const uint AS = BM + 4; // padded rows: transposing stores hit distinct banks
const uint BS = BN + 4;
shared float As[BK * AS];
shared float Bs[BK * BS];

void main() {
    const uint threads = (BM / TM) * (BN / TN);
    const uint tid = gl_LocalInvocationID.x;
    const uint tx = tid % (BN / TN), ty = tid / (BN / TN);
    const uint row0 = gl_WorkGroupID.y * BM, col0 = gl_WorkGroupID.x * BN;
    const uint oA = gl_WorkGroupID.z * p.sA, oB = gl_WorkGroupID.z * p.sB, oC = gl_WorkGroupID.z * p.sC;
    float acc[TM][TN];
    [[unroll]] for (uint i = 0u; i < TM; ++i)
        [[unroll]] for (uint j = 0u; j < TN; ++j) acc[i][j] = 0.0;

    for (uint k0 = 0u; k0 < p.K; k0 += BK) {
        for (uint e = tid; e < BM * BK; e += threads) {
            uint r, kk;
            if (p.ta == 0u) r = e / BK, kk = e % BK; // consecutive invocations read along K
            else kk = e / BM, r = e % BM;            // ... or along M when A is transposed
            uint gr = row0 + r, gk = k0 + kk;
            float v = 0.0;
            if (gr < p.M && gk < p.K) v = p.ta == 0u ? a[oA + gr * p.K + gk] : a[oA + gk * p.M + gr];
            As[kk * AS + r] = v;
        }
        for (uint e = tid; e < BN * BK; e += threads) {
            uint cc, kk;
            if (p.tb == 0u) kk = e / BN, cc = e % BN;
            else cc = e / BK, kk = e % BK;
            uint gc = col0 + cc, gk = k0 + kk;
            float v = 0.0;
            if (gc < p.N && gk < p.K) v = p.tb == 0u ? b[oB + gk * p.N + gc] : b[oB + gc * p.K + gk];
            Bs[kk * BS + cc] = v;
        }
        barrier();
        [[unroll]] for (uint kk = 0u; kk < BK; ++kk) {
            float ar[TM], br[TN];
            [[unroll]] for (uint i = 0u; i < TM; ++i) ar[i] = As[kk * AS + ty + i * (BM / TM)];
            [[unroll]] for (uint j = 0u; j < TN; ++j) br[j] = Bs[kk * BS + tx + j * (BN / TN)];
            [[unroll]] for (uint i = 0u; i < TM; ++i)
                [[unroll]] for (uint j = 0u; j < TN; ++j) acc[i][j] = fma(ar[i], br[j], acc[i][j]);
        }
        barrier();
    }
    float bj[TN]; // this invocation's columns of the bias, read once
    [[unroll]] for (uint j = 0u; j < TN; ++j) {
        const uint col = col0 + tx + j * (BN / TN);
        bj[j] = BIAS != 0u && col < p.N ? bias[col] : 0.0;
    }
    [[unroll]] for (uint i = 0u; i < TM; ++i) {
        uint r = row0 + ty + i * (BM / TM);
        if (r >= p.M) continue;
        [[unroll]] for (uint j = 0u; j < TN; ++j) {
            uint col = col0 + tx + j * (BN / TN);
            if (col < p.N) c[oC + r * p.N + col] = BIAS != 0u ? acc[i][j] + bj[j] : acc[i][j];
        }
    }
}
