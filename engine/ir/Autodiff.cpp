#include "engine/ir/Autodiff.h"

#include "engine/Error.h"
#include "engine/ir/ScopeGuard.h"

namespace strata::ir {

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
    for (int32_t n = forwardNodes - 1; n >= 0; --n) {
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
    std::vector<ValueId> result;
    result.reserve(wrt.size());
    for (ValueId v : wrt) result.push_back(acc[std::size_t(v)]);
    return result;
}

} // namespace strata::ir
