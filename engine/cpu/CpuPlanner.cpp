// Planning a graph for the CPU: the shared buffer plan (engine/ir/BufferPlanner.h) laid out in one
// host arena with 64-byte slots and the convolutions' im2col scratch, then a pointer for every
// value known before a run (arena values, constants) and every node's scratch.
#include "engine/cpu/CpuPlan.h"
#include "engine/cpu/Kernels.h"

namespace strata::cpu {

using ir::Graph;
using ir::Node;
using ir::OpKind;
using ir::ValueId;
using ir::ValueRole;

namespace {

constexpr int64_t kAlign = 64;

int64_t scratchBytes(const Graph& g, const Node& n) {
    auto bytes = [&](const Shape& x, const Shape& filter) {
        const Window2D w = ir::conv2dWindow(x, filter, ir::readConv2DAttrs(n.attrs), "conv2d");
        return convScratchFloats(w) * int64_t(sizeof(float));
    };
    switch (n.op) {
    case OpKind::Conv2D: return bytes(g.shape(n.inputs[0]), g.shape(n.inputs[1]));
    case OpKind::Conv2DBackpropInput: return bytes(g.shape(n.outputs[0]), g.shape(n.inputs[1]));
    case OpKind::Conv2DBackpropFilter: return bytes(g.shape(n.inputs[0]), g.shape(n.outputs[0]));
    default: return 0;
    }
}

} // namespace

CpuPlan* makePlan(const Graph& source, std::vector<ValueId> outputs) {
    auto plan = std::make_unique<CpuPlan>();
    CpuPlan& p = *plan;
    p.graph = source;
    p.outputList = std::move(outputs);
    const Graph& g = p.graph;
    p.buffers = ir::planBuffers(g, p.outputList);
    const ir::ArenaLayout layout = ir::layoutArena(g, p.buffers, {.alignment = kAlign, .scratchBytes = scratchBytes});

    if (layout.bytes > 0) p.arena = Tensor(Shape{layout.bytes / int64_t(sizeof(float))});
    auto* base = reinterpret_cast<std::byte*>(p.arena.bytes());
    p.scratch.assign(std::size_t(g.nodeCount()), nullptr);
    for (std::size_t n = 0; n < p.scratch.size(); ++n)
        if (layout.scratchOffset[n] >= 0) p.scratch[n] = reinterpret_cast<float*>(base + layout.scratchOffset[n]);
    p.ptr.assign(std::size_t(g.valueCount()), nullptr);
    for (std::size_t v = 0; v < p.ptr.size(); ++v) {
        if (p.buffers.role[v] == ValueRole::Computed) p.ptr[v] = base + layout.offset[v];
        if (p.buffers.role[v] == ValueRole::Constant)
            p.ptr[v] = const_cast<std::byte*>(g.constantOf(g.producer(ValueId(v))).bytes());
    }
    return plan.release();
}

} // namespace strata::cpu
