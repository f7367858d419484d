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

} // namespace

std::unique_ptr<VulkanPlan> planGraph(const Graph& source, std::vector<ValueId> outputs, int64_t align) {
    auto plan = std::make_unique<VulkanPlan>();
    VulkanPlan& p = *plan;
    p.graph = source;
    p.outputList = std::move(outputs);
    const Graph& g = p.graph;
    p.buffers = ir::planBuffers(g, p.outputList);
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
