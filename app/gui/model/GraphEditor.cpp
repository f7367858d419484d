#include "app/gui/model/GraphEditor.h"

#include "app/gui/model/AutoLayout.h"
#include "app/gui/model/EditCommand.h"

#include "engine/Error.h"
#include "engine/Layer.h"
#include "engine/LayerRegistry.h"

#include <QUndoStack>

#include <algorithm>
#include <set>

namespace strata::gui {

namespace {
QString q(const std::string& s) { return QString::fromStdString(s); }

constexpr double kRowGap = 56;

// Replaces every reference to layer `from` by `to` in the inbound lists, its states' ("from:1") too.
// Called after the layer is renamed, so no layer is named `from` any more.
void replaceReferences(ModelSpec& spec, const std::string& from, const std::string& to) {
    std::set<std::string> names;
    for (const auto& l : spec.layers) names.insert(l.name);
    const auto isLayer = [&names](const std::string& n) { return names.count(n) > 0; };
    for (auto& l : spec.layers)
        for (auto& in : l.inbound) in = renameOutputRef(in, from, to, isLayer);
}
} // namespace

GraphEditor::GraphEditor(GraphModel* model, QUndoStack* stack, QObject* parent)
    : QObject(parent), model_(model), stack_(stack) {}

GraphEditor::Draft GraphEditor::draft() const {
    return {model_->spec(), model_->state().positions, model_->path()};
}

QString GraphEditor::commit(const QString& text, Draft& d) {
    normalizeInputsOutputs(d.level);
    GraphState next;
    if (d.path.empty()) {
        next.spec = std::move(d.level);
    } else {
        next.spec = model_->state().spec;
        setSpecAt(next.spec, d.path, d.level);
    }
    next.positions = std::move(d.positions);
    GraphDelta delta = GraphDelta::between(model_->state(), next);
    if (delta.empty()) return {};
    stack_->push(new EditCommand(model_, text, std::move(delta)));
    return {};
}

void GraphEditor::renamePositions(Positions& pos, const std::string& fromPrefix, const std::string& toPrefix) {
    std::vector<std::pair<std::string, QPointF>> moved;
    for (auto it = pos.begin(); it != pos.end();) {
        if (it->first.rfind(fromPrefix, 0) == 0) {
            moved.emplace_back(toPrefix + it->first.substr(fromPrefix.size()), it->second);
            it = pos.erase(it);
        } else {
            ++it;
        }
    }
    for (auto& [k, p] : moved) pos[k] = p;
}

nlohmann::json GraphEditor::initialConfig(const std::string& type) {
    if (type == "Input") return {{"shape", {32}}};
    if (type == "Block") {
        ModelSpec inner;
        inner.name = "block";
        inner.layers = {layerEntry("x", "Input", {{"shape", {32}}}),
                        layerEntry("activation", "Activation", {{"activation", "linear"}}, {"x"})};
        normalizeInputsOutputs(inner);
        return blockConfig(inner);
    }
    return nlohmann::json::object();
}

QString GraphEditor::addNode(const std::string& type, QPointF center, std::string* created) {
    const LayerTypeInfo* info = LayerRegistry::instance().find(type);
    if (!info) return tr("unknown layer type '%1'").arg(q(type));
    Draft d = draft();
    LayerSpec l;
    l.name = d.level.uniqueName(defaultLayerName(type));
    l.type = type;
    l.config = initialConfig(type);
    l.inboundGiven = type != "Input";
    d.level.layers.push_back(l);
    d.positions[d.key(l.name)] = center - QPointF(NodeGeometry::width / 2, NodeGeometry::height / 2);
    if (created) *created = l.name;
    return commit(tr("Add %1").arg(q(l.name)), d);
}

QString GraphEditor::appendAfter(const std::string& type, const std::string& afterName, std::string* created) {
    const LayerTypeInfo* info = LayerRegistry::instance().find(type);
    if (!info) return tr("unknown layer type '%1'").arg(q(type));
    Draft d = draft();
    std::string after = afterName;
    if (after.empty() && !d.level.layers.empty()) after = d.level.layers.back().name;
    // The next rank: below in a level that flows top to bottom, to the right in one that flows left to right.
    const bool lr = model_->flow() == Flow::LeftToRight;
    const QPointF nextRank = lr ? QPointF(NodeGeometry::width + kRowGap, 0) : QPointF(0, NodeGeometry::height + kRowGap);
    if (after.empty() || info->maxInputs == 0) {
        QPointF c = after.empty() ? QPointF(0, 0)
                                  : model_->position(after) + (lr ? QPointF(0, NodeGeometry::height * 2.5)
                                                                   : QPointF(NodeGeometry::width * 1.5, 0));
        return addNode(type, c + QPointF(NodeGeometry::width / 2, NodeGeometry::height / 2), created);
    }
    int at = d.level.indexOf(after);
    if (at < 0) return tr("no layer '%1'").arg(q(after));
    LayerSpec l;
    l.name = d.level.uniqueName(defaultLayerName(type));
    l.type = type;
    l.config = initialConfig(type);
    l.inbound = {after};
    // The layers fed by `after` are now fed by the new layer, and move a rank on to make room.
    std::set<std::string> downstream;
    std::vector<std::string> todo;
    for (auto& other : d.level.layers)
        for (auto& in : other.inbound)
            if (in == after) {
                in = l.name;
                todo.push_back(other.name);
            }
    while (!todo.empty()) {
        std::string n = todo.back();
        todo.pop_back();
        if (!downstream.insert(n).second) continue;
        for (const auto& c : model_->consumersOf(n)) todo.push_back(c);
    }
    for (const auto& n : downstream)
        d.positions[d.key(n)] = model_->position(n) + nextRank;
    d.level.layers.insert(d.level.layers.begin() + at + 1, l);
    d.positions[d.key(l.name)] = model_->position(after) + nextRank;
    if (created) *created = l.name;
    return commit(tr("Add %1 after %2").arg(q(l.name), q(after)), d);
}

QString GraphEditor::deleteItems(const std::vector<std::string>& layers, const std::vector<Connection>& wires) {
    Draft d = draft();
    std::set<std::string> gone(layers.begin(), layers.end());
    // Wires first, highest port first so that lower ports keep their index.
    auto sorted = wires;
    std::sort(sorted.begin(), sorted.end(), [](const Connection& a, const Connection& b) { return a.port > b.port; });
    for (const auto& w : sorted) {
        int i = d.level.indexOf(w.to);
        if (i < 0) continue;
        auto& in = d.level.layers[std::size_t(i)].inbound;
        if (w.port < int(in.size()) && in[std::size_t(w.port)] == w.fromRef()) in.erase(in.begin() + w.port);
    }
    // Wires from a deleted layer go with it, those from its states ("lstm:1") too.
    for (auto& l : d.level.layers)
        std::erase_if(l.inbound, [&](const std::string& in) { return gone.count(model_->layerOf(in)) > 0; });
    std::erase_if(d.level.layers, [&](const LayerSpec& l) { return gone.count(l.name) > 0; });
    for (const auto& n : gone) {
        d.positions.erase(d.key(n));
        renamePositions(d.positions, d.key(n) + "/", "\x01"); // nested block layouts go too
    }
    std::erase_if(d.positions, [](const auto& kv) { return kv.first.rfind("\x01", 0) == 0; });
    QString what = layers.size() == 1 && wires.empty() ? q(layers.front())
                   : layers.empty() ? tr("%n wire(s)", nullptr, int(wires.size()))
                                    : tr("%n layer(s)", nullptr, int(layers.size()));
    return commit(tr("Delete %1").arg(what), d);
}

QString GraphEditor::connect(const std::string& from, const std::string& to, int port) {
    if (QString why = model_->connectionRefusal(from, to, port); !why.isEmpty()) return why;
    Draft d = draft();
    auto& in = d.level.layers[std::size_t(d.level.indexOf(to))].inbound;
    in.push_back(from); // refusal guarantees port >= in.size(); ports past the end append
    return commit(tr("Connect %1 → %2").arg(q(from), q(to)), d);
}

QString GraphEditor::disconnect(const std::string& to, int port) {
    Draft d = draft();
    int i = d.level.indexOf(to);
    if (i < 0 || port < 0 || port >= int(d.level.layers[std::size_t(i)].inbound.size()))
        return tr("input %1 of '%2' is not connected").arg(port + 1).arg(q(to));
    auto& in = d.level.layers[std::size_t(i)].inbound;
    std::string from = in[std::size_t(port)];
    in.erase(in.begin() + port);
    return commit(tr("Disconnect %1 → %2").arg(q(from), q(to)), d);
}

QString GraphEditor::reconnect(const std::string& oldTo, int oldPort, const std::string& to, int port) {
    const LayerSpec* l = model_->layer(oldTo);
    if (!l || oldPort >= int(l->inbound.size())) return tr("input %1 of '%2' is not connected").arg(oldPort + 1).arg(q(oldTo));
    std::string from = l->inbound[std::size_t(oldPort)];
    Draft d = draft();
    auto& oldIn = d.level.layers[std::size_t(d.level.indexOf(oldTo))].inbound;
    oldIn.erase(oldIn.begin() + oldPort);
    // Check the new wire against the graph without the old one.
    GraphModel probe;
    GraphState s;
    s.spec = d.level;
    probe.reset(s);
    if (to == oldTo && port > oldPort) --port;
    if (QString why = probe.connectionRefusal(from, to, port); !why.isEmpty()) return why;
    d.level.layers[std::size_t(d.level.indexOf(to))].inbound.push_back(from);
    return commit(tr("Reconnect %1 → %2").arg(q(from), q(to)), d);
}

QString GraphEditor::moveNodes(const std::map<std::string, QPointF>& topLeft) {
    Draft d = draft();
    for (const auto& [name, p] : topLeft)
        if (d.level.indexOf(name) >= 0) d.positions[d.key(name)] = p;
    return commit(topLeft.size() == 1 ? tr("Move %1").arg(q(topLeft.begin()->first))
                                      : tr("Move %n layer(s)", nullptr, int(topLeft.size())),
                  d);
}

QString GraphEditor::rename(const std::string& layer, const std::string& newName) {
    if (newName == layer) return {};
    if (newName.empty()) return tr("a layer name cannot be empty");
    if (newName.find('/') != std::string::npos) return tr("a layer name cannot contain '/'");
    if (std::any_of(newName.begin(), newName.end(), [](unsigned char c) { return std::isspace(c); }))
        return tr("a layer name cannot contain spaces");
    std::string base;
    int k = 0;
    if (splitOutputSuffix(newName, base, k))
        return tr("a layer name cannot end in ':%1'; that names an output of layer '%2'").arg(k).arg(q(base));
    Draft d = draft();
    int i = d.level.indexOf(layer);
    if (i < 0) return tr("no layer '%1'").arg(q(layer));
    if (d.level.indexOf(newName) >= 0) return tr("the name '%1' is already used by another layer").arg(q(newName));
    d.level.layers[std::size_t(i)].name = newName;
    d.level.layers[std::size_t(i)].nameGiven = true;
    replaceReferences(d.level, layer, newName);
    if (d.level.name == layer && d.path.empty()) { /* the model keeps its own name */ }
    renamePositions(d.positions, d.key(layer) + "/", d.key(newName) + "/");
    if (auto it = d.positions.find(d.key(layer)); it != d.positions.end()) {
        QPointF p = it->second;
        d.positions.erase(it);
        d.positions[d.key(newName)] = p;
    }
    return commit(tr("Rename %1 to %2").arg(q(layer), q(newName)), d);
}

QString GraphEditor::setConfig(const std::string& layer, const std::string& key, const nlohmann::json& value) {
    return setConfigs({{layer, key, value}}, tr("Set %1.%2 to %3").arg(q(layer), q(key), q(value.dump())));
}

QString GraphEditor::setConfigs(const std::vector<ConfigChange>& changes, const QString& text) {
    Draft d = draft();
    bool changed = false;
    for (const ConfigChange& c : changes) {
        const int i = d.level.indexOf(c.layer);
        if (i < 0) return tr("no layer '%1'").arg(q(c.layer));
        LayerSpec& l = d.level.layers[std::size_t(i)];
        nlohmann::json cfg = l.config.is_object() ? l.config : nlohmann::json::object();
        if (cfg.contains(c.key) && cfg[c.key] == c.value) continue;
        cfg[c.key] = c.value;
        // The engine decides what is valid: the layer must construct from the new config.
        const LayerRegistry& reg = LayerRegistry::instance();
        if (const LayerTypeInfo* info = reg.find(l.type)) {
            std::vector<std::string> errors;
            reg.checkConfig(*info, cfg, errors);
            if (!errors.empty()) return q(errors.front());
            try {
                reg.create(l.type, l.name, cfg);
            } catch (const StrataError& e) {
                return q(e.what());
            }
        }
        l.config = std::move(cfg);
        changed = true;
    }
    return changed ? commit(text, d) : QString();
}

QString GraphEditor::autoLayout(std::optional<Flow> flow, QSizeF window) {
    Draft d = draft();
    AutoLayout::Result laid = AutoLayout::layout(d.level, flow, window);
    for (const auto& [name, p] : laid.positions) d.positions[d.key(name)] = p;
    setFlow(d.positions, d.path, laid.flow);
    return commit(laid.flow == Flow::LeftToRight ? tr("Auto-layout left to right") : tr("Auto-layout top to bottom"), d);
}

} // namespace strata::gui
