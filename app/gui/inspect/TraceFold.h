// What the traced-graph viewer draws when some clusters are collapsed, as TensorBoard draws name
// scopes: a collapsed cluster whose enclosing clusters are all expanded is one box; an op is its
// own box when every cluster around it is expanded (or it is in none); the expanded clusters
// are frames. Wires are the op edges between different boxes, one per pair of boxes (so none
// inside a collapsed cluster), each knowing whether it carries one tensor or several.
#pragma once

#include "app/gui/inspect/TraceLayout.h"

#include <vector>

namespace strata::gui {

struct TraceFold {
    struct Box {
        int node = -1;    // the op it draws, or -1
        int cluster = -1; // the collapsed cluster it draws, or -1
    };
    std::vector<Box> boxes;            // in order of their first node
    std::vector<int> nodeBox;          // per node: the box that draws it
    std::vector<int> clusterBox;       // per cluster: its box when drawn collapsed, else -1
    std::vector<int> frames;           // the expanded clusters drawn, a parent before its children
    std::vector<int> clusterFrame;     // per cluster: its index in `frames`, else -1
    std::vector<int> boxFrame;         // per box: the innermost frame around it, -1 for none
    std::vector<std::pair<int, int>> edges; // distinct (from, to) box pairs, never from == to
    std::vector<ir::ValueId> edgeValue;     // per edge: the one value it carries, kNoValue for several
    std::vector<std::vector<ir::ValueId>> boxOutputs; // per collapsed box: values it hands on (not to the backward pass)
    std::vector<int> clusterNodeCount; // per cluster: the nodes in it and in the clusters inside it

    // `expanded`: per cluster of `tree`, whether it is drawn open.
    static TraceFold of(const ir::Graph& graph, const std::vector<ir::ValueId>& graphOutputs,
                        const TraceClusterTree& tree, const std::vector<bool>& expanded);
    // The layout input: one size per box, the frames as clusters (their `nodes`: box ids).
    TraceLayoutGraph layoutGraph(const TraceClusterTree& tree, std::vector<QSizeF> sizes,
                                 std::vector<QString> edgeLabels) const;
};

} // namespace strata::gui
