// GraphEditor: grouping a selection into a Block layer and ungrouping it again. The wires that
// enter the selection become the block's inputs (inner Input layers named after the layers that
// feed them, so inner wiring stays as it was) and the one wire that leaves it, its output.
#include "app/gui/model/GraphEditor.h"

#include "engine/Error.h"

#include <set>

namespace strata::gui {

namespace {
QString q(const std::string& s) { return QString::fromStdString(s); }
constexpr double kInputRowGap = 110;
} // namespace

QString GraphEditor::groupIntoBlock(const std::vector<std::string>& names, std::string* blockName) {
    Draft d = draft();
    std::set<std::string> chosen;
    for (const auto& n : names)
        if (d.level.indexOf(n) >= 0) chosen.insert(n);
    if (chosen.empty()) return tr("select the layers to group into a block");
    std::vector<const LayerSpec*> members;
    std::vector<std::string> sources;
    for (const auto& l : d.level.layers) {
        if (!chosen.count(l.name)) continue;
        if (l.type == "Input") return tr("'%1' is an Input layer; inputs stay outside a block").arg(q(l.name));
        members.push_back(&l);
        // A source is an inbound entry from outside: a layer's output or one of its states ("lstm:1"),
        // which becomes an inner Input of that name.
        for (const auto& in : l.inbound)
            if (!chosen.count(model_->layerOf(in)) && std::find(sources.begin(), sources.end(), in) == sources.end())
                sources.push_back(in);
    }
    if (sources.empty()) return tr("the selection has no input from outside it; a block needs at least one");
    // The block's output: the one selected layer used outside the selection (or left unused).
    std::set<std::string> usedInside;
    std::vector<std::string> leaving;
    for (const auto& l : d.level.layers)
        for (const auto& in : l.inbound) {
            const std::string from = model_->layerOf(in);
            if (!chosen.count(from)) continue;
            if (chosen.count(l.name)) usedInside.insert(from);
            else if (in != from) // a state of a selected layer used outside: a block has one output
                return tr("'%1' (a state of '%2') is used by '%3' outside the selection; a block has one output")
                    .arg(q(in), q(from), q(l.name));
            else if (std::find(leaving.begin(), leaving.end(), in) == leaving.end()) leaving.push_back(in);
        }
    for (const auto* m : members)
        if (!usedInside.count(m->name) && std::find(leaving.begin(), leaving.end(), m->name) == leaving.end())
            leaving.push_back(m->name);
    if (leaving.size() != 1) {
        QStringList list;
        for (const auto& n : leaving) list << "'" + q(n) + "'";
        return tr("a block has exactly one output, but the selection has %1: %2").arg(leaving.size()).arg(list.join(", "));
    }
    const std::string output = leaving.front();

    ModelSpec inner;
    std::string name = d.level.uniqueName("block");
    inner.name = name;
    for (const auto& src : sources) {
        const std::optional<Shape> shape = model_->refShape(src);
        if (!shape) return tr("the output shape of '%1' is unknown (it has an error); fix it before grouping").arg(q(src));
        nlohmann::json dims = nlohmann::json::array();
        const auto& all = shape->dims();
        for (std::size_t i = 1; i < all.size(); ++i)
            dims.push_back(all[i] < 0 ? nlohmann::json(nullptr) : nlohmann::json(all[i]));
        inner.layers.push_back(layerEntry(src, "Input", {{"shape", dims}}));
    }
    for (const auto* m : members) inner.layers.push_back(*m);
    normalizeInputsOutputs(inner);

    // Inner layout: members keep their arrangement; the block's inputs sit in a row above.
    QPointF sum(0, 0), topLeft(1e300, 1e300);
    for (const auto* m : members) {
        QPointF p = model_->position(m->name);
        sum += p;
        topLeft = QPointF(std::min(topLeft.x(), p.x()), std::min(topLeft.y(), p.y()));
    }
    QPointF centroid = sum / double(members.size());
    std::string innerPrefix = d.key(name) + "/";
    for (const auto* m : members) {
        renamePositions(d.positions, d.key(m->name) + "/", innerPrefix + m->name + "/");
        d.positions.erase(d.key(m->name));
        d.positions[innerPrefix + m->name] = model_->position(m->name);
    }
    for (std::size_t i = 0; i < sources.size(); ++i)
        d.positions[innerPrefix + sources[i]] =
            topLeft + QPointF(double(i) * (NodeGeometry::width + 40), -kInputRowGap);

    LayerSpec block = layerEntry(name, "Block", blockConfig(inner), sources);
    std::size_t at = std::size_t(d.level.indexOf(members.front()->name));
    std::erase_if(d.level.layers, [&](const LayerSpec& l) { return chosen.count(l.name) > 0; });
    d.level.layers.insert(d.level.layers.begin() + std::ptrdiff_t(std::min(at, d.level.layers.size())), block);
    for (auto& l : d.level.layers)
        for (auto& in : l.inbound)
            if (in == output) in = name;
    d.positions[d.key(name)] = centroid;
    if (blockName) *blockName = name;
    return commit(tr("Group %n layer(s) into %1", nullptr, int(members.size())).arg(q(name)), d);
}

QString GraphEditor::ungroup(const std::string& blockName, std::vector<std::string>* created) {
    Draft d = draft();
    int at = d.level.indexOf(blockName);
    if (at < 0 || d.level.layers[std::size_t(at)].type != "Block") return tr("'%1' is not a block").arg(q(blockName));
    const LayerSpec block = d.level.layers[std::size_t(at)];
    ModelSpec inner;
    try {
        inner = blockInnerSpec(block);
    } catch (const StrataError& e) {
        return q(e.what());
    }
    if (inner.outputs.size() != 1) return tr("block '%1' does not have exactly one output").arg(q(blockName));
    if (block.inbound.size() != inner.inputs.size())
        return tr("block '%1' has %2 inputs but %3 are connected; connect them before ungrouping")
            .arg(q(blockName))
            .arg(inner.inputs.size())
            .arg(block.inbound.size());

    // Names: inner inputs become the outer layers feeding the block; the rest keep their name
    // unless it is taken outside, then they get a fresh one.
    std::map<std::string, std::string> rename;
    for (std::size_t i = 0; i < inner.inputs.size(); ++i) rename[inner.inputs[i]] = block.inbound[i];
    ModelSpec names = d.level;
    names.layers.erase(names.layers.begin() + at);
    std::vector<LayerSpec> moved;
    for (const auto& l : inner.layers) {
        if (l.type == "Input") continue;
        std::string fresh = names.uniqueName(l.name);
        rename[l.name] = fresh;
        LayerSpec placeholder;
        placeholder.name = fresh;
        names.layers.push_back(placeholder);
        moved.push_back(l);
    }
    for (auto& l : moved) {
        l.name = rename[l.name];
        l.inboundGiven = true;
        for (auto& in : l.inbound) {
            std::string from;
            int k = 0;
            if (rename.count(in)) in = rename[in];
            else if (splitOutputSuffix(in, from, k) && rename.count(from)) in = outputRefText(rename[from], k); // an inner state
        }
    }
    const std::string output = rename[inner.outputs[0]];

    // Layout: the inner arrangement, centred where the block was.
    std::string innerPrefix = d.key(blockName) + "/";
    QPointF sum(0, 0);
    int count = 0;
    for (const auto& l : inner.layers)
        if (l.type != "Input")
            if (auto it = d.positions.find(innerPrefix + l.name); it != d.positions.end()) {
                sum += it->second;
                ++count;
            }
    QPointF shift = model_->position(blockName) - (count ? sum / count : QPointF(0, 0));
    Positions next;
    for (const auto& [k, p] : d.positions) {
        if (k == d.key(blockName)) continue;
        if (k.rfind(innerPrefix, 0) != 0) {
            next[k] = p;
            continue;
        }
        std::string rest = k.substr(innerPrefix.size());
        auto slash = rest.find('/');
        std::string head = rest.substr(0, slash);
        if (std::find(inner.inputs.begin(), inner.inputs.end(), head) != inner.inputs.end() || !rename.count(head)) continue;
        if (slash == std::string::npos) next[d.key(rename[head])] = p + shift;
        else next[d.key(rename[head]) + rest.substr(slash)] = p;
    }
    d.positions = std::move(next);

    d.level.layers.erase(d.level.layers.begin() + at);
    d.level.layers.insert(d.level.layers.begin() + at, moved.begin(), moved.end());
    for (auto& l : d.level.layers)
        for (auto& in : l.inbound)
            if (in == blockName) in = output;
    if (created)
        for (const auto& l : moved) created->push_back(l.name);
    return commit(tr("Ungroup %1").arg(q(blockName)), d);
}

} // namespace strata::gui
