#include "app/gui/model/GraphState.h"

#include <algorithm>

namespace strata::gui {

namespace {
const std::string kFlowKey = "\x02" "flow";
} // namespace

std::string flowKey(const LevelPath& path) { return pathPrefix(path) + kFlowKey; }

bool isFlowKey(const std::string& key) {
    return key.size() >= kFlowKey.size() && key.compare(key.size() - kFlowKey.size(), kFlowKey.size(), kFlowKey) == 0;
}

Flow flowOf(const Positions& positions, const LevelPath& path) {
    return positions.count(flowKey(path)) ? Flow::LeftToRight : Flow::TopToBottom;
}

void setFlow(Positions& positions, const LevelPath& path, Flow flow) {
    if (flow == Flow::LeftToRight) positions[flowKey(path)] = QPointF(1, 0);
    else positions.erase(flowKey(path));
}

nlohmann::json GraphState::layoutJson() const {
    nlohmann::json nodes = nlohmann::json::object();
    nlohmann::json flows = nlohmann::json::object();
    for (const auto& [key, p] : positions) {
        if (isFlowKey(key)) {
            std::string level = key.substr(0, key.size() - flowKey({}).size());
            if (!level.empty()) level.pop_back(); // "encoder/" -> "encoder"
            flows[level] = "left-to-right";
        } else {
            nodes[key] = {p.x(), p.y()};
        }
    }
    nlohmann::json out = {{"nodes", std::move(nodes)}};
    if (!flows.empty()) out["flow"] = std::move(flows);
    return out;
}

Positions GraphState::positionsFromLayout(const nlohmann::json& layout) {
    Positions out;
    if (!layout.is_object()) return out;
    auto nodes = layout.find("nodes");
    if (nodes == layout.end() || !nodes->is_object()) return out;
    for (auto it = nodes->begin(); it != nodes->end(); ++it) {
        const auto& v = it.value();
        if (v.is_array() && v.size() == 2 && v[0].is_number() && v[1].is_number())
            out[it.key()] = QPointF(v[0].get<double>(), v[1].get<double>());
    }
    // {"flow": {"": "left-to-right", "encoder": "left-to-right"}}: the levels laid out left to right.
    if (auto flows = layout.find("flow"); flows != layout.end() && flows->is_object())
        for (auto it = flows->begin(); it != flows->end(); ++it)
            if (it.value() == "left-to-right")
                out[(it.key().empty() ? std::string() : it.key() + "/") + flowKey({})] = QPointF(1, 0);
    return out;
}

bool sameLayer(const LayerSpec& a, const LayerSpec& b) {
    return a.name == b.name && a.type == b.type && a.inbound == b.inbound && a.inboundGiven == b.inboundGiven &&
           a.nameGiven == b.nameGiven && a.problems == b.problems && a.config == b.config;
}

namespace {
bool sameHead(const ModelSpec& a, const ModelSpec& b) {
    return a.name == b.name && a.inputs == b.inputs && a.outputs == b.outputs && a.inputsGiven == b.inputsGiven &&
           a.outputsGiven == b.outputsGiven;
}
ModelSpec headOf(const ModelSpec& s) {
    ModelSpec h;
    h.name = s.name;
    h.inputs = s.inputs;
    h.outputs = s.outputs;
    h.inputsGiven = s.inputsGiven;
    h.outputsGiven = s.outputsGiven;
    return h;
}
void setHead(ModelSpec& s, const ModelSpec& h) {
    s.name = h.name;
    s.inputs = h.inputs;
    s.outputs = h.outputs;
    s.inputsGiven = h.inputsGiven;
    s.outputsGiven = h.outputsGiven;
}
} // namespace

bool sameSpec(const ModelSpec& a, const ModelSpec& b) {
    if (!sameHead(a, b) || a.layers.size() != b.layers.size()) return false;
    for (std::size_t i = 0; i < a.layers.size(); ++i)
        if (!sameLayer(a.layers[i], b.layers[i])) return false;
    return true;
}

bool GraphDelta::empty() const {
    return before.empty() && after.empty() && moves.empty() && sameHead(headBefore, headAfter);
}

GraphDelta GraphDelta::between(const GraphState& from, const GraphState& to) {
    GraphDelta d;
    const auto& a = from.spec.layers;
    const auto& b = to.spec.layers;
    std::size_t prefix = 0;
    while (prefix < a.size() && prefix < b.size() && sameLayer(a[prefix], b[prefix])) ++prefix;
    std::size_t suffix = 0;
    while (suffix < a.size() - prefix && suffix < b.size() - prefix &&
           sameLayer(a[a.size() - 1 - suffix], b[b.size() - 1 - suffix]))
        ++suffix;
    d.start = prefix;
    d.before.assign(a.begin() + std::ptrdiff_t(prefix), a.end() - std::ptrdiff_t(suffix));
    d.after.assign(b.begin() + std::ptrdiff_t(prefix), b.end() - std::ptrdiff_t(suffix));
    d.headBefore = headOf(from.spec);
    d.headAfter = headOf(to.spec);

    auto ia = from.positions.begin();
    auto ib = to.positions.begin();
    while (ia != from.positions.end() || ib != to.positions.end()) {
        if (ib == to.positions.end() || (ia != from.positions.end() && ia->first < ib->first)) {
            d.moves.push_back({ia->first, ia->second, std::nullopt});
            ++ia;
        } else if (ia == from.positions.end() || ib->first < ia->first) {
            d.moves.push_back({ib->first, std::nullopt, ib->second});
            ++ib;
        } else {
            if (ia->second != ib->second) d.moves.push_back({ia->first, ia->second, ib->second});
            ++ia;
            ++ib;
        }
    }
    return d;
}

void GraphDelta::apply(GraphState& state, bool forward) const {
    const auto& removed = forward ? before : after;
    const auto& inserted = forward ? after : before;
    auto& layers = state.spec.layers;
    auto first = layers.begin() + std::ptrdiff_t(start);
    layers.erase(first, first + std::ptrdiff_t(removed.size()));
    layers.insert(layers.begin() + std::ptrdiff_t(start), inserted.begin(), inserted.end());
    setHead(state.spec, forward ? headAfter : headBefore);
    for (const auto& m : moves) {
        const auto& target = forward ? m.after : m.before;
        if (target) state.positions[m.key] = *target;
        else state.positions.erase(m.key);
    }
}

} // namespace strata::gui
