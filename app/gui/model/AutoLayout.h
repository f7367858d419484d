// Auto-layout of one level of a model with Graphviz's dot (layered, top to bottom).
#pragma once

#include "app/gui/model/GraphState.h"

namespace strata::gui {

class AutoLayout {
public:
    // Top-left corner of every layer's node; layers in spec order when Graphviz is unavailable.
    static Positions dot(const ModelSpec& spec);
};

} // namespace strata::gui
