#include "app/gui/model/AutoLayout.h"

#include "app/gui/model/GraphModel.h"

#include "app/gui/model/Graphviz.h"

#include <graphviz/cgraph.h>
#include <graphviz/gvc.h>

#include <algorithm>
#include <cmath>
#include <mutex>
#include <unordered_map>

namespace strata::gui {

namespace {
constexpr double kPointsPerInch = 72.0;

Positions dotLayout(const ModelSpec& spec, Flow flow) {
    std::lock_guard lock(graphvizMutex());
    Positions out;
    if (spec.layers.empty()) return out;
    Agraph_t* g = agopen(const_cast<char*>("model"), Agdirected, nullptr);
    const bool lr = flow == Flow::LeftToRight;
    graphvizSet(g, "rankdir", lr ? "LR" : "TB");
    graphvizSet(g, "nodesep", lr ? "0.55" : "0.45");
    graphvizSet(g, "ranksep", "0.75");
    graphvizSet(g, "splines", "false");
    std::unordered_map<std::string, Agnode_t*> nodes;
    const std::string width = std::to_string(NodeGeometry::width / kPointsPerInch);
    const std::string height = std::to_string(NodeGeometry::height / kPointsPerInch);
    for (const auto& l : spec.layers) {
        Agnode_t* n = agnode(g, const_cast<char*>(l.name.c_str()), 1);
        graphvizSet(n, "shape", "box");
        graphvizSet(n, "fixedsize", "true");
        graphvizSet(n, "width", width);
        graphvizSet(n, "height", height);
        nodes[l.name] = n;
    }
    const auto node = [&nodes](const std::string& ref) { // "NAME", or a state's "NAME:K"
        const OutputRef r = resolveOutputRef(ref, [&nodes](const std::string& n) { return nodes.count(n) ? 0 : -1; });
        if (r.layer < 0) return nodes.end();
        std::string base;
        int k = 0;
        return r.output == 0 ? nodes.find(ref) : (splitOutputSuffix(ref, base, k), nodes.find(base));
    };
    for (const auto& l : spec.layers)
        for (const auto& in : l.inbound)
            if (auto it = node(in); it != nodes.end()) agedge(g, it->second, nodes[l.name], nullptr, 1);

    GVC_t* gvc = graphvizContext();
    if (gvc && gvLayout(gvc, g, "dot") == 0) {
        // Graphviz' y axis points up; the scene's points down.
        for (const auto& [name, n] : nodes) {
            pointf c = ND_coord(n);
            out[name] = QPointF(std::round(c.x - NodeGeometry::width / 2), std::round(-c.y - NodeGeometry::height / 2));
        }
        gvFreeLayout(gvc, g);
    } else {
        for (std::size_t i = 0; i < spec.layers.size(); ++i)
            out[spec.layers[i].name] = lr ? QPointF(double(i) * (NodeGeometry::width + 54), 0)
                                          : QPointF(0, double(i) * (NodeGeometry::height + 48));
    }
    agclose(g);
    return out;
}

QSizeF extent(const Positions& p) {
    if (p.empty()) return {0, 0};
    double x0 = 1e300, y0 = 1e300, x1 = -1e300, y1 = -1e300;
    for (const auto& [name, q] : p) {
        x0 = std::min(x0, q.x());
        y0 = std::min(y0, q.y());
        x1 = std::max(x1, q.x() + NodeGeometry::width);
        y1 = std::max(y1, q.y() + NodeGeometry::height);
    }
    return {x1 - x0, y1 - y0};
}

// The scale at which a layout of size `s` fits a window of size `w`.
double fitScale(QSizeF s, QSizeF w) { return std::min(w.width() / s.width(), w.height() / s.height()); }
} // namespace

AutoLayout::Result AutoLayout::layout(const ModelSpec& spec, std::optional<Flow> flow, QSizeF window) {
    if (flow) return {dotLayout(spec, *flow), *flow};
    Result tb{dotLayout(spec, Flow::TopToBottom), Flow::TopToBottom};
    const QSizeF tbSize = extent(tb.positions);
    if (tbSize.width() <= tbSize.height() || window.isEmpty()) return tb;
    Result lr{dotLayout(spec, Flow::LeftToRight), Flow::LeftToRight};
    return fitScale(extent(lr.positions), window) > fitScale(tbSize, window) ? lr : tb;
}

Positions AutoLayout::dot(const ModelSpec& spec) { return dotLayout(spec, Flow::TopToBottom); }

void AutoLayout::fillMissing(const ModelSpec& spec, Positions& positions) {
    std::size_t missing = 0;
    for (const auto& l : spec.layers) missing += positions.count(l.name) ? 0 : 1;
    if (missing == 0) return;
    const bool none = missing == spec.layers.size();
    Result laid = none ? layout(spec) : layout(spec, flowOf(positions, {}));
    for (const auto& [name, p] : laid.positions) positions.emplace(name, p);
    if (none) setFlow(positions, {}, laid.flow);
}

} // namespace strata::gui
