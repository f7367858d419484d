#include "app/gui/model/AutoLayout.h"

#include "app/gui/model/GraphModel.h"

#include "app/gui/model/Graphviz.h"

#include <graphviz/cgraph.h>
#include <graphviz/gvc.h>

#include <cmath>
#include <mutex>
#include <unordered_map>

namespace strata::gui {

namespace {
constexpr double kPointsPerInch = 72.0;
} // namespace

Positions AutoLayout::dot(const ModelSpec& spec) {
    std::lock_guard lock(graphvizMutex());
    Positions out;
    if (spec.layers.empty()) return out;
    Agraph_t* g = agopen(const_cast<char*>("model"), Agdirected, nullptr);
    graphvizSet(g, "rankdir", "TB");
    graphvizSet(g, "nodesep", "0.45");
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
    for (const auto& l : spec.layers)
        for (const auto& in : l.inbound)
            if (auto it = nodes.find(in); it != nodes.end()) agedge(g, it->second, nodes[l.name], nullptr, 1);

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
            out[spec.layers[i].name] = QPointF(0, double(i) * (NodeGeometry::height + 48));
    }
    agclose(g);
    return out;
}

} // namespace strata::gui
