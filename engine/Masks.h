// Masks as graph values (Keras 3's _keras_mask; LayerCall.h): F32 0s and 1s, 1 where a step is
// real, shaped as the masked value without its last axis. Boolean logic is arithmetic on 0/1
// values, so every mask op is an existing IR op on both backends and needs no gradient of its own.
// Also the mask flow without a graph (maskFlow), which the exports use to refuse a model whose
// masks would change what a layer computes.
#pragma once

#include "engine/LayerCall.h"

#include <string>
#include <vector>

namespace strata {
class Model;
}

namespace strata::masks {

// 1 where x != 0, else 0, for any dtype (Keras' ops.not_equal(ids, 0)): 1 - floor(1 - min(|x|, 1)).
ir::ValueId notZero(ir::Graph& g, ir::ValueId x);
ir::ValueId logicalAnd(ir::Graph& g, ir::ValueId a, ir::ValueId b);
ir::ValueId logicalOr(ir::Graph& g, ir::ValueId a, ir::ValueId b); // a + b - a b
// `m` with a trailing axis of 1, to broadcast over the features it masks.
ir::ValueId expandLast(ir::Graph& g, ir::ValueId m);
// where(m, a, b) = b + m (a - b); m broadcasts (0/1 values, finite a and b).
ir::ValueId select(ir::Graph& g, ir::ValueId m, ir::ValueId a, ir::ValueId b);
// Throws StrataError unless `mask` has `value`'s shape without its last axis: "<what> gets a mask
// of shape ... for an input of shape ...".
void requireSequenceMask(const ir::Graph& g, ir::ValueId mask, ir::ValueId value, const char* what);

// The static flow over a graph of layers whose Input layers carry a mask where `inputsMasked`
// says: which outputs carry one, and every layer whose output a mask changes ("layer 'lstm'
// (LSTM): masked steps keep the previous state"), inner layers of blocks included.
struct MaskFlow {
    std::vector<bool> masked;         // per layer of the graph: its output carries a mask
    std::vector<std::string> effects; // one line per layer a mask reaches and changes
};
MaskFlow maskFlow(const LayerGraph& graph, const std::vector<bool>& inputsMasked = {});
// The effects of a built model's masks (maskFlow over its graph), for an export that refuses them:
// empty when no mask reaches a layer whose inference output it changes.
std::vector<std::string> maskEffects(const Model& model);

} // namespace strata::masks
