#include "app/gui/inspect/TraceClusters.h"

#include <map>

namespace strata::gui {

namespace {
// The scopes that get a cluster for `scope`, outermost first: each prefix at a '/', less those
// ending in the model root ("model", "gradients/model").
std::vector<std::string> clusterChain(const std::string& scope) {
    std::vector<std::string> chain;
    std::size_t end = 0;
    while (end != std::string::npos) {
        end = scope.find('/', end + 1);
        const std::string prefix = scope.substr(0, end);
        const std::size_t slash = prefix.rfind('/');
        const std::string last = slash == std::string::npos ? prefix : prefix.substr(slash + 1);
        if (last != "model") chain.push_back(prefix);
    }
    return chain;
}

QString labelFor(const std::string& scope, const std::string& parent) {
    std::string rest = parent.empty() ? scope : scope.substr(parent.size() + 1);
    if (rest.rfind("model/", 0) == 0) rest = rest.substr(6);
    return QString::fromStdString(rest);
}
} // namespace

TraceClusterTree TraceClusterTree::of(const ir::Graph& graph) {
    TraceClusterTree tree;
    std::map<std::string, int> index;
    tree.nodeCluster.assign(std::size_t(graph.nodeCount()), -1);
    for (int n = 0; n < graph.nodeCount(); ++n) {
        const std::string& scope = graph.node(n).scope;
        if (scope.empty()) continue;
        int parent = -1;
        for (const std::string& s : clusterChain(scope)) {
            auto [it, fresh] = index.try_emplace(s, int(tree.clusters.size()));
            if (fresh) {
                TraceCluster c;
                c.scope = s;
                c.parent = parent;
                c.depth = parent < 0 ? 0 : tree.clusters[std::size_t(parent)].depth + 1;
                c.label = labelFor(s, parent < 0 ? std::string() : tree.clusters[std::size_t(parent)].scope);
                tree.clusters.push_back(std::move(c));
            }
            parent = it->second;
        }
        if (parent >= 0 && tree.clusters[std::size_t(parent)].scope == scope) {
            tree.clusters[std::size_t(parent)].nodes.push_back(n);
            tree.nodeCluster[std::size_t(n)] = parent;
        }
    }
    return tree;
}

void TraceClusterTree::encloseNodes(const std::vector<QRectF>& nodeRects, double margin, double labelHeight) {
    for (TraceCluster& c : clusters) c.rect = QRectF();
    // Children come after their parents: going backwards, a child is done before its parent.
    for (std::size_t i = clusters.size(); i-- > 0;) {
        TraceCluster& c = clusters[i];
        QRectF inner = c.rect; // the children's union, gathered below
        for (int n : c.nodes) inner = inner.isNull() ? nodeRects[std::size_t(n)] : inner.united(nodeRects[std::size_t(n)]);
        c.rect = inner.isNull() ? QRectF() : inner.adjusted(-margin, -margin - labelHeight, margin, margin);
        if (c.parent >= 0 && !c.rect.isNull()) {
            QRectF& p = clusters[std::size_t(c.parent)].rect;
            p = p.isNull() ? c.rect : p.united(c.rect);
        }
    }
}

} // namespace strata::gui
