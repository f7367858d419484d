// Layout of a traced op graph with Graphviz's dot, top to bottom, as app/gui/model/AutoLayout
// lays out a model: boxes of given sizes placed in layers, edges routed as Graphviz draws them.
// When Graphviz fails or the graph is too big for it, nodes are placed by depth in rows.
// Each layer's nodes are kept together in a cluster (TraceClusters.h): Graphviz lays out
// `subgraph cluster_*`s with room for a label on top; the fallback draws each around its nodes.
#pragma once

#include "app/gui/inspect/TraceClusters.h"
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
    std::vector<TraceCluster> clusters; // with their rects
    bool byGraphviz = false;
};

class TraceLayout {
public:
    // Graphs with more nodes than this are placed by depth without Graphviz (it would take long).
    static constexpr int kMaxGraphvizNodes = 1500;
    // Room around a cluster's nodes, and the height of its label line (scene units = points).
    static constexpr double kClusterMargin = 8.0;
    // `sizes`: one box size per node of `graph`; `labelHeight`: the clusters' label line.
    static TraceLayoutResult dot(const ir::Graph& graph, const std::vector<QSizeF>& sizes, double labelHeight = 14.0);
    // The fallback: rows by depth from the sources, straight edges, clusters around their nodes.
    static TraceLayoutResult byDepth(const ir::Graph& graph, const std::vector<QSizeF>& sizes, double labelHeight = 14.0);
};

} // namespace strata::gui
