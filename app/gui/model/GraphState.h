// What the editor edits: a model spec plus the canvas position of every node, and the delta
// between two such states. Positions are keyed by layer path ("dense", "encoder/dense" inside
// the block "encoder") so one layout covers nested blocks. Undo commands store deltas, not
// copies of the whole model, so a long undo history of a large model stays small.
#pragma once

#include "app/gui/model/SpecLevels.h"

#include "engine/ModelSpec.h"

#include <QPointF>

#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace strata::gui {

using Positions = std::map<std::string, QPointF>;

// Which way a level's wires run: into a node's top (inputs above) or its left side.
enum class Flow { TopToBottom, LeftToRight };
// The positions key that holds a level's flow: present (any value) when it flows left to right.
// "\x02" starts no layer name a person types, and the key moves with the level's layer keys
// (saved, undone, renamed and deleted with them).
std::string flowKey(const LevelPath& path);
bool isFlowKey(const std::string& key);
Flow flowOf(const Positions& positions, const LevelPath& path);
void setFlow(Positions& positions, const LevelPath& path, Flow flow);

struct GraphState {
    ModelSpec spec;
    Positions positions;

    // {"nodes": {"path": [x, y], ...}, "flow": {"": "left-to-right"}}: the canvas layout stored
    // beside a spec in a project ("flow" lists the levels laid out left to right; AutoLayout.h).
    nlohmann::json layoutJson() const;
    // Reads layoutJson(); unknown keys are ignored, malformed entries skipped.
    static Positions positionsFromLayout(const nlohmann::json& layout);
};

bool sameLayer(const LayerSpec& a, const LayerSpec& b);
bool sameSpec(const ModelSpec& a, const ModelSpec& b);

// The change from one GraphState to another: the layers in [start, start + before.size()) are
// replaced by `after`; the model's name and input/output lists; and every position that differs.
struct GraphDelta {
    std::size_t start = 0;
    std::vector<LayerSpec> before, after;
    ModelSpec headBefore, headAfter; // name, inputs, outputs (layers left empty)
    struct Move {
        std::string key;
        std::optional<QPointF> before, after;
    };
    std::vector<Move> moves;

    bool empty() const;
    static GraphDelta between(const GraphState& from, const GraphState& to);
    // Turns `state` (equal to `from`) into `to` (forward) or back (!forward).
    void apply(GraphState& state, bool forward) const;
};

} // namespace strata::gui
