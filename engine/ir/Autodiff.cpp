#include "engine/ir/Autodiff.h"

#include "engine/Error.h"
#include "engine/ir/ScopeGuard.h"

#include <algorithm>

namespace strata::ir {

namespace {

// The gradient a Slice passes back: dy for the elements [begin, begin + size) of `axis`.
struct SliceGrad {
    int64_t axis, begin, size;
    ValueId dy;
    std::string scope;
};

// The gradients of slices of one value as few tensors as possible: each run of slices that do not
// overlap along one axis is one Concat of their dys with zeros in the gaps (an LSTM's gates and
// steps cover whole tensors, so no zeros at all), instead of one zero-padded copy per slice summed
// one by one (which made a step's gradient quadratic in the sequence length). Returns the sum.
ValueId sliceGradients(Graph& g, ValueId v, std::vector<SliceGrad> pending) {
    std::stable_sort(pending.begin(), pending.end(),
                     [](const SliceGrad& a, const SliceGrad& b) { return a.axis != b.axis ? a.axis < b.axis : a.begin < b.begin; });
    const Shape full = g.shape(v);
    ValueId total = kNoValue;
    while (!pending.empty()) {
        const int64_t axis = pending.front().axis;
        g.setScope(gradientScope(pending.front().scope));
        std::vector<ValueId> parts;
        std::vector<SliceGrad> rest;
        int64_t at = 0;
        auto zerosUpTo = [&](int64_t end) {
            if (end <= at) return;
            std::vector<int64_t> d = full.dims();
            d[std::size_t(axis)] = end - at;
            parts.push_back(g.constant(Tensor(Shape(d))));
        };
        for (const SliceGrad& s : pending) {
            if (s.axis != axis || s.begin < at) { // another axis, or overlapping the run: a later run
                rest.push_back(s);
                continue;
            }
            zerosUpTo(s.begin);
            parts.push_back(s.dy);
            at = s.begin + s.size;
        }
        zerosUpTo(full[std::size_t(axis)]);
        const ValueId run = parts.size() == 1 ? parts[0] : g.concat(parts, axis);
        total = total == kNoValue ? run : g.add(total, run);
        pending = std::move(rest);
    }
    return total;
}

} // namespace

std::vector<ValueId> gradients(Graph& g, ValueId loss, const std::vector<ValueId>& wrt) {
    if (loss < 0 || loss >= g.valueCount()) throw StrataError("gradients: loss is not a value of this graph");
    if (g.dtype(loss) != DType::F32) throw StrataError("gradients: loss must be float32");
    const int32_t forwardNodes = g.nodeCount();
    const auto nValues = std::size_t(g.valueCount());

    // needsGrad[v]: v depends on some wrt value.
    std::vector<bool> needsGrad(nValues, false);
    for (ValueId v : wrt) {
        if (v < 0 || std::size_t(v) >= nValues) throw StrataError("gradients: a wrt value is not in this graph");
        if (g.dtype(v) == DType::F32) needsGrad[std::size_t(v)] = true;
    }
    for (int32_t n = 0; n < forwardNodes; ++n) {
        const Node& node = g.node(n);
        bool any = false;
        for (ValueId in : node.inputs) any = any || needsGrad[std::size_t(in)];
        if (any)
            for (ValueId out : node.outputs) needsGrad[std::size_t(out)] = needsGrad[std::size_t(out)] || g.dtype(out) == DType::F32;
    }

    std::vector<ValueId> acc(nValues, kNoValue);
    ScopeGuard scope(g, kGradientsScope);
    if (needsGrad[std::size_t(loss)]) {
        Tensor ones(g.shape(loss));
        ones.fill(1.0f);
        acc[std::size_t(loss)] = g.constant(std::move(ones));
    }
    // Slices' gradients wait until every consumer of their input has given its gradient.
    std::vector<std::vector<SliceGrad>> pendingSlices(nValues);
    auto settle = [&](ValueId v) {
        auto& p = pendingSlices[std::size_t(v)];
        if (p.empty()) return;
        const ValueId sum = sliceGradients(g, v, std::move(p));
        p.clear();
        acc[std::size_t(v)] = acc[std::size_t(v)] == kNoValue ? sum : g.add(acc[std::size_t(v)], sum);
    };
    for (int32_t n = forwardNodes - 1; n >= 0; --n) {
        for (ValueId out : Node(g.node(n)).outputs) settle(out);
        const Node& node = g.node(n);
        bool flows = false;
        for (ValueId out : node.outputs) flows = flows || (acc[std::size_t(out)] != kNoValue && needsGrad[std::size_t(out)]);
        if (!flows || node.inputs.empty()) continue;
        GradContext c{g, node, {}, {}, {}};
        for (ValueId out : c.node.outputs) c.dy.push_back(acc[std::size_t(out)]);
        bool anyNeeds = false;
        for (ValueId in : c.node.inputs) {
            c.needs.push_back(needsGrad[std::size_t(in)]);
            anyNeeds = anyNeeds || needsGrad[std::size_t(in)];
        }
        if (!anyNeeds) continue;
        if (c.node.op == OpKind::Slice) {
            pendingSlices[std::size_t(c.node.inputs[0])].push_back({c.node.attrs.integer("axis"), c.node.attrs.integer("begin"),
                                                                   c.node.attrs.integer("size"), c.dy[0], c.node.scope});
            continue;
        }
        GradRule rule = gradRule(c.node.op);
        if (!rule)
            throw StrataError("gradients: op '" + std::string(opName(c.node.op)) + "' (node " + std::to_string(n) +
                              ") is not differentiable");
        c.dx.assign(c.node.inputs.size(), kNoValue);
        // The rule's ops and the sums of its gradients with earlier ones: below the forward scope.
        g.setScope(gradientScope(c.node.scope));
        rule(c);
        for (std::size_t i = 0; i < c.node.inputs.size(); ++i) {
            if (!c.needs[i] || c.dx[i] == kNoValue) continue;
            const auto in = std::size_t(c.node.inputs[i]);
            if (g.shape(c.dx[i]) != g.shape(ValueId(in)))
                throw StrataError("gradients: rule for '" + std::string(opName(c.node.op)) + "' produced " +
                                  g.shape(c.dx[i]).toString() + " for an input of shape " + g.shape(ValueId(in)).toString());
            acc[in] = acc[in] == kNoValue ? c.dx[i] : g.add(acc[in], c.dx[i]);
        }
    }
    for (ValueId v : wrt) settle(v);
    std::vector<ValueId> result;
    result.reserve(wrt.size());
    for (ValueId v : wrt) result.push_back(acc[std::size_t(v)]);
    return result;
}

} // namespace strata::ir
