#include "app/gui/inspect/TraceLayout.h"

#include "app/gui/model/Graphviz.h"

#include <graphviz/cgraph.h>
#include <graphviz/gvc.h>
#include <graphviz/types.h>

#include <QLineF>

#include <algorithm>
#include <cmath>
#include <mutex>
#include <set>
#include <string>

namespace strata::gui {

namespace {
constexpr double kPointsPerInch = 72.0;
constexpr double kArrowLength = 9.0;

// One `subgraph cluster_K` per frame, nested as the frames are, each box in its innermost one.
// The label is a blank of the label line's height: Graphviz keeps room for it on top and the
// scene draws the real text (Graphviz would measure it with other fonts).
std::vector<Agraph_t*> addClusters(Agraph_t* root, const TraceLayoutGraph& graph, const std::vector<Agnode_t*>& nodes,
                                   double labelHeight) {
    std::vector<Agraph_t*> subgraphs;
    for (std::size_t k = 0; k < graph.clusters.size(); ++k) {
        const TraceCluster& c = graph.clusters[k];
        Agraph_t* parent = c.parent < 0 ? root : subgraphs[std::size_t(c.parent)];
        const std::string name = "cluster_" + std::to_string(k);
        Agraph_t* sg = agsubg(parent, const_cast<char*>(name.c_str()), 1);
        graphvizSet(sg, "label", " ");
        graphvizSet(sg, "labelloc", "t");
        graphvizSet(sg, "fontsize", std::to_string(labelHeight / 1.2)); // Graphviz' line is 1.2 x the size
        graphvizSet(sg, "margin", std::to_string(TraceLayout::kClusterMargin));
        subgraphs.push_back(sg);
    }
    for (std::size_t i = 0; i < nodes.size(); ++i)
        if (const int k = graph.boxCluster[i]; k >= 0) agsubnode(subgraphs[std::size_t(k)], nodes[i], 1);
    return subgraphs;
}

QPointF bottomCenter(const QRectF& r) { return {r.center().x(), r.bottom()}; }
QPointF topCenter(const QRectF& r) { return {r.center().x(), r.top()}; }

TraceEdge straightEdge(int from, int to, const QRectF& a, const QRectF& b, const QString& label) {
    TraceEdge e;
    e.from = from;
    e.to = to;
    const QPointF start = bottomCenter(a), tip = topCenter(b);
    QLineF line(tip, start);
    line.setLength(std::min(kArrowLength, line.length()));
    e.arrowTip = tip;
    e.arrowBase = line.p2();
    e.path.moveTo(start);
    e.path.lineTo(e.arrowBase);
    e.label = label;
    e.labelCenter = e.path.pointAtPercent(0.5) + QPointF(4 + 3.2 * label.size(), 0); // beside the wire
    return e;
}

QString labelOf(const TraceLayoutGraph& graph, std::size_t edge) {
    return edge < graph.edgeLabels.size() ? graph.edgeLabels[edge] : QString();
}
} // namespace

TraceLayoutGraph TraceLayoutGraph::of(const ir::Graph& graph, const std::vector<QSizeF>& sizes) {
    TraceLayoutGraph out;
    out.sizes = sizes;
    std::set<std::pair<int, int>> seen;
    for (int n = 0; n < graph.nodeCount(); ++n)
        for (ir::ValueId v : graph.node(n).inputs) {
            const int from = graph.value(v).node;
            if (from >= 0 && from != n && seen.insert({from, n}).second) out.edges.emplace_back(from, n);
        }
    TraceClusterTree tree = TraceClusterTree::of(graph);
    out.clusters = std::move(tree.clusters);
    out.boxCluster = std::move(tree.nodeCluster);
    return out;
}

TraceLayoutResult TraceLayout::byDepth(const TraceLayoutGraph& graph, double labelHeight) {
    TraceLayoutResult out;
    const int n = int(graph.sizes.size());
    // Longest path from the sources over the wires that go forward (boxes come in data order;
    // a wire back, possible between collapsed clusters, does not count).
    std::vector<std::vector<int>> incoming(static_cast<std::size_t>(n));
    for (auto [from, to] : graph.edges)
        if (from < to) incoming[std::size_t(to)].push_back(from);
    std::vector<int> depth(std::size_t(n), 0);
    int maxDepth = 0;
    for (int i = 0; i < n; ++i) {
        for (int from : incoming[std::size_t(i)]) depth[std::size_t(i)] = std::max(depth[std::size_t(i)], depth[std::size_t(from)] + 1);
        maxDepth = std::max(maxDepth, depth[std::size_t(i)]);
    }
    std::vector<double> rowX(std::size_t(maxDepth + 1), 0.0), rowH(std::size_t(maxDepth + 1), 0.0);
    for (int i = 0; i < n; ++i)
        rowH[std::size_t(depth[std::size_t(i)])] = std::max(rowH[std::size_t(depth[std::size_t(i)])], graph.sizes[std::size_t(i)].height());
    std::vector<double> rowY(std::size_t(maxDepth + 1), 0.0);
    for (int d = 1; d <= maxDepth; ++d) rowY[std::size_t(d)] = rowY[std::size_t(d - 1)] + rowH[std::size_t(d - 1)] + 48;
    out.nodes.resize(std::size_t(n));
    for (int i = 0; i < n; ++i) {
        const std::size_t d = std::size_t(depth[std::size_t(i)]);
        out.nodes[std::size_t(i)] = QRectF(QPointF(rowX[d], rowY[d]), graph.sizes[std::size_t(i)]);
        rowX[d] += graph.sizes[std::size_t(i)].width() + 24;
    }
    for (std::size_t k = 0; k < graph.edges.size(); ++k) {
        const auto [from, to] = graph.edges[k];
        out.edges.push_back(straightEdge(from, to, out.nodes[std::size_t(from)], out.nodes[std::size_t(to)], labelOf(graph, k)));
    }
    TraceClusterTree tree;
    tree.clusters = graph.clusters;
    tree.nodeCluster = graph.boxCluster;
    tree.encloseNodes(out.nodes, kClusterMargin, labelHeight);
    out.clusters = std::move(tree.clusters);
    return out;
}

TraceLayoutResult TraceLayout::dot(const TraceLayoutGraph& graph, double labelHeight, double labelPointSize) {
    const int n = int(graph.sizes.size());
    if (n == 0 || n > kMaxGraphvizNodes) return byDepth(graph, labelHeight);
    std::lock_guard lock(graphvizMutex());
    GVC_t* gvc = graphvizContext();
    if (!gvc) return byDepth(graph, labelHeight);

    Agraph_t* g = agopen(const_cast<char*>("trace"), Agdirected, nullptr);
    graphvizSet(g, "rankdir", "TB");
    graphvizSet(g, "nodesep", "0.3");
    graphvizSet(g, "ranksep", "0.45");
    std::vector<Agnode_t*> nodes(static_cast<std::size_t>(n));
    for (int i = 0; i < n; ++i) {
        const std::string name = "n" + std::to_string(i);
        Agnode_t* node = agnode(g, const_cast<char*>(name.c_str()), 1);
        graphvizSet(node, "shape", "box");
        graphvizSet(node, "fixedsize", "true");
        graphvizSet(node, "width", std::to_string(graph.sizes[std::size_t(i)].width() / kPointsPerInch));
        graphvizSet(node, "height", std::to_string(graph.sizes[std::size_t(i)].height() / kPointsPerInch));
        nodes[std::size_t(i)] = node;
    }
    const std::vector<Agraph_t*> subgraphs = addClusters(g, graph, nodes, labelHeight);
    std::vector<Agedge_t*> edges;
    for (std::size_t k = 0; k < graph.edges.size(); ++k) {
        const auto [from, to] = graph.edges[k];
        Agedge_t* e = agedge(g, nodes[std::size_t(from)], nodes[std::size_t(to)], nullptr, 1);
        // Graphviz measures the label with its own Helvetica metrics; the scene draws it in its
        // font, centred where Graphviz put it, so a space either side keeps the room.
        if (const QString label = labelOf(graph, k); !label.isEmpty()) {
            graphvizSet(e, "fontname", "Helvetica");
            graphvizSet(e, "fontsize", std::to_string(labelPointSize));
            graphvizSet(e, "label", (QStringLiteral(" ") + label + QStringLiteral(" ")).toStdString());
        }
        edges.push_back(e);
    }

    TraceLayoutResult out;
    if (gvLayout(gvc, g, "dot") != 0) {
        agclose(g);
        return byDepth(graph, labelHeight);
    }
    // Graphviz' y axis points up; the scene's points down.
    auto flip = [](pointf p) { return QPointF(p.x, -p.y); };
    out.byGraphviz = true;
    out.nodes.resize(std::size_t(n));
    for (int i = 0; i < n; ++i) {
        const QPointF c = flip(ND_coord(nodes[std::size_t(i)]));
        const QSizeF s = graph.sizes[std::size_t(i)];
        out.nodes[std::size_t(i)] = QRectF(c.x() - s.width() / 2, c.y() - s.height() / 2, s.width(), s.height());
    }
    for (std::size_t k = 0; k < graph.edges.size(); ++k) {
        const auto [from, to] = graph.edges[k];
        const QString label = labelOf(graph, k);
        const splines* spl = ED_spl(edges[k]);
        if (!spl || int(spl->size) == 0 || int(spl->list[0].size) < 4) {
            out.edges.push_back(straightEdge(from, to, out.nodes[std::size_t(from)], out.nodes[std::size_t(to)], label));
            continue;
        }
        const bezier& bz = spl->list[0];
        const int size = int(bz.size); // int in Graphviz 2.x, size_t later
        TraceEdge e;
        e.from = from;
        e.to = to;
        e.path.moveTo(flip(bz.list[0]));
        for (int i = 1; i + 2 < size; i += 3) e.path.cubicTo(flip(bz.list[i]), flip(bz.list[i + 1]), flip(bz.list[i + 2]));
        e.arrowBase = flip(bz.list[size - 1]);
        e.arrowTip = bz.eflag ? flip(bz.ep) : topCenter(out.nodes[std::size_t(to)]);
        e.label = label;
        if (const textlabel_t* l = ED_label(edges[k]); l && l->set) e.labelCenter = flip(l->pos);
        else e.labelCenter = e.path.pointAtPercent(0.5);
        out.edges.push_back(std::move(e));
    }
    TraceClusterTree tree;
    tree.clusters = graph.clusters;
    for (std::size_t k = 0; k < subgraphs.size(); ++k) {
        const boxf bb = GD_bb(subgraphs[k]);
        tree.clusters[k].rect = QRectF(flip(bb.LL), flip(bb.UR)).normalized();
    }
    out.clusters = std::move(tree.clusters);
    gvFreeLayout(gvc, g);
    agclose(g);
    return out;
}

TraceLayoutResult TraceLayout::dot(const ir::Graph& graph, const std::vector<QSizeF>& sizes, double labelHeight) {
    return dot(TraceLayoutGraph::of(graph, sizes), labelHeight);
}

TraceLayoutResult TraceLayout::byDepth(const ir::Graph& graph, const std::vector<QSizeF>& sizes, double labelHeight) {
    return byDepth(TraceLayoutGraph::of(graph, sizes), labelHeight);
}

} // namespace strata::gui
