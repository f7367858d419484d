#include "app/gui/model/AutoLayout.h"

#include "app/gui/model/GraphModel.h"

#include <graphviz/cgraph.h>
#include <graphviz/gvc.h>

#include <cmath>
#include <mutex>
#include <unordered_map>

namespace strata::gui {

namespace {
constexpr double kPointsPerInch = 72.0;

// Graphviz's context loads its plugins once; keep one for the process.
GVC_t* context() {
    static GVC_t* gvc = gvContext();
    return gvc;
}

void set(void* obj, const char* name, const std::string& value) {
    agsafeset(obj, const_cast<char*>(name), const_cast<char*>(value.c_str()), const_cast<char*>(""));
}
} // namespace

Positions AutoLayout::dot(const ModelSpec& spec) {
    static std::mutex mutex; // Graphviz keeps global state
    std::lock_guard lock(mutex);
    Positions out;
    if (spec.layers.empty()) return out;
    Agraph_t* g = agopen(const_cast<char*>("model"), Agdirected, nullptr);
    set(g, "rankdir", "TB");
    set(g, "nodesep", "0.45");
    set(g, "ranksep", "0.75");
    set(g, "splines", "false");
    std::unordered_map<std::string, Agnode_t*> nodes;
    const std::string width = std::to_string(NodeGeometry::width / kPointsPerInch);
    const std::string height = std::to_string(NodeGeometry::height / kPointsPerInch);
    for (const auto& l : spec.layers) {
        Agnode_t* n = agnode(g, const_cast<char*>(l.name.c_str()), 1);
        set(n, "shape", "box");
        set(n, "fixedsize", "true");
        set(n, "width", width);
        set(n, "height", height);
        nodes[l.name] = n;
    }
    for (const auto& l : spec.layers)
        for (const auto& in : l.inbound)
            if (auto it = nodes.find(in); it != nodes.end()) agedge(g, it->second, nodes[l.name], nullptr, 1);

    GVC_t* gvc = context();
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
