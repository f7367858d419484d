// Matmul and 2-D convolutions. A convolution is im2col + GEMM on the device, as on the CPU:
//   forward          col = im2col(x);            y  = col * W
//   backprop input   dcol = dY * W^T;            dx = col2im(dcol)   (a gather, no atomics)
//   backprop filter  col = im2col(x);            dW = col^T * dY
// 1x1 stride-1 unpadded convolutions skip im2col. Tile sizes: GemmTiles.
#include "gpu/kernels/KernelContext.h"

#include "engine/ir/ConvGeometry.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string_view>

namespace strata::gpu {

using ir::OpKind;
using ir::Window2D;

namespace {

struct GemmTiles {
    uint32_t bm, bn, bk, tm, tn;
    uint32_t threads() const { return (bm / tm) * (bn / tn); }
};

// Per device and problem. GPUs: 64x64 tiles (4x4 per invocation, BK 16) when that still gives
// >= 256 workgroups (enough to fill a data-centre GPU's SMs/CUs twice over), 32x32 (2x2) for
// smaller products. On an H100 the 64x64 tiles reached 11.5 TFLOP/s at N = 1024 while 128x128
// (8x8 per invocation, BK 8) fell to 1.8 TFLOP/s at N = 2048, so large products stay on 64x64
// (STRATA_GEMM_TILES tries others; tests/bench/run_gpu_benchmarks.sh sweeps a few). CPU drivers
// without subgroup shuffles: 64x64. Devices with fewer than 256 invocations per workgroup or
// 16 KiB of shared memory: 32x32 with 64 invocations.
GemmTiles chooseTiles(const DeviceInfo& d, uint32_t m, uint32_t n) {
    if (const char* env = std::getenv("STRATA_GEMM_TILES")) { // "BM,BN,BK,TM,TN", for tuning on a new device
        GemmTiles t{};
        if (std::sscanf(env, "%u,%u,%u,%u,%u", &t.bm, &t.bn, &t.bk, &t.tm, &t.tn) == 5 && t.tm && t.tn && t.bm % t.tm == 0 &&
            t.bn % t.tn == 0 && t.threads() <= d.maxWorkgroupInvocations)
            return t;
    }
    if (d.maxWorkgroupInvocations < 256 || d.maxSharedMemoryBytes < 16384) return {32, 32, 8, 4, 4};
    const bool gpu = d.kind == DeviceKind::Discrete || d.kind == DeviceKind::Integrated || d.kind == DeviceKind::Virtual;
    if (!gpu) return {64, 64, 16, 4, 4};
    auto groups = [&](uint32_t tile) { return uint64_t((m + tile - 1) / tile) * ((n + tile - 1) / tile); };
    if (groups(64) >= 256) return {64, 64, 16, 4, 4};
    return {32, 32, 16, 2, 2};
}

Window2D convWindow(const ir::Graph& g, const ir::Node& n) {
    const ir::Conv2DParams p = ir::readConv2DAttrs(n.attrs);
    switch (n.op) {
    case OpKind::Conv2D: return ir::conv2dWindow(g.shape(n.inputs[0]), g.shape(n.inputs[1]), p, "conv2d");
    case OpKind::Conv2DBackpropInput: return ir::conv2dWindow(g.shape(n.outputs[0]), g.shape(n.inputs[1]), p, "conv2d");
    default: return ir::conv2dWindow(g.shape(n.inputs[0]), g.shape(n.outputs[0]), p, "conv2d");
    }
}

bool isPointwise(const Window2D& w) {
    return w.kH == 1 && w.kW == 1 && w.strideH == 1 && w.strideW == 1 && w.padTop == 0 && w.padLeft == 0;
}

struct WindowPush {
    uint32_t n, inH, inW, inC, kH, kW, outH, outW, outC;
    int32_t strideH, strideW, dilationH, dilationW, padTop, padLeft;
    uint32_t mode;
};

WindowPush windowPush(const Window2D& w, uint32_t mode) {
    return {uint32_t(w.n), uint32_t(w.inH), uint32_t(w.inW), uint32_t(w.inC), uint32_t(w.kH), uint32_t(w.kW),
            uint32_t(w.outH), uint32_t(w.outW), uint32_t(w.outC), int32_t(w.strideH), int32_t(w.strideW),
            int32_t(w.dilationH), int32_t(w.dilationW), int32_t(w.padTop), int32_t(w.padLeft), mode};
}

} // namespace

namespace {

// The subgroup kernel (matmul_sg.comp) for CPU drivers that shuffle. STRATA_GEMM_KERNEL=tiled|subgroup overrides the choice (tests run both
// kernels on lavapipe).
bool useSubgroupKernel(const DeviceInfo& d) {
    const bool able = d.subgroupShuffle && d.subgroupSize >= 4 && d.subgroupSize <= 64 &&
                      d.subgroupSize <= d.maxWorkgroupInvocations;
    if (const char* env = std::getenv("STRATA_GEMM_KERNEL")) {
        if (std::string_view(env) == "tiled") return false;
        if (std::string_view(env) == "subgroup") return able;
    }
    return able && d.isCpu();
}

void recordSubgroupGemm(KernelContext& k, const BufferRange& a, const BufferRange& b, const BufferRange& c, uint32_t m,
                        uint32_t n, uint32_t kDim, bool ta, bool tb) {
    const uint32_t sg = k.device.subgroupSize;
    // RA A-vec4 per invocation (TM = SG * RA rows), TN4 vec4 columns. Larger tiles amortize the
    // lane-by-lane loads over more FMAs but take longer to compile (llvmpipe JITs every variant
    // per process): on llvmpipe 256-bit at N = 1024 (2 cores) 8,4 gave 10.7 GFLOP/s (0.8 s to
    // compile), 8,2 9.6 (0.3 s), 4,2 7.5, 2,4 5.8; the shared-memory kernel 0.3. RA = 16 was
    // faster (13.7) but gave wrong results at N = 520 on llvmpipe 15 (RA <= 8 is exact), so it is
    // refused; beyond 16,4 the JIT took minutes. Products of at least 512 in every dimension take
    // 8,4; others 8,2 or just the rows they have (a batch of 32 rows).
    const bool large = m >= 512 && n >= 512 && kDim >= 512;
    uint32_t ra = std::clamp<uint32_t>((m + sg - 1) / sg, 1, 8), tn4 = large ? 4 : 2;
    if (const char* env = std::getenv("STRATA_GEMM_SG")) // "RA,TN4", for tuning on a new driver
        if (std::sscanf(env, "%u,%u", &ra, &tn4) != 2 || ra == 0 || ra > 8 || tn4 == 0 || tn4 > 4) ra = 8, tn4 = 2;
    const uint32_t tm = sg * ra;
    const bool va = !ta && kDim % 4 == 0 && a.offset % 16 == 0;
    const bool vb = !tb && n % 4 == 0 && b.offset % 16 == 0;
    const uint32_t spec[] = {sg, ra, tn4, ta, tb, va, vb};
    const uint32_t push[3] = {m, n, kDim};
    const uint32_t colsPerGroup = sg * 4 * tn4;
    k.recorder.dispatch(k.pipelines.get("matmul_sg", 3, spec), {{a, false}, {b, false}, {c, true}}, push,
                        (n + colsPerGroup - 1) / colsPerGroup, (m + tm - 1) / tm);
}

} // namespace

void recordGemm(KernelContext& k, const BufferRange& a, const BufferRange& b, const BufferRange& c, uint32_t m, uint32_t n,
                uint32_t kDim, bool ta, bool tb) {
    if (m == 0 || n == 0) return;
    if (kDim == 0) {
        k.recorder.fill(c, 0);
        return;
    }
    if (useSubgroupKernel(k.device)) return recordSubgroupGemm(k, a, b, c, m, n, kDim, ta, tb);
    const GemmTiles t = chooseTiles(k.device, m, n);
    const uint32_t spec[] = {t.threads(), t.bm, t.bn, t.bk, t.tm, t.tn};
    const uint32_t push[5] = {m, n, kDim, ta, tb};
    k.recorder.dispatch(k.pipelines.get("matmul", 3, spec), {{a, false}, {b, false}, {c, true}}, push, (n + t.bn - 1) / t.bn,
                        (m + t.bm - 1) / t.bm);
}

int64_t scratchBytes(const ir::Graph& g, const ir::Node& n) {
    if (n.op != OpKind::Conv2D && n.op != OpKind::Conv2DBackpropInput && n.op != OpKind::Conv2DBackpropFilter) return 0;
    const Window2D w = convWindow(g, n);
    return isPointwise(w) ? 0 : w.n * w.outH * w.outW * w.kH * w.kW * w.inC * 4;
}

bool emitLinear(KernelContext& k, const ir::Node& n) {
    const ir::Graph& g = k.graph;
    if (n.op == OpKind::MatMul) {
        const bool ta = n.attrs.integer("transpose_a") != 0, tb = n.attrs.integer("transpose_b") != 0;
        const Shape& as = g.shape(n.inputs[0]);
        const Shape& ys = g.shape(n.outputs[0]);
        recordGemm(k, k.range(n.inputs[0]), k.range(n.inputs[1]), k.range(n.outputs[0]), uint32_t(ys[0]), uint32_t(ys[1]),
                   uint32_t(ta ? as[0] : as[1]), ta, tb);
        return true;
    }
    if (n.op != OpKind::Conv2D && n.op != OpKind::Conv2DBackpropInput && n.op != OpKind::Conv2DBackpropFilter) return false;
    const Window2D w = convWindow(g, n);
    const auto rows = uint32_t(w.n * w.outH * w.outW), K = uint32_t(w.kH * w.kW * w.inC), outC = uint32_t(w.outC);
    const bool direct = isPointwise(w);
    const BufferRange col = direct ? BufferRange{} : k.scratch;
    const WindowPush wp = windowPush(w, 0);
    auto im2col = [&](ir::ValueId x) {
        k.recorder.dispatch(k.elementwise("im2col", 2), {k.in(x), {col, true}}, wp, k.groups(int64_t(rows) * K));
    };
    switch (n.op) {
    case OpKind::Conv2D:
        if (!direct) im2col(n.inputs[0]);
        recordGemm(k, direct ? k.range(n.inputs[0]) : col, k.range(n.inputs[1]), k.range(n.outputs[0]), rows, outC, K, false, false);
        return true;
    case OpKind::Conv2DBackpropInput:
        if (direct) {
            recordGemm(k, k.range(n.inputs[0]), k.range(n.inputs[1]), k.range(n.outputs[0]), rows, K, outC, false, true);
            return true;
        }
        recordGemm(k, k.range(n.inputs[0]), k.range(n.inputs[1]), col, rows, K, outC, false, true);
        k.recorder.dispatch(k.elementwise("col2im", 2), {{col, false}, k.out(n.outputs[0])}, wp,
                            k.groups(w.n * w.inH * w.inW * w.inC));
        return true;
    default: // Conv2DBackpropFilter
        if (!direct) im2col(n.inputs[0]);
        recordGemm(k, direct ? k.range(n.inputs[0]) : col, k.range(n.inputs[1]), k.range(n.outputs[0]), K, outC, rows, true, false);
        return true;
    }
}

} // namespace strata::gpu
