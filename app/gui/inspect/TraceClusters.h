// The clusters of a drawn traced graph, as TensorBoard groups ops by name scope: one cluster per
// layer (a node's scope, e.g. "model/dense_1") and one per enclosing scope below the model root
// ("model/encoder" around "model/encoder/dense_1"). Outside the model, "gradients/model/dense_1"
// nests in "gradients", never in a cluster for the bare "model".
#pragma once

#include "engine/ir/Graph.h"

#include <QRectF>
#include <QString>

#include <string>
#include <vector>

namespace strata::gui {

struct TraceCluster {
    std::string scope;      // "model/encoder/dense_1"
    QString label;          // relative to the parent cluster, without "model/": "dense_1"
    int parent = -1;        // index of the enclosing cluster, -1 at the top
    int depth = 0;          // 0 at the top
    std::vector<int> nodes; // the nodes whose scope is exactly this one
    QRectF rect;            // in scene coordinates, once laid out (TraceLayout)
};

struct TraceClusterTree {
    std::vector<TraceCluster> clusters; // a parent before its children, in order of first use
    std::vector<int> nodeCluster;       // per node: its innermost cluster, -1 for none

    static TraceClusterTree of(const ir::Graph& graph);
    // Fills each cluster's rect around its nodes' boxes and its children's rects, with `margin`
    // on the sides and below and `labelHeight` more on top (for layouts that do not place clusters).
    void encloseNodes(const std::vector<QRectF>& nodeRects, double margin, double labelHeight);
};

} // namespace strata::gui
