#include "engine/ir/BufferPlanner.h"

#include <algorithm>

namespace strata::ir {

namespace {

// First-fit allocator over the byte offsets of a virtual arena starting at `base`.
class ArenaAllocator {
public:
    explicit ArenaAllocator(const ArenaOptions& o) : options_(o), top_(o.base), peak_(o.base) {}

    int64_t allocate(int64_t bytes) {
        bytes = options_.slotBytes(bytes);
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
        bytes = options_.slotBytes(bytes);
        auto before = [](const Block& b, int64_t o) { return b.offset < o; };
        auto it = std::lower_bound(free_.begin(), free_.end(), offset, before);
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
    const ArenaOptions& options_;
    std::vector<Block> free_;
    int64_t top_, peak_;
};

bool updatesInPlace(OpKind op) {
    return op == OpKind::AdamUpdate || op == OpKind::Add || op == OpKind::Sub || op == OpKind::Mul ||
           op == OpKind::Div || op == OpKind::UnaryGrad || isUnaryActivation(op);
}

// Needed nodes, in graph order: those the outputs and the assignments depend on.
std::vector<int32_t> neededNodes(const Graph& g, const std::vector<ValueId>& outputs) {
    std::vector<char> needed(std::size_t(g.valueCount()), 0);
    for (ValueId v : outputs) needed[std::size_t(v)] = 1;
    for (const auto& a : g.assignments()) needed[std::size_t(a.value)] = 1;
    std::vector<int32_t> order;
    for (int32_t n = g.nodeCount() - 1; n >= 0; --n) {
        const Node& node = g.node(n);
        auto isNeeded = [&](ValueId o) { return needed[std::size_t(o)] != 0; };
        if (std::none_of(node.outputs.begin(), node.outputs.end(), isNeeded)) continue;
        for (ValueId o : node.outputs) needed[std::size_t(o)] = 1;
        for (ValueId i : node.inputs) needed[std::size_t(i)] = 1;
        order.push_back(n);
    }
    std::reverse(order.begin(), order.end());
    return order;
}

// Role and root of every value the needed nodes produce; the nodes that run kernels.
void classifyValues(const Graph& g, BufferPlan& p) {
    for (int32_t n : p.order) {
        const Node& node = g.node(n);
        const auto out = std::size_t(node.outputs[0]);
        switch (node.op) {
        case OpKind::Placeholder:
            p.role[out] = ValueRole::Placeholder;
            p.placeholders.push_back(ValueId(out));
            break;
        case OpKind::Variable:
            p.role[out] = ValueRole::Variable;
            p.path[out] = node.attrs.string("path");
            p.variableValues.push_back(ValueId(out));
            break;
        case OpKind::Constant: p.role[out] = ValueRole::Constant; break;
        case OpKind::Reshape:
            p.role[out] = ValueRole::View;
            p.root[out] = p.root[std::size_t(node.inputs[0])];
            p.views.push_back(ValueId(out));
            break;
        default:
            for (ValueId o : node.outputs) p.role[std::size_t(o)] = ValueRole::Computed;
            p.schedule.push_back(n);
        }
    }
}

// The last step that reads each root; outputs and assigned values live to the end.
void computeLiveness(const Graph& g, const std::vector<ValueId>& outputs, BufferPlan& p) {
    for (std::size_t s = 0; s < p.order.size(); ++s)
        for (ValueId i : g.node(p.order[s]).inputs) {
            int32_t& last = p.lastUse[std::size_t(p.root[std::size_t(i)])];
            last = std::max(last, int32_t(s));
        }
    for (ValueId v : outputs) p.lastUse[std::size_t(p.root[std::size_t(v)])] = kLiveToEnd;
    for (const auto& a : g.assignments()) p.lastUse[std::size_t(p.root[std::size_t(a.value)])] = kLiveToEnd;
}

// Whether assignment `a` may be computed straight into its variable (see the header's rules).
bool assignsInPlace(const Graph& g, const std::vector<ValueId>& outputs, const BufferPlan& p, const Assignment& a,
                    const std::vector<int32_t>& stepOf) {
    if (p.role[std::size_t(a.value)] != ValueRole::Computed || !updatesInPlace(g.producer(a.value).op)) return false;
    const auto& all = g.assignments();
    if (std::count_if(all.begin(), all.end(), [&](const Assignment& b) { return b.path == a.path; }) != 1) return false;
    const ValueId var = g.findVariable(a.path);
    if (var == kNoValue || p.role[std::size_t(var)] == ValueRole::Unused) return true;
    auto showsVariable = [&](ValueId v) { return p.root[std::size_t(v)] == var; };
    if (std::any_of(outputs.begin(), outputs.end(), showsVariable)) return false;
    const int32_t at = stepOf[std::size_t(g.value(a.value).node)];
    for (std::size_t s = 0; s < p.order.size(); ++s)
        for (ValueId i : g.node(p.order[s]).inputs) {
            if (p.root[std::size_t(i)] != var) continue;
            if (int32_t(s) > at || (int32_t(s) == at && g.shape(i) != g.shape(a.value))) return false;
        }
    return true;
}

// Decided in graph order: a value computed into one variable is copied into any later one.
void decideInPlace(const Graph& g, const std::vector<ValueId>& outputs, BufferPlan& p) {
    std::vector<int32_t> stepOf(std::size_t(g.nodeCount()), -1);
    for (std::size_t s = 0; s < p.order.size(); ++s) stepOf[std::size_t(p.order[s])] = int32_t(s);
    for (const Assignment& a : g.assignments()) {
        if (!assignsInPlace(g, outputs, p, a, stepOf)) {
            p.copies.push_back(a);
            continue;
        }
        p.role[std::size_t(a.value)] = ValueRole::VariableOutput;
        p.path[std::size_t(a.value)] = a.path;
        p.variableValues.push_back(a.value);
    }
}

} // namespace

BufferPlan planBuffers(const Graph& g, const std::vector<ValueId>& outputs) {
    for (ValueId v : outputs) g.value(v); // throws for foreign ids
    const auto nValues = std::size_t(g.valueCount());
    BufferPlan p;
    p.order = neededNodes(g, outputs);
    p.role.assign(nValues, ValueRole::Unused);
    p.root.resize(nValues);
    for (std::size_t v = 0; v < nValues; ++v) p.root[v] = ValueId(v);
    p.lastUse.assign(nValues, -1);
    p.path.assign(nValues, {});
    classifyValues(g, p);
    computeLiveness(g, outputs, p);
    decideInPlace(g, outputs, p);
    return p;
}

int64_t ArenaOptions::slotBytes(int64_t bytes) const {
    return (std::max(bytes, minBytes) + alignment - 1) / alignment * alignment;
}

int64_t valueBytes(const Graph& g, ValueId v) { return g.shape(v).numElements() * int64_t(dtypeSize(g.dtype(v))); }

ArenaLayout layoutArena(const Graph& g, const BufferPlan& plan, const ArenaOptions& options) {
    const auto nValues = std::size_t(g.valueCount());
    ArenaLayout layout;
    layout.offset.assign(nValues, -1);
    layout.scratchOffset.assign(std::size_t(g.nodeCount()), -1);
    layout.scratchBytes.assign(std::size_t(g.nodeCount()), 0);
    std::vector<char> settled(nValues, 0); // fixed by the backend, or released already
    for (ValueId v : options.fixed) settled[std::size_t(v)] = 1;
    auto managed = [&](ValueId v) {
        return plan.role[std::size_t(v)] == ValueRole::Computed && !settled[std::size_t(v)];
    };

    ArenaAllocator alloc(options);
    for (std::size_t s = 0; s < plan.order.size(); ++s) {
        const int32_t n = plan.order[s];
        const Node& node = g.node(n);
        for (ValueId o : node.outputs)
            if (managed(o)) layout.offset[std::size_t(o)] = alloc.allocate(valueBytes(g, o));
        if (const int64_t sb = options.scratchBytes ? options.scratchBytes(g, node) : 0; sb > 0) {
            layout.scratchBytes[std::size_t(n)] = sb;
            layout.scratchOffset[std::size_t(n)] = alloc.allocate(sb);
            alloc.release(layout.scratchOffset[std::size_t(n)], sb);
        }
        auto maybeRelease = [&](ValueId v) {
            const ValueId r = plan.root[std::size_t(v)];
            if (!managed(r) || plan.lastUse[std::size_t(r)] > int32_t(s)) return;
            alloc.release(layout.offset[std::size_t(r)], valueBytes(g, r));
            settled[std::size_t(r)] = 1;
        };
        for (ValueId i : node.inputs) maybeRelease(i);
        for (ValueId o : node.outputs) maybeRelease(o);
    }
    layout.bytes = alloc.peak();
    return layout;
}

} // namespace strata::ir
