// Reverse-mode automatic differentiation on the IR: appends the backward graph to `g`.
//
//   std::vector<ValueId> grads = gradients(g, loss, {kernel, bias});
//
// Only nodes on a path from some `wrt` value to `loss` are differentiated, and only inputs that
// lead back to a `wrt` value get gradient ops, so leaving a frozen variable out of `wrt` costs
// nothing. A `wrt` value that does not reach the loss gets kNoValue. A non-scalar loss is
// differentiated as the sum of its elements. The rules (one per primitive) are the table in
// GradRules.cpp; a primitive without a rule on the path is a StrataError naming the op.
// Each gradient op takes the scope "gradients/<scope of the forward op it differentiates>"
// (ScopeGuard.h); the seed of ones is in "gradients". The graph's scope is restored afterwards.
#pragma once

#include "engine/ir/Graph.h"

#include <vector>

namespace strata::ir {

std::vector<ValueId> gradients(Graph& g, ValueId loss, const std::vector<ValueId>& wrt);

// What a gradient rule sees: the forward node, the gradient of each output (kNoValue where no
// gradient flows), which inputs need a gradient; it fills dx (one per input, kNoValue = none).
struct GradContext {
    Graph& g;
    Node node; // a copy: rules append nodes, which may move the graph's storage
    std::vector<ValueId> dy;
    std::vector<bool> needs;
    std::vector<ValueId> dx;

    ValueId x(std::size_t i) const { return node.inputs[i]; }
    ValueId y(std::size_t i = 0) const { return node.outputs[i]; }
    // A copy for the same reason: a reference into the graph's values dangles once a rule adds one.
    Shape xs(std::size_t i) const { return g.shape(node.inputs[i]); }
};

using GradRule = void (*)(GradContext&);
// nullptr for ops that are not differentiable (sources, backward-only ops, optimizer ops).
GradRule gradRule(OpKind op);

} // namespace strata::ir
