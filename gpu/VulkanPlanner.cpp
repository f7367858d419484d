// Planning a graph for the device: which nodes run, where every value lives, how big the arena
// is. The rules follow engine/cpu/CpuPlanner.cpp, so both backends keep the same semantics
// (in-place optimizer updates, assignments applied after the run, fetches before them).
#include "engine/Error.h"
#include "gpu/VulkanPlan.h"
#include "gpu/kernels/KernelContext.h"

#include <algorithm>
#include <limits>

namespace strata::gpu {

using ir::Graph;
using ir::Node;
using ir::OpKind;
using ir::ValueId;

namespace {

constexpr int32_t kForever = std::numeric_limits<int32_t>::max();

// First-fit allocator over byte offsets of a virtual arena starting at `base`.
class ArenaAllocator {
public:
    ArenaAllocator(int64_t base, int64_t align) : align_(align), top_(base), peak_(base) {}
    int64_t allocate(int64_t bytes) {
        bytes = round(bytes);
        for (std::size_t i = 0; i < free_.size(); ++i) {
            if (free_[i].size < bytes) continue;
            const int64_t off = free_[i].offset;
            free_[i].offset += bytes, free_[i].size -= bytes;
            if (free_[i].size == 0) free_.erase(free_.begin() + std::ptrdiff_t(i));
            return off;
        }
        const int64_t off = top_;
        top_ += bytes;
        peak_ = std::max(peak_, top_);
        return off;
    }
    void release(int64_t offset, int64_t bytes) {
        bytes = round(bytes);
        auto it = std::lower_bound(free_.begin(), free_.end(), offset, [](const Block& b, int64_t o) { return b.offset < o; });
        it = free_.insert(it, Block{offset, bytes});
        if (it + 1 != free_.end() && it->offset + it->size == (it + 1)->offset) it->size += (it + 1)->size, free_.erase(it + 1);
        if (it != free_.begin() && (it - 1)->offset + (it - 1)->size == it->offset) {
            (it - 1)->size += it->size;
            it = free_.erase(it) - 1;
        }
        if (it->offset + it->size == top_) top_ = it->offset, free_.erase(it);
    }
    int64_t peak() const { return peak_; }
    int64_t round(int64_t b) const { return (std::max<int64_t>(b, 4) + align_ - 1) / align_ * align_; }

private:
    struct Block {
        int64_t offset, size;
    };
    int64_t align_;
    std::vector<Block> free_;
    int64_t top_, peak_;
};

bool updatesInPlace(OpKind op) {
    return op == OpKind::AdamUpdate || op == OpKind::Add || op == OpKind::Sub || op == OpKind::Mul || op == OpKind::Div ||
           op == OpKind::UnaryGrad || ir::isUnaryActivation(op);
}

} // namespace

std::unique_ptr<VulkanPlan> planGraph(const Graph& source, std::vector<ValueId> outputs, int64_t align) {
    auto plan = std::make_unique<VulkanPlan>();
    VulkanPlan& p = *plan;
    p.graph = source;
    p.outputList = std::move(outputs);
    const Graph& g = p.graph;
    const auto nValues = std::size_t(g.valueCount());
    for (ValueId v : p.outputList) g.value(v); // throws for foreign ids
    auto bytesOf = [&](ValueId v) { return g.shape(v).numElements() * 4; };
    auto rounded = [&](int64_t b) { return (std::max<int64_t>(b, 4) + align - 1) / align * align; };

    // Needed nodes: those the outputs and assignments depend on.
    std::vector<char> needed(nValues, 0);
    for (ValueId v : p.outputList) needed[std::size_t(v)] = 1;
    for (const auto& a : g.assignments()) needed[std::size_t(a.value)] = 1;
    std::vector<int32_t> order;
    for (int32_t n = g.nodeCount() - 1; n >= 0; --n) {
        const Node& node = g.node(n);
        if (std::none_of(node.outputs.begin(), node.outputs.end(), [&](ValueId o) { return needed[std::size_t(o)]; })) continue;
        for (ValueId o : node.outputs) needed[std::size_t(o)] = 1;
        for (ValueId i : node.inputs) needed[std::size_t(i)] = 1;
        order.push_back(n);
    }
    std::reverse(order.begin(), order.end());

    p.storage.assign(nValues, Storage::Unused);
    p.offset.assign(nValues, -1);
    p.path.assign(nValues, {});
    p.scratchOffset.assign(std::size_t(g.nodeCount()), -1);
    p.scratchSize.assign(std::size_t(g.nodeCount()), 0);
    std::vector<int32_t> stepOf(std::size_t(g.nodeCount()), -1);
    for (std::size_t s = 0; s < order.size(); ++s) {
        const Node& node = g.node(order[s]);
        stepOf[std::size_t(order[s])] = int32_t(s);
        const auto out = std::size_t(node.outputs[0]);
        switch (node.op) {
        case OpKind::Placeholder:
            p.storage[out] = Storage::Arena, p.offset[out] = p.feedBytes, p.feedBytes += rounded(bytesOf(ValueId(out)));
            p.placeholders.push_back(ValueId(out));
            break;
        case OpKind::Variable:
            p.storage[out] = Storage::Variable, p.path[out] = node.attrs.string("path");
            p.variableValues.push_back(ValueId(out));
            break;
        case OpKind::Constant:
            p.storage[out] = Storage::Constant, p.offset[out] = p.constantBytes, p.constantBytes += rounded(bytesOf(ValueId(out)));
            break;
        case OpKind::Reshape: {
            const auto in = std::size_t(node.inputs[0]);
            p.storage[out] = Storage::Alias;
            p.offset[out] = p.storage[in] == Storage::Alias ? p.offset[in] : int64_t(in);
            break;
        }
        default:
            for (ValueId o : node.outputs) p.storage[std::size_t(o)] = Storage::Arena;
            p.schedule.push_back(order[s]);
        }
    }
    auto root = [&](ValueId v) { return p.root(v); };

    std::vector<int32_t> lastUse(nValues, -1);
    for (std::size_t s = 0; s < order.size(); ++s)
        for (ValueId i : g.node(order[s]).inputs) lastUse[std::size_t(root(i))] = std::max(lastUse[std::size_t(root(i))], int32_t(s));
    for (ValueId v : p.outputList) lastUse[std::size_t(root(v))] = kForever;
    for (const auto& a : g.assignments()) lastUse[std::size_t(root(a.value))] = kForever;

    // In-place assignments (the CPU planner's rule): the producer is elementwise, runs after every
    // other read of the variable, and reads it (if at all) at the same element index it writes.
    std::vector<char> inPlace(g.assignments().size(), 0);
    for (std::size_t ai = 0; ai < g.assignments().size(); ++ai) {
        const auto& a = g.assignments()[ai];
        const auto o = std::size_t(a.value);
        if (p.storage[o] != Storage::Arena || g.producer(a.value).op == OpKind::Placeholder ||
            !updatesInPlace(g.producer(a.value).op))
            continue;
        if (std::count_if(g.assignments().begin(), g.assignments().end(), [&](const auto& b) { return b.path == a.path; }) != 1)
            continue;
        const int32_t at = stepOf[std::size_t(g.value(a.value).node)];
        const ValueId var = g.findVariable(a.path);
        bool ok = true;
        if (var != ir::kNoValue && p.storage[std::size_t(var)] != Storage::Unused) {
            ok = std::none_of(p.outputList.begin(), p.outputList.end(), [&](ValueId v) { return root(v) == var; });
            for (std::size_t s = 0; ok && s < order.size(); ++s)
                for (ValueId i : g.node(order[s]).inputs) {
                    if (root(i) != var) continue;
                    const bool sameIndex = int32_t(s) == at && g.shape(i) == g.shape(a.value);
                    if (int32_t(s) > at || (int32_t(s) == at && !sameIndex)) ok = false;
                }
        }
        if (!ok) continue;
        inPlace[ai] = 1;
        p.storage[o] = Storage::VariableOutput;
        p.path[o] = a.path;
        p.variableValues.push_back(ValueId(o));
    }
    for (std::size_t ai = 0; ai < g.assignments().size(); ++ai)
        if (!inPlace[ai]) p.copies.push_back(g.assignments()[ai]);

    // Fixed regions: feeds (placed above), the status word, gradients of Adam updates.
    p.statusOffset = p.feedBytes;
    p.gradientOffset = p.statusOffset + align;
    std::vector<char> fixed(nValues, 0);
    for (int32_t n : p.schedule) {
        const Node& node = g.node(n);
        if (node.op != OpKind::AdamUpdate) continue;
        const auto grad = std::size_t(root(node.inputs[1]));
        if (p.storage[grad] != Storage::Arena || fixed[grad] || g.producer(ValueId(grad)).op == OpKind::Placeholder) continue;
        fixed[grad] = 1;
        p.offset[grad] = p.gradientOffset + p.gradientBytes;
        p.gradientBytes += rounded(bytesOf(ValueId(grad)));
    }
    for (ValueId v : p.placeholders) fixed[std::size_t(v)] = 1;

    // Everything else by liveness; outputs before inputs are freed, so no kernel reads what it writes.
    ArenaAllocator alloc(p.gradientOffset + p.gradientBytes, align);
    std::vector<char> freed(nValues, 0);
    for (std::size_t s = 0; s < order.size(); ++s) {
        const Node& node = g.node(order[s]);
        for (ValueId o : node.outputs)
            if (p.storage[std::size_t(o)] == Storage::Arena && !fixed[std::size_t(o)]) p.offset[std::size_t(o)] = alloc.allocate(bytesOf(o));
        if (const int64_t sb = scratchBytes(g, node); sb > 0) {
            p.scratchSize[std::size_t(order[s])] = sb;
            p.scratchOffset[std::size_t(order[s])] = alloc.allocate(sb);
            alloc.release(p.scratchOffset[std::size_t(order[s])], sb); // free again after this node: the next
        }                                                             // allocation comes after the outputs
        auto maybeFree = [&](ValueId v) {
            const auto r = std::size_t(root(v));
            if (p.storage[r] == Storage::Arena && !fixed[r] && !freed[r] && lastUse[r] <= int32_t(s)) {
                alloc.release(p.offset[r], bytesOf(ValueId(r)));
                freed[r] = 1;
            }
        };
        for (ValueId i : node.inputs) maybeFree(i);
        for (ValueId o : node.outputs) maybeFree(o);
    }
    p.arenaBytes = alloc.peak();

    p.readbackBytes = 0;
    for (ValueId v : p.outputList) p.fetchOffset.push_back(p.readbackBytes), p.readbackBytes += rounded(bytesOf(v));
    p.readbackStatus = p.readbackBytes;
    p.readbackBytes += 16;
    return plan;
}

} // namespace strata::gpu
