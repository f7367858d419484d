// Matmul and 2-D convolutions. A convolution is im2col + GEMM on the device, as on the CPU:
//   forward          col = im2col(x);            y  = col * W
//   backprop input   dcol = dY * W^T;            dx = col2im(dcol)   (a gather, no atomics)
//   backprop filter  col = im2col(x);            dW = col^T * dY
// 1x1 stride-1 unpadded convolutions skip im2col. Tile sizes: GemmTiles. Grouped and depthwise
// convolutions are direct (grouped_conv.comp).
#include "gpu/kernels/KernelContext.h"

#include "engine/Error.h"
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

// Which GEMM kernel records a product:
//   Subgroup  matmul_sg.comp, for CPU drivers that shuffle (no shared memory, no barriers);
//   Vec4      matmul_vec4.comp, for GPUs: 64x64 or 128x128 tiles, 4x4 or 8x8 per invocation,
//             vec4 texel loads, double-buffered shared memory;
//   Tiled     matmul.comp, the plain shared-memory kernel: small products on GPUs, and devices
//             the others do not fit.
// STRATA_GEMM_KERNEL=tiled|vec4|subgroup overrides the choice where the device can run it (the
// tests run every kernel on lavapipe; run_gpu_benchmarks.sh compares them on a GPU).
enum class GemmKernel { Tiled, Vec4, Subgroup };

GemmKernel chooseKernel(const DeviceInfo& d, uint32_t m, uint32_t n, uint64_t elementsA, uint64_t elementsB) {
    const bool texels = std::max(elementsA, elementsB) + 64 <= d.maxTexelBufferElements; // R32F views at worst
    const bool subgroup = texels && d.subgroupShuffle && d.subgroupSize >= 4 && d.subgroupSize <= 64 &&
                          d.subgroupSize <= d.maxWorkgroupInvocations;
    const bool vec4 = texels && d.maxWorkgroupInvocations >= 256 && d.maxSharedMemoryBytes >= 16384;
    if (const char* env = std::getenv("STRATA_GEMM_KERNEL")) {
        const std::string_view want(env);
        if (want == "tiled") return GemmKernel::Tiled;
        if (want == "subgroup" && subgroup) return GemmKernel::Subgroup;
        if (want == "vec4" && vec4) return GemmKernel::Vec4;
    }
    if (d.isCpu()) return subgroup ? GemmKernel::Subgroup : GemmKernel::Tiled;
    // A GPU: the register-blocked kernel once the product has 16 or more 64x64 tiles. Not yet
    // measured on a GPU (see gpu/README.md); the sweep in run_gpu_benchmarks.sh is how to check.
    return vec4 && uint64_t((m + 63) / 64) * ((n + 63) / 64) >= 16 ? GemmKernel::Vec4 : GemmKernel::Tiled;
}

// A uniform texel buffer view of an operand: views begin at multiples of the device's texel
// alignment, so `shift` says at which element the operand starts inside its view.
Binding texelView(const DeviceInfo& d, const BufferRange& r, bool asVec4, uint32_t& shift) {
    const VkDeviceSize align = std::max<VkDeviceSize>(d.minTexelBufferOffsetAlignment, 16);
    const VkDeviceSize start = r.offset / align * align;
    shift = uint32_t((r.offset - start) / 4);
    VkDeviceSize size = r.size + (r.offset - start);
    if (asVec4) size = size / 16 * 16;
    return {{r.buffer, start, size}, false, asVec4 ? VK_FORMAT_R32G32B32A32_SFLOAT : VK_FORMAT_R32_SFLOAT};
}

// Binding 3 of the GEMM kernels: the bias, or C again as a dummy the kernel never reads (its
// BIAS specialization constant is then 0).
Binding biasBinding(const BufferRange& bias, const BufferRange& c) { return {bias.size ? bias : c, false}; }

// The push constants of the GEMM kernels: sizes, two words the kernel reads as it likes (texel
// shifts or transposes), and the elements between batch entries (workgroup z).
struct GemmPush {
    uint32_t m, n, k, w3, w4, strideA, strideB, strideC;
};

GemmPush gemmPush(uint32_t m, uint32_t n, uint32_t kDim, uint32_t batch) {
    const bool b = batch > 1;
    return {m, n, kDim, 0, 0, b ? m * kDim : 0, b ? kDim * n : 0, b ? m * n : 0};
}

void recordSubgroupGemm(KernelContext& k, const BufferRange& a, const BufferRange& b, const BufferRange& c, uint32_t m,
                        uint32_t n, uint32_t kDim, bool ta, bool tb, const BufferRange& bias, uint32_t batch) {
    const uint32_t sg = k.device.subgroupSize;
    // RA A-vec4 per invocation (TM = SG * RA rows), TN4 vec4 columns. Larger tiles amortize the
    // loads over more FMAs but take longer to compile (llvmpipe JITs every variant per process:
    // 8,4 0.8 s, 8,2 0.3 s). Products of at least 512 in every dimension take 8,4; others 8,2
    // or just the rows they have (a batch of 32 rows). RA = 16 gave wrong results at N = 520 on
    // llvmpipe 15 (with storage-buffer loads; RA <= 8 is exact), so it is refused.
    const bool large = m >= 512 && n >= 512 && kDim >= 512;
    uint32_t ra = std::clamp<uint32_t>((m + sg - 1) / sg, 1, 8), tn4 = large ? 4 : 2;
    if (const char* env = std::getenv("STRATA_GEMM_SG")) // "RA,TN4", for tuning on a new driver
        if (std::sscanf(env, "%u,%u", &ra, &tn4) != 2 || ra == 0 || ra > 8 || tn4 == 0 || tn4 > 4) ra = 8, tn4 = 2;
    const uint32_t tm = sg * ra;
    const bool va = !ta && kDim % 4 == 0 && a.offset % 16 == 0;
    const bool vb = !tb && n % 4 == 0 && b.offset % 16 == 0;
    const uint32_t spec[] = {sg, ra, tn4, ta, tb, va, vb, bias.size ? 1u : 0u};
    GemmPush push = gemmPush(m, n, kDim, batch);
    const Binding av = texelView(k.device, a, va, push.w3), bv = texelView(k.device, b, vb, push.w4);
    const uint32_t colsPerGroup = sg * 4 * tn4;
    k.recorder.dispatch(k.pipelines.get("matmul_sg", 4, spec, 0b011), {av, bv, {c, true}, biasBinding(bias, c)}, push,
                        (n + colsPerGroup - 1) / colsPerGroup, (m + tm - 1) / tm, batch);
}

void recordVec4Gemm(KernelContext& k, const BufferRange& a, const BufferRange& b, const BufferRange& c, uint32_t m, uint32_t n,
                    uint32_t kDim, bool ta, bool tb, const BufferRange& bias, uint32_t batch) {
    // 128x128 tiles (8x8 per invocation) once they still give 64 workgroups, else 64x64 (4x4).
    uint32_t tt = uint64_t((m + 127) / 128) * ((n + 127) / 128) >= 64 ? 8 : 4;
    if (const char* env = std::getenv("STRATA_GEMM_VEC4")) // "4" or "8", for tuning on a new device
        if (std::string_view(env) == "4" || std::string_view(env) == "8") tt = uint32_t(env[0] - '0');
    const bool va = (ta ? m : kDim) % 4 == 0 && a.offset % 16 == 0; // along A's contiguous dimension
    const bool vb = (tb ? kDim : n) % 4 == 0 && b.offset % 16 == 0;
    const uint32_t spec[] = {tt, ta, tb, va, vb, bias.size ? 1u : 0u};
    GemmPush push = gemmPush(m, n, kDim, batch);
    const Binding av = texelView(k.device, a, va, push.w3), bv = texelView(k.device, b, vb, push.w4);
    const uint32_t tile = 16 * tt;
    k.recorder.dispatch(k.pipelines.get("matmul_vec4", 4, spec, 0b011), {av, bv, {c, true}, biasBinding(bias, c)}, push, (n + tile - 1) / tile,
                        (m + tile - 1) / tile, batch);
}

} // namespace

void recordGemm(KernelContext& k, const BufferRange& a, const BufferRange& b, const BufferRange& c, uint32_t m, uint32_t n,
                uint32_t kDim, bool ta, bool tb, const BufferRange& bias, uint32_t batch) {
    if (m == 0 || n == 0 || batch == 0) return;
    if (batch > 1 && batch > k.device.maxWorkgroupCount[2])
        throw StrataError("batch_matmul: " + std::to_string(batch) + " products exceed the device's " +
                          std::to_string(k.device.maxWorkgroupCount[2]) + " workgroups along z");
    if (kDim == 0) {
        if (bias.size) throw StrataError("internal: a fused bias on a product with an empty inner dimension");
        k.recorder.fill(c, 0);
        return;
    }
    switch (chooseKernel(k.device, m, n, uint64_t(batch) * m * kDim, uint64_t(batch) * kDim * n)) {
    case GemmKernel::Subgroup: return recordSubgroupGemm(k, a, b, c, m, n, kDim, ta, tb, bias, batch);
    case GemmKernel::Vec4: return recordVec4Gemm(k, a, b, c, m, n, kDim, ta, tb, bias, batch);
    case GemmKernel::Tiled: break;
    }
    const GemmTiles t = chooseTiles(k.device, m, n);
    const uint32_t spec[] = {t.threads(), t.bm, t.bn, t.bk, t.tm, t.tn, bias.size ? 1u : 0u};
    GemmPush push = gemmPush(m, n, kDim, batch);
    push.w3 = ta, push.w4 = tb;
    k.recorder.dispatch(k.pipelines.get("matmul", 4, spec), {{a, false}, {b, false}, {c, true}, biasBinding(bias, c)}, push, (n + t.bn - 1) / t.bn,
                        (m + t.bm - 1) / t.bm, batch);
}

int64_t scratchBytes(const ir::Graph& g, const ir::Node& n) {
    if (n.op != OpKind::Conv2D && n.op != OpKind::Conv2DBackpropInput && n.op != OpKind::Conv2DBackpropFilter) return 0;
    const Window2D w = convWindow(g, n);
    return isPointwise(w) || w.groups > 1 ? 0 : w.n * w.outH * w.outW * w.kH * w.kW * w.inC * 4;
}

namespace {
// Grouped and depthwise convolutions: grouped_conv.comp, direct, one invocation per result element
// (the push constants' `mode` is the number of groups). A fused bias is added by the forward pass.
void recordGroupedConv(KernelContext& k, const ir::Node& n, const Window2D& w) {
    const uint32_t op = n.op == OpKind::Conv2D ? 0u : n.op == OpKind::Conv2DBackpropInput ? 1u : 2u;
    const int64_t count = op == 0u ? w.n * w.outH * w.outW * w.outC
                        : op == 1u ? w.n * w.inH * w.inW * w.inC
                                   : w.kH * w.kW * (w.inC / w.groups) * w.outC;
    const BufferRange out = k.range(n.outputs[0]);
    const bool bias = op == 0u && k.bias.size;
    k.recorder.dispatch(k.elementwise("grouped_conv", 4, {op, bias ? 1u : 0u}),
                        {k.in(n.inputs[0]), k.in(n.inputs[1]), {out, true}, biasBinding(bias ? k.bias : BufferRange{}, out)},
                        windowPush(w, uint32_t(w.groups)), k.groups(count));
}
} // namespace

bool emitLinear(KernelContext& k, const ir::Node& n) {
    const ir::Graph& g = k.graph;
    if (n.op == OpKind::MatMul) {
        const bool ta = n.attrs.integer("transpose_a") != 0, tb = n.attrs.integer("transpose_b") != 0;
        const Shape& as = g.shape(n.inputs[0]);
        const Shape& ys = g.shape(n.outputs[0]);
        recordGemm(k, k.range(n.inputs[0]), k.range(n.inputs[1]), k.range(n.outputs[0]), uint32_t(ys[0]), uint32_t(ys[1]),
                   uint32_t(ta ? as[0] : as[1]), ta, tb, k.bias);
        return true;
    }
    if (n.op == OpKind::BatchMatMul) { // workgroup z: the batch entry
        const bool ta = n.attrs.integer("transpose_a") != 0, tb = n.attrs.integer("transpose_b") != 0;
        const Shape& as = g.shape(n.inputs[0]);
        const Shape& ys = g.shape(n.outputs[0]);
        recordGemm(k, k.range(n.inputs[0]), k.range(n.inputs[1]), k.range(n.outputs[0]), uint32_t(ys[1]), uint32_t(ys[2]),
                   uint32_t(ta ? as[1] : as[2]), ta, tb, {}, uint32_t(ys[0]));
        return true;
    }
    if (n.op != OpKind::Conv2D && n.op != OpKind::Conv2DBackpropInput && n.op != OpKind::Conv2DBackpropFilter) return false;
    const Window2D w = convWindow(g, n);
    if (w.groups > 1) {
        recordGroupedConv(k, n, w);
        return true;
    }
    const auto rows = uint32_t(w.n * w.outH * w.outW), K = uint32_t(w.kH * w.kW * w.inC), outC = uint32_t(w.outC);
    const bool direct = isPointwise(w);
    const BufferRange col = direct ? BufferRange{} : k.scratch;
    const WindowPush wp = windowPush(w, 0);
    const uint32_t v4 = w.inC % 4 == 0 ? 4 : 1; // channels moved per invocation (vec4 when they allow)
    auto im2col = [&](ir::ValueId x) {
        k.recorder.dispatch(k.elementwise("im2col", 2, {v4 == 4}), {k.in(x), {col, true}}, wp, k.groups(int64_t(rows) * K / v4));
    };
    switch (n.op) {
    case OpKind::Conv2D:
        if (!direct) im2col(n.inputs[0]);
        recordGemm(k, direct ? k.range(n.inputs[0]) : col, k.range(n.inputs[1]), k.range(n.outputs[0]), rows, outC, K, false, false,
                   k.bias);
        return true;
    case OpKind::Conv2DBackpropInput:
        if (direct) {
            recordGemm(k, k.range(n.inputs[0]), k.range(n.inputs[1]), k.range(n.outputs[0]), rows, K, outC, false, true);
            return true;
        }
        recordGemm(k, k.range(n.inputs[0]), k.range(n.inputs[1]), col, rows, K, outC, false, true);
        k.recorder.dispatch(k.elementwise("col2im", 2, {v4 == 4}), {{col, false}, k.out(n.outputs[0])}, wp,
                            k.groups(w.n * w.inH * w.inW * w.inC / v4));
        return true;
    default: // Conv2DBackpropFilter
        if (!direct) im2col(n.inputs[0]);
        recordGemm(k, direct ? k.range(n.inputs[0]) : col, k.range(n.inputs[1]), k.range(n.outputs[0]), K, outC, rows, true, false);
        return true;
    }
}

} // namespace strata::gpu
