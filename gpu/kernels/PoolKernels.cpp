// Max and average pooling, forward and backward (NHWC, windows clipped to the input).
#include "gpu/kernels/KernelContext.h"

#include "engine/ir/ConvGeometry.h"

namespace strata::gpu {

using ir::OpKind;

bool emitPool(KernelContext& k, const ir::Node& n) {
    const ir::Graph& g = k.graph;
    const bool max = n.op == OpKind::MaxPool2D || n.op == OpKind::MaxPool2DGrad;
    const bool grad = n.op == OpKind::MaxPool2DGrad || n.op == OpKind::AvgPool2DGrad;
    if (!max && !grad && n.op != OpKind::AvgPool2D) return false;
    const Shape& in = n.op == OpKind::AvgPool2DGrad ? g.shape(n.outputs[0]) : g.shape(n.inputs[0]);
    const ir::Window2D w = ir::pool2dWindow(in, ir::readPool2DAttrs(n.attrs), max ? "max_pool2d" : "avg_pool2d");
    struct {
        uint32_t n, inH, inW, inC, kH, kW, outH, outW, outC;
        int32_t strideH, strideW, dilationH, dilationW, padTop, padLeft;
        uint32_t mode;
    } p{uint32_t(w.n), uint32_t(w.inH), uint32_t(w.inW), uint32_t(w.inC), uint32_t(w.kH), uint32_t(w.kW), uint32_t(w.outH),
        uint32_t(w.outW), uint32_t(w.outC), int32_t(w.strideH), int32_t(w.strideW), 1, 1, int32_t(w.padTop),
        int32_t(w.padLeft), max ? 0u : 1u};
    const ir::ValueId y = n.outputs[0];
    const int64_t v4 = w.inC % 4 == 0 ? 4 : 1; // channels per invocation (vec4 when they allow)
    if (!grad) {
        k.recorder.dispatch(k.elementwise("pool", 2, {v4 == 4}), {k.in(n.inputs[0]), k.out(y)}, p,
                            k.groups(w.n * w.outH * w.outW * w.inC / v4));
        return true;
    }
    // max: (x, dy); avg: (dy) — the avg kernel never reads x, so dy is bound twice.
    const ir::ValueId x = n.inputs[0], dy = max ? n.inputs[1] : n.inputs[0];
    k.recorder.dispatch(k.elementwise("pool_grad", 3, {v4 == 4}), {k.in(x), k.in(dy), k.out(y)}, p,
                        k.groups(w.n * w.inH * w.inW * w.inC / v4));
    return true;
}

} // namespace strata::gpu
