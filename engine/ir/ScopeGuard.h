// ScopeGuard: sets a graph's scope (Graph.h) for the nodes added while it lives and restores the
// previous scope when it goes, so tracing code marks what it emits with one line per layer:
//
//   for (const Layer* l : layers) {
//       ir::ScopeGuard scope(g, l->path());       // "model/dense_1", "model/encoder/conv_1"
//       y = trace(*l, y);
//   }
//
// The scope given is absolute (a full path), not appended to the current one: module paths
// already nest, and a gradient scope ("gradients/model/dense_1") is not below its caller's.
#pragma once

#include "engine/ir/Graph.h"

#include <string>

namespace strata::ir {

class ScopeGuard {
public:
    ScopeGuard(Graph& g, std::string scope) : g_(g), previous_(g.scope()) { g_.setScope(std::move(scope)); }
    ~ScopeGuard() { g_.setScope(std::move(previous_)); }
    ScopeGuard(const ScopeGuard&) = delete;
    ScopeGuard& operator=(const ScopeGuard&) = delete;

private:
    Graph& g_;
    std::string previous_;
};

// Well-known scopes outside the model's modules.
inline const std::string kLossScope = "loss";
inline const std::string kGradientsScope = "gradients";
inline const std::string kOptimizerScope = "optimizer";

// "gradients/<forward scope>", or "gradients" for a node without a scope.
inline std::string gradientScope(const std::string& forwardScope) {
    return forwardScope.empty() ? kGradientsScope : kGradientsScope + "/" + forwardScope;
}

} // namespace strata::ir
