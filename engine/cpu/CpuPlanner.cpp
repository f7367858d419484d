// Planning a graph for the CPU: which nodes run, where every value lives, how big the arena is.
#include "engine/Error.h"
#include "engine/cpu/CpuPlan.h"
#include "engine/cpu/Kernels.h"

#include <algorithm>
#include <limits>

namespace strata::cpu {

using ir::Graph;
using ir::Node;
using ir::OpKind;
using ir::ValueId;

namespace {

constexpr int64_t kAlign = 64;
constexpr int32_t kForever = std::numeric_limits<int32_t>::max();

// First-fit allocator over byte offsets of a virtual arena.
class ArenaAllocator {
public:
    int64_t allocate(int64_t bytes) {
        bytes = (bytes + kAlign - 1) / kAlign * kAlign;
        for (std::size_t i = 0; i < free_.size(); ++i) {
            if (free_[i].size < bytes) continue;
            const int64_t off = free_[i].offset;
            free_[i].offset += bytes;
            free_[i].size -= bytes;
            if (free_[i].size == 0) free_.erase(free_.begin() + std::ptrdiff_t(i));
            return off;
        }
        const int64_t off = top_;
        top_ += bytes;
        peak_ = std::max(peak_, top_);
        return off;
    }
    void release(int64_t offset, int64_t bytes) {
        bytes = (bytes + kAlign - 1) / kAlign * kAlign;
        auto it = std::lower_bound(free_.begin(), free_.end(), offset, [](const Block& b, int64_t o) { return b.offset < o; });
        it = free_.insert(it, Block{offset, bytes});
        if (it + 1 != free_.end() && it->offset + it->size == (it + 1)->offset) { // merge right
            it->size += (it + 1)->size;
            free_.erase(it + 1);
        }
        if (it != free_.begin() && (it - 1)->offset + (it - 1)->size == it->offset) { // merge left
            (it - 1)->size += it->size;
            it = free_.erase(it) - 1;
        }
        if (it->offset + it->size == top_) { // give the tail back
            top_ = it->offset;
            free_.erase(it);
        }
    }
    int64_t peak() const { return peak_; }

private:
    struct Block {
        int64_t offset, size;
    };
    std::vector<Block> free_;
    int64_t top_ = 0, peak_ = 0;
};

bool updatesInPlace(OpKind op) {
    return op == OpKind::AdamUpdate || op == OpKind::Add || op == OpKind::Sub || op == OpKind::Mul ||
           op == OpKind::Div || op == OpKind::UnaryGrad || ir::isUnaryActivation(op);
}

int64_t scratchFloats(const Graph& g, const Node& n) {
    switch (n.op) {
    case OpKind::Conv2D:
        return convScratchFloats(ir::conv2dWindow(g.shape(n.inputs[0]), g.shape(n.inputs[1]), ir::readConv2DAttrs(n.attrs), "conv2d"));
    case OpKind::Conv2DBackpropInput:
        return convScratchFloats(ir::conv2dWindow(g.shape(n.outputs[0]), g.shape(n.inputs[1]), ir::readConv2DAttrs(n.attrs), "conv2d"));
    case OpKind::Conv2DBackpropFilter:
        return convScratchFloats(ir::conv2dWindow(g.shape(n.inputs[0]), g.shape(n.outputs[0]), ir::readConv2DAttrs(n.attrs), "conv2d"));
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
    const auto nValues = std::size_t(g.valueCount());
    for (ValueId v : p.outputList) g.value(v); // throws for foreign ids

    // Needed nodes: those the outputs and assignments depend on.
    std::vector<char> needed(nValues, 0);
    for (ValueId v : p.outputList) needed[std::size_t(v)] = 1;
    for (const auto& a : g.assignments()) needed[std::size_t(a.value)] = 1;
    std::vector<int32_t> order;
    for (int32_t n = g.nodeCount() - 1; n >= 0; --n) {
        const Node& node = g.node(n);
        bool any = false;
        for (ValueId o : node.outputs) any = any || needed[std::size_t(o)];
        if (!any) continue;
        for (ValueId o : node.outputs) needed[std::size_t(o)] = 1;
        for (ValueId i : node.inputs) needed[std::size_t(i)] = 1;
        order.push_back(n);
    }
    std::reverse(order.begin(), order.end());

    // Storage of every value; sources and reshapes need no arena memory.
    p.storage.assign(nValues, Storage::Unused);
    p.offset.assign(nValues, -1);
    p.path.assign(nValues, {});
    std::vector<int32_t> stepOf(std::size_t(g.nodeCount()), -1);
    for (std::size_t s = 0; s < order.size(); ++s) {
        const Node& node = g.node(order[s]);
        stepOf[std::size_t(order[s])] = int32_t(s);
        const auto out = std::size_t(node.outputs[0]);
        switch (node.op) {
        case OpKind::Placeholder: p.storage[out] = Storage::Placeholder, p.placeholders.push_back(ValueId(out)); break;
        case OpKind::Variable:
            p.storage[out] = Storage::Variable, p.path[out] = node.attrs.string("path");
            p.variableValues.push_back(ValueId(out));
            break;
        case OpKind::Constant: p.storage[out] = Storage::Constant; break;
        case OpKind::Reshape: {
            const auto in = std::size_t(node.inputs[0]);
            p.storage[out] = Storage::Alias;
            p.offset[out] = p.storage[in] == Storage::Alias ? p.offset[in] : int64_t(in);
            p.aliases.push_back(ValueId(out));
            break;
        }
        default:
            for (ValueId o : node.outputs) p.storage[std::size_t(o)] = Storage::Arena;
            p.schedule.push_back(order[s]);
        }
    }
    auto root = [&](ValueId v) { return p.storage[std::size_t(v)] == Storage::Alias ? ValueId(p.offset[std::size_t(v)]) : v; };

    // Liveness of roots: the last step that reads them; outputs and assigned values live to the end.
    std::vector<int32_t> lastUse(nValues, -1);
    for (std::size_t s = 0; s < order.size(); ++s)
        for (ValueId i : g.node(order[s]).inputs) lastUse[std::size_t(root(i))] = std::max(lastUse[std::size_t(root(i))], int32_t(s));
    for (ValueId v : p.outputList) lastUse[std::size_t(root(v))] = kForever;
    for (const auto& a : g.assignments()) lastUse[std::size_t(root(a.value))] = kForever;

    // In-place assignments: the producer is elementwise, runs after every other read of the
    // variable, and reads it (if at all) at the same element index it writes.
    std::vector<char> inPlace(g.assignments().size(), 0);
    for (std::size_t ai = 0; ai < g.assignments().size(); ++ai) {
        const auto& a = g.assignments()[ai];
        const auto o = std::size_t(a.value);
        if (p.storage[o] != Storage::Arena || !updatesInPlace(g.producer(a.value).op)) continue;
        if (std::count_if(g.assignments().begin(), g.assignments().end(), [&](const auto& b) { return b.path == a.path; }) != 1)
            continue;
        const int32_t at = stepOf[std::size_t(g.value(a.value).node)];
        const ValueId var = g.findVariable(a.path);
        bool ok = true;
        if (var != ir::kNoValue && p.storage[std::size_t(var)] != Storage::Unused) {
            ok = std::none_of(p.outputList.begin(), p.outputList.end(), [&](ValueId v) { return root(v) == var; });
            for (std::size_t s = 0; ok && s < order.size(); ++s) {
                const Node& node = g.node(order[s]);
                for (ValueId i : node.inputs) {
                    if (root(i) != var) continue;
                    const bool sameIndex = int32_t(s) == at && g.shape(i) == g.shape(a.value);
                    if (int32_t(s) > at || (int32_t(s) == at && !sameIndex)) ok = false;
                }
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

    // Arena offsets: allocate outputs before freeing inputs, so a kernel never reads what it writes.
    ArenaAllocator alloc;
    int64_t scratch = 0;
    std::vector<char> freed(nValues, 0);
    auto bytesOf = [&](ValueId v) { return g.shape(v).numElements() * int64_t(dtypeSize(g.dtype(v))); };
    for (std::size_t s = 0; s < order.size(); ++s) {
        const Node& node = g.node(order[s]);
        scratch = std::max(scratch, scratchFloats(g, node));
        for (ValueId o : node.outputs)
            if (p.storage[std::size_t(o)] == Storage::Arena) p.offset[std::size_t(o)] = alloc.allocate(bytesOf(o));
        auto maybeFree = [&](ValueId v) {
            const auto r = std::size_t(root(v));
            if (p.storage[r] == Storage::Arena && !freed[r] && lastUse[r] <= int32_t(s)) {
                alloc.release(p.offset[r], bytesOf(ValueId(r)));
                freed[r] = 1;
            }
        };
        for (ValueId i : node.inputs) maybeFree(i);
        for (ValueId o : node.outputs) maybeFree(o);
    }
    p.scratchOffset = (alloc.peak() + kAlign - 1) / kAlign * kAlign;
    const int64_t totalFloats = p.scratchOffset / 4 + scratch;
    if (totalFloats > 0) p.arena = Tensor(Shape{totalFloats});
    p.ptr.assign(nValues, nullptr);
    auto* base = reinterpret_cast<std::byte*>(p.arena.bytes());
    for (std::size_t v = 0; v < nValues; ++v) {
        if (p.storage[v] == Storage::Arena) p.ptr[v] = base + p.offset[v];
        if (p.storage[v] == Storage::Constant)
            p.ptr[v] = const_cast<std::byte*>(g.constantOf(g.producer(ValueId(v))).bytes());
    }
    return plan.release();
}

} // namespace strata::cpu
