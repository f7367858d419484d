#include "app/gui/inspect/TraceFold.h"

#include <algorithm>
#include <map>
#include <string_view>

namespace strata::gui {

TraceFold TraceFold::of(const ir::Graph& graph, const std::vector<ir::ValueId>& graphOutputs,
                        const TraceClusterTree& tree, const std::vector<bool>& expanded) {
    TraceFold f;
    const std::size_t clusters = tree.clusters.size();
    f.clusterBox.assign(clusters, -1);
    f.clusterFrame.assign(clusters, -1);
    f.clusterNodeCount.assign(clusters, 0);
    // Open when it and every cluster around it are expanded (parents come first).
    std::vector<bool> open(clusters, false);
    for (std::size_t k = 0; k < clusters; ++k) {
        const int parent = tree.clusters[k].parent;
        open[k] = k < expanded.size() && expanded[k] && (parent < 0 || open[std::size_t(parent)]);
        if (open[k]) {
            f.clusterFrame[k] = int(f.frames.size());
            f.frames.push_back(int(k));
        }
    }
    f.nodeBox.assign(std::size_t(graph.nodeCount()), -1);
    for (int n = 0; n < graph.nodeCount(); ++n) {
        // Innermost first: the outermost cluster that is not open draws the node.
        int collapsed = -1, innermostOpen = -1;
        for (int c = tree.nodeCluster[std::size_t(n)]; c >= 0; c = tree.clusters[std::size_t(c)].parent) {
            ++f.clusterNodeCount[std::size_t(c)];
            if (!open[std::size_t(c)]) collapsed = c;
            else if (innermostOpen < 0) innermostOpen = c;
        }
        int box = collapsed >= 0 ? f.clusterBox[std::size_t(collapsed)] : -1;
        if (box < 0) {
            box = int(f.boxes.size());
            f.boxes.push_back(collapsed >= 0 ? Box{-1, collapsed} : Box{n, -1});
            // A collapsed box sits in its parent's frame (open, or it would not be drawn).
            const int frameCluster = collapsed >= 0 ? tree.clusters[std::size_t(collapsed)].parent : innermostOpen;
            f.boxFrame.push_back(frameCluster >= 0 ? f.clusterFrame[std::size_t(frameCluster)] : -1);
            if (collapsed >= 0) f.clusterBox[std::size_t(collapsed)] = box;
        }
        f.nodeBox[std::size_t(n)] = box;
    }

    // A box's outputs: the values it hands on, less those that the gradients and the updates
    // read back from the forward pass (a layer's activations kept for its gradients, its
    // variables read by the optimizer are not what the layer outputs).
    auto training = [&](int n) {
        const std::string& s = graph.node(n).scope;
        const std::string_view root = std::string_view(s).substr(0, s.find('/'));
        return root == "gradients" || root == "optimizer";
    };
    f.boxOutputs.resize(f.boxes.size());
    auto leaves = [&](int box, ir::ValueId v) {
        if (f.boxes[std::size_t(box)].cluster < 0) return;
        auto& outs = f.boxOutputs[std::size_t(box)];
        if (std::find(outs.begin(), outs.end(), v) == outs.end()) outs.push_back(v);
    };
    std::map<std::pair<int, int>, std::size_t> index;
    for (int n = 0; n < graph.nodeCount(); ++n)
        for (ir::ValueId v : graph.node(n).inputs) {
            const int producer = graph.value(v).node;
            if (producer < 0) continue;
            const int from = f.nodeBox[std::size_t(producer)], to = f.nodeBox[std::size_t(n)];
            if (from == to) continue;
            if (!training(n) || training(producer)) leaves(from, v);
            auto [it, fresh] = index.try_emplace({from, to}, f.edges.size());
            if (fresh) {
                f.edges.emplace_back(from, to);
                f.edgeValue.push_back(v);
            } else if (f.edgeValue[it->second] != v) {
                f.edgeValue[it->second] = ir::kNoValue;
            }
        }
    for (ir::ValueId v : graphOutputs)
        if (const int producer = graph.value(v).node; producer >= 0) leaves(f.nodeBox[std::size_t(producer)], v);
    return f;
}

TraceLayoutGraph TraceFold::layoutGraph(const TraceClusterTree& tree, std::vector<QSizeF> sizes,
                                        std::vector<QString> edgeLabels) const {
    TraceLayoutGraph g;
    g.sizes = std::move(sizes);
    g.edges = edges;
    g.edgeLabels = std::move(edgeLabels);
    g.boxCluster = boxFrame;
    for (int c : frames) {
        TraceCluster frame = tree.clusters[std::size_t(c)];
        frame.parent = frame.parent >= 0 ? clusterFrame[std::size_t(frame.parent)] : -1;
        frame.nodes.clear();
        g.clusters.push_back(std::move(frame));
    }
    for (std::size_t b = 0; b < boxFrame.size(); ++b)
        if (boxFrame[b] >= 0) g.clusters[std::size_t(boxFrame[b])].nodes.push_back(int(b));
    return g;
}

} // namespace strata::gui
