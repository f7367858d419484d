// Layout of a traced op graph with Graphviz's dot, top to bottom, as app/gui/model/AutoLayout
// lays out a model: boxes of given sizes placed in layers, edges routed as Graphviz draws them.
// When Graphviz fails or the graph is too big for it, boxes are placed by depth in rows.
// A box is an op or a collapsed cluster (TraceFold.h); the expanded clusters are frames
// (TraceClusters.h) that keep their boxes together: Graphviz lays out `subgraph cluster_*`s with
// room for a label on top; the fallback draws each around its boxes. A wire may carry a label
// (a tensor's shape): Graphviz leaves room for it and says where it goes.
#pragma once

#include "app/gui/inspect/TraceClusters.h"
#include "engine/ir/Graph.h"

#include <QPainterPath>
#include <QRectF>
#include <QSizeF>
#include <QString>

#include <utility>
#include <vector>

namespace strata::gui {

// What is laid out: boxes, wires between them and frames around them.
struct TraceLayoutGraph {
    std::vector<QSizeF> sizes;              // per box, in an order where wires mostly go forward
    std::vector<std::pair<int, int>> edges; // distinct (from, to) box pairs, from != to
    std::vector<QString> edgeLabels;        // per edge, or empty: no labels
    std::vector<TraceCluster> clusters;     // frames (parent before child); `nodes` holds box ids
    std::vector<int> boxCluster;            // per box: its innermost frame, -1 for none

    // Every node of `graph` a box of `sizes`, every cluster a frame, no labels.
    static TraceLayoutGraph of(const ir::Graph& graph, const std::vector<QSizeF>& sizes);
};

struct TraceEdge {
    int from = 0, to = 0;  // box ids
    QPainterPath path;     // from the producer's box towards the consumer's box
    QPointF arrowTip;      // where the arrow head touches the consumer
    QPointF arrowBase;     // the middle of the arrow head's base
    QString label;         // "" for none
    QPointF labelCenter;   // where the label goes
};

struct TraceLayoutResult {
    std::vector<QRectF> nodes; // per box, in scene coordinates (y down)
    std::vector<TraceEdge> edges;
    std::vector<TraceCluster> clusters; // with their rects
    bool byGraphviz = false;
};

class TraceLayout {
public:
    // Graphs with more boxes than this are placed by depth without Graphviz (it would take long).
    static constexpr int kMaxGraphvizNodes = 1500;
    // Room around a cluster's nodes, and the height of its label line (scene units = points).
    static constexpr double kClusterMargin = 8.0;
    // `labelHeight`: the frames' label line; `labelFont`: the font the wires' labels are drawn in.
    static TraceLayoutResult dot(const TraceLayoutGraph& graph, double labelHeight = 14.0, double labelPointSize = 8.0);
    // The fallback: rows by depth, straight edges, frames around their boxes.
    static TraceLayoutResult byDepth(const TraceLayoutGraph& graph, double labelHeight = 14.0);
    // Every op of `graph` a box of `sizes` (TraceLayoutGraph::of).
    static TraceLayoutResult dot(const ir::Graph& graph, const std::vector<QSizeF>& sizes, double labelHeight = 14.0);
    static TraceLayoutResult byDepth(const ir::Graph& graph, const std::vector<QSizeF>& sizes, double labelHeight = 14.0);
};

} // namespace strata::gui
