// GraphEditor: copy, paste and duplicate. The clipboard holds layer entries as in a spec, with
// the wires among them and their positions relative to the copied group's top-left corner.
#include "app/gui/model/GraphEditor.h"

#include <set>

namespace strata::gui {

namespace {
constexpr const char* kClipFormat = "strata.clipboard/1";
constexpr double kPasteOffset = 32;
} // namespace

nlohmann::json GraphEditor::copy(const std::vector<std::string>& names) const {
    const ModelSpec& spec = model_->spec();
    std::set<std::string> chosen(names.begin(), names.end());
    nlohmann::json layers = nlohmann::json::array();
    double minX = 1e300, minY = 1e300;
    for (const auto& l : spec.layers)
        if (chosen.count(l.name)) {
            QPointF p = model_->position(l.name);
            minX = std::min(minX, p.x());
            minY = std::min(minY, p.y());
        }
    nlohmann::json positions = nlohmann::json::object();
    const Positions& all = model_->state().positions;
    for (const auto& l : spec.layers) {
        if (!chosen.count(l.name)) continue;
        nlohmann::json e = {{"name", l.name}, {"type", l.type}, {"config", l.config}};
        nlohmann::json in = nlohmann::json::array();
        for (const auto& i : l.inbound) // wires among the copied layers, from their states ("lstm:1") too
            in.push_back(chosen.count(model_->layerOf(i)) ? nlohmann::json(i) : nlohmann::json(nullptr));
        e["inbound"] = in;
        layers.push_back(e);
        QPointF p = model_->position(l.name);
        positions[l.name] = {p.x() - minX, p.y() - minY};
        // Layouts inside copied blocks travel along, unchanged.
        std::string prefix = model_->key(l.name) + "/";
        for (auto it = all.lower_bound(prefix); it != all.end() && it->first.rfind(prefix, 0) == 0; ++it)
            positions[l.name + "/" + it->first.substr(prefix.size())] = {it->second.x(), it->second.y()};
    }
    return {{"format", kClipFormat}, {"layers", layers}, {"positions", positions}, {"origin", {minX, minY}}};
}

QString GraphEditor::paste(const nlohmann::json& clip, std::optional<QPointF> at, std::vector<std::string>* created) {
    return insertClip(clip, at, created, tr("Paste"));
}

QString GraphEditor::insertClip(const nlohmann::json& clip, std::optional<QPointF> at, std::vector<std::string>* created,
                                const QString& verb) {
    if (!clip.is_object() || clip.value("format", "") != kClipFormat || !clip.contains("layers"))
        return tr("the clipboard holds no Strata layers");
    Draft d = draft();
    const auto& entries = clip["layers"];
    // New names first, so wires among pasted layers follow renames.
    std::map<std::string, std::string> rename;
    ModelSpec names = d.level;
    for (const auto& e : entries) {
        std::string n = e.value("name", "layer");
        std::string fresh = names.uniqueName(n);
        rename[n] = fresh;
        LayerSpec placeholder;
        placeholder.name = fresh;
        names.layers.push_back(placeholder);
    }
    QPointF origin(0, 0);
    if (clip.contains("origin") && clip["origin"].is_array() && clip["origin"].size() == 2)
        origin = QPointF(clip["origin"][0].get<double>(), clip["origin"][1].get<double>());
    QPointF base = at ? *at : origin + QPointF(kPasteOffset, kPasteOffset);
    std::vector<std::string> made;
    for (const auto& e : entries) {
        LayerSpec l;
        l.name = rename[e.value("name", "layer")];
        l.type = e.value("type", "");
        l.config = e.contains("config") && e["config"].is_object() ? e["config"] : nlohmann::json::object();
        l.inboundGiven = l.type != "Input";
        if (e.contains("inbound") && e["inbound"].is_array())
            for (const auto& in : e["inbound"]) {
                if (!in.is_string()) continue;
                const std::string ref = in.get<std::string>();
                std::string from;
                int k = 0;
                if (rename.count(ref)) l.inbound.push_back(rename[ref]);
                else if (splitOutputSuffix(ref, from, k) && rename.count(from)) l.inbound.push_back(outputRefText(rename[from], k));
            }
        d.level.layers.push_back(l);
        made.push_back(l.name);
    }
    if (clip.contains("positions") && clip["positions"].is_object())
        for (auto it = clip["positions"].begin(); it != clip["positions"].end(); ++it) {
            const auto& v = it.value();
            if (!v.is_array() || v.size() != 2) continue;
            std::string k = it.key();
            auto slash = k.find('/');
            std::string head = k.substr(0, slash);
            if (!rename.count(head)) continue;
            QPointF p(v[0].get<double>(), v[1].get<double>());
            if (slash == std::string::npos) d.positions[d.key(rename[head])] = base + p;
            else d.positions[d.key(rename[head]) + k.substr(slash)] = p;
        }
    if (created) *created = made;
    if (made.empty()) return tr("nothing to paste");
    return commit(tr("%1 %n layer(s)", nullptr, int(made.size())).arg(verb), d);
}

QString GraphEditor::duplicate(const std::vector<std::string>& names, std::vector<std::string>* created) {
    if (names.empty()) return tr("select the layers to duplicate");
    return insertClip(copy(names), std::nullopt, created, tr("Duplicate"));
}

} // namespace strata::gui
