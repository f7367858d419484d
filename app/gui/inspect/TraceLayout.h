// Layout of a traced op graph with Graphviz's dot, top to bottom, as app/gui/model/AutoLayout
// lays out a model: boxes of given sizes placed in layers, edges routed as Graphviz draws them.
// When Graphviz fails or the graph is too big for it, nodes are placed by depth in rows.
#pragma once

#include "engine/ir/Graph.h"

#include <QPainterPath>
#include <QRectF>
#include <QSizeF>

#include <vector>

namespace strata::gui {

struct TraceEdge {
    int from = 0, to = 0;  // node ids: the producer of one of `to`'s inputs
    QPainterPath path;     // from the producer's box towards the consumer's box
    QPointF arrowTip;      // where the arrow head touches the consumer
    QPointF arrowBase;     // the middle of the arrow head's base
};

struct TraceLayoutResult {
    std::vector<QRectF> nodes; // per node id, in scene coordinates (y down)
    std::vector<TraceEdge> edges;
    bool byGraphviz = false;
};

class TraceLayout {
public:
    // Graphs with more nodes than this are placed by depth without Graphviz (it would take long).
    static constexpr int kMaxGraphvizNodes = 1500;
    // `sizes`: one box size per node of `graph`.
    static TraceLayoutResult dot(const ir::Graph& graph, const std::vector<QSizeF>& sizes);
    // The fallback: rows by depth from the sources, straight edges.
    static TraceLayoutResult byDepth(const ir::Graph& graph, const std::vector<QSizeF>& sizes);
};

} // namespace strata::gui
