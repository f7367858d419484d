// Planning a graph for the device: the shared buffer plan (engine/ir/BufferPlanner.h), so both
// backends keep the same semantics (in-place optimizer updates, assignments applied after the
// run, fetches before them), laid out in the device's buffers: feeds, the status word and the
// gradients of Adam updates at fixed places, the rest of the arena by liveness, constants in
// their own buffer, fetches and status in the readback buffer.
#include "gpu/VulkanPlan.h"
#include "gpu/kernels/KernelContext.h"

#include <algorithm>

namespace strata::gpu {

using ir::Graph;
using ir::Node;
using ir::OpKind;
using ir::ValueId;
using ir::ValueRole;

namespace {

// Feeds at the start of the arena, in the order of plan.placeholders.
void placeFeeds(VulkanPlan& p, const ir::ArenaOptions& slots) {
    for (ValueId v : p.buffers.placeholders) {
        p.offset[std::size_t(v)] = p.feedBytes;
        p.feedBytes += slots.slotBytes(ir::valueBytes(p.graph, v));
    }
}

void placeConstants(VulkanPlan& p, const ir::ArenaOptions& slots) {
    for (ValueId v = 0; v < p.graph.valueCount(); ++v) {
        if (p.buffers.role[std::size_t(v)] != ValueRole::Constant) continue;
        p.offset[std::size_t(v)] = p.constantBytes;
        p.constantBytes += slots.slotBytes(ir::valueBytes(p.graph, v));
    }
}

// The gradients of Adam updates side by side after the status word, so a step's gradients are
// one range; returns them, for the liveness layout to leave alone.
std::vector<ValueId> placeGradients(VulkanPlan& p, const ir::ArenaOptions& slots) {
    const Graph& g = p.graph;
    std::vector<ValueId> grads;
    for (int32_t n : p.buffers.schedule) {
        const Node& node = g.node(n);
        if (node.op != OpKind::AdamUpdate) continue;
        const ValueId grad = p.root(node.inputs[1]);
        const bool placed = std::find(grads.begin(), grads.end(), grad) != grads.end();
        if (p.buffers.role[std::size_t(grad)] != ValueRole::Computed || placed) continue;
        grads.push_back(grad);
        p.offset[std::size_t(grad)] = p.gradientOffset + p.gradientBytes;
        p.gradientBytes += slots.slotBytes(ir::valueBytes(g, grad));
    }
    return grads;
}

void placeReadback(VulkanPlan& p, const ir::ArenaOptions& slots) {
    p.readbackBytes = 0;
    for (ValueId v : p.outputList) {
        p.fetchOffset.push_back(p.readbackBytes);
        p.readbackBytes += slots.slotBytes(ir::valueBytes(p.graph, v));
    }
    p.readbackStatus = p.readbackBytes;
    p.readbackBytes += 16;
}

// Fuses `y = matmul(...) + bias` (and conv2d + bias) into the GEMM's store: the Add runs no kernel,
// its output becomes a view of the product (whose memory then lives as long as either), and the
// GEMM adds bias[column] as it writes. Only where the product has no other reader (nor is it
// fetched or assigned) and the bias is a vector over the product's last axis, so nothing can
// observe the product without its bias. A dense or convolution layer then takes one dispatch and
// one barrier less, forward.
void fuseBiasAdds(VulkanPlan& p) {
    const Graph& g = p.graph;
    ir::BufferPlan& b = p.buffers;
    p.fusedBias.assign(std::size_t(g.nodeCount()), ir::kNoValue);
    std::vector<int32_t> readers(std::size_t(g.valueCount()), 0); // per root: nodes reading it
    for (int32_t n : b.order)
        for (ValueId i : g.node(n).inputs) ++readers[std::size_t(b.root[std::size_t(i)])];
    std::vector<char> fused(std::size_t(g.nodeCount()), 0), skipped(std::size_t(g.nodeCount()), 0);
    for (int32_t n : b.schedule) {
        const Node& add = g.node(n);
        if (add.op != OpKind::Add || add.inputs.size() != 2) continue;
        for (int side = 0; side < 2; ++side) {
            const ValueId m = add.inputs[std::size_t(side)], bias = add.inputs[std::size_t(1 - side)], y = add.outputs[0];
            const Node& producer = g.producer(m);
            if (producer.op != OpKind::MatMul && producer.op != OpKind::Conv2D) continue;
            const ir::Value& mv = g.value(m);
            const Shape& ms = mv.shape;
            if (mv.dtype != DType::F32 || ms.rank() < 2 || g.value(bias).dtype != DType::F32 || g.shape(bias) != Shape{ms.back()} ||
                g.shape(y) != ms)
                continue;
            if (b.root[std::size_t(m)] != m || b.role[std::size_t(m)] != ValueRole::Computed || readers[std::size_t(m)] != 1 ||
                b.lastUse[std::size_t(m)] == ir::kLiveToEnd)
                continue;
            if (b.root[std::size_t(y)] != y || b.role[std::size_t(y)] != ValueRole::Computed) continue;
            const ValueRole br = b.role[std::size_t(b.root[std::size_t(bias)])]; // there before the GEMM runs
            if (br != ValueRole::Variable && br != ValueRole::Constant && br != ValueRole::Placeholder) continue;
            // An empty inner dimension is a fill, which adds no bias.
            const Shape& as = g.shape(producer.inputs[0]);
            if (producer.op == OpKind::MatMul ? as[producer.attrs.integer("transpose_a") != 0 ? 0 : 1] == 0 : as.back() == 0) continue;
            const int32_t gemmNode = g.value(m).node;
            if (fused[std::size_t(gemmNode)]) continue;
            fused[std::size_t(gemmNode)] = 1;
            p.fusedBias[std::size_t(gemmNode)] = bias;
            b.role[std::size_t(y)] = ValueRole::View;
            for (ValueId& r : b.root)
                if (r == y) r = m; // y and the views of y
            b.views.push_back(y);
            b.lastUse[std::size_t(m)] = std::max(b.lastUse[std::size_t(m)], b.lastUse[std::size_t(y)]);
            skipped[std::size_t(n)] = 1;
            break;
        }
    }
    std::erase_if(b.schedule, [&](int32_t n) { return skipped[std::size_t(n)] != 0; });
}

} // namespace

std::unique_ptr<VulkanPlan> planGraph(const Graph& source, std::vector<ValueId> outputs, int64_t align) {
    auto plan = std::make_unique<VulkanPlan>();
    VulkanPlan& p = *plan;
    p.graph = source;
    p.outputList = std::move(outputs);
    const Graph& g = p.graph;
    p.buffers = ir::planBuffers(g, p.outputList);
    fuseBiasAdds(p);
    p.offset.assign(std::size_t(g.valueCount()), -1);

    // A descriptor range is never empty, so every slot holds at least one element.
    ir::ArenaOptions arena{.alignment = align, .minBytes = 4, .scratchBytes = scratchBytes};
    placeFeeds(p, arena);
    placeConstants(p, arena);
    p.statusOffset = p.feedBytes;
    p.gradientOffset = p.statusOffset + align;
    arena.fixed = placeGradients(p, arena);
    arena.base = p.gradientOffset + p.gradientBytes;

    const ir::ArenaLayout layout = ir::layoutArena(g, p.buffers, arena);
    for (std::size_t v = 0; v < p.offset.size(); ++v)
        if (layout.offset[v] >= 0) p.offset[v] = layout.offset[v];
    p.scratchOffset = layout.scratchOffset;
    p.scratchSize = layout.scratchBytes;
    p.arenaBytes = layout.bytes;
    placeReadback(p, arena);
    return plan;
}

} // namespace strata::gpu
