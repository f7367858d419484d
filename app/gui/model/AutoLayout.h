// Auto-layout of one level of a model with Graphviz's dot (layered). A level flows top to bottom
// (inputs above, wires entering a node's top) unless that layout is wider than tall and the left
// to right one fits a window better; then it flows left to right (wires entering a node's left
// side). The flow of a level is stored with its positions (flowKey), so it is saved, undone and
// renamed with them.
#pragma once

#include "app/gui/model/GraphState.h"

#include <QSizeF>

#include <optional>

namespace strata::gui {

class AutoLayout {
public:
    struct Result {
        Positions positions; // top-left corner of every layer's node, keyed by layer name
        Flow flow = Flow::TopToBottom;
    };
    // `flow` unset: the one that shows the level larger in a window of `window`'s aspect ratio,
    // left to right only when top to bottom is wider than tall. Layers in spec order when Graphviz
    // is unavailable.
    static Result layout(const ModelSpec& spec, std::optional<Flow> flow = std::nullopt,
                         QSizeF window = QSizeF(16, 10));
    // Top to bottom, as layout(spec, Flow::TopToBottom).positions.
    static Positions dot(const ModelSpec& spec);
    // Gives the layers of the model (root level) that have no position one: a model never laid
    // out gets layout()'s (and its flow), one laid out in part gets its stored flow's for the rest.
    static void fillMissing(const ModelSpec& spec, Positions& positions);
};

} // namespace strata::gui
