#include "engine/SpecDiff.h"

#include "engine/Error.h"
#include "engine/LayerRegistry.h"
#include "engine/ShapeInference.h"
#include "engine/Summary.h"
#include "engine/layers/Block.h"

#include <map>
#include <set>

namespace strata {

namespace {

using nlohmann::json;

// One level of a spec (the model, or the inside of a block) with its inference when known.
struct Level {
    const ModelSpec* spec = nullptr;
    const InferenceResult* inference = nullptr; // null: not inferred (the block has an error)
};

// The config with every default filled in, so that a default spelled out is no change.
json fullConfig(const LayerSpec& l) {
    const json given = l.config.is_object() ? l.config : json::object();
    const LayerTypeInfo* info = LayerRegistry::instance().find(l.type);
    if (!info) return given;
    json full = info->defaults.is_object() ? info->defaults : json::object();
    for (auto it = given.begin(); it != given.end(); ++it) full[it.key()] = it.value();
    if (l.type != "Input" && !full.contains(kTrainableKey)) full[kTrainableKey] = true;
    return full;
}

std::optional<ParamCounts> paramsAt(const Level& level, std::size_t i) {
    if (!level.inference) return std::nullopt;
    const LayerInference& li = level.inference->layers[i];
    if (!li.errors.empty() || !li.outputShape) return std::nullopt;
    return li.params;
}

// The inside of block `i` of `level`: its inner spec (parsed from the config when the block did
// not construct) and, when its shapes are known, its inference. `own` holds a parsed spec.
Level insideOf(const Level& level, std::size_t i, std::unique_ptr<ModelSpec>& own) {
    if (level.inference) {
        const LayerInference& li = level.inference->layers[i];
        if (const auto* block = dynamic_cast<const layers::Block*>(li.layer.get())) {
            Level inner{&block->innerSpec(), nullptr};
            if (li.outputShape && li.errors.empty()) {
                try {
                    inner.inference = &block->innerInference(li.inputShapes);
                } catch (const StrataError&) {
                }
            }
            return inner;
        }
    }
    const LayerSpec& l = level.spec->layers[i];
    const json spec = l.config.is_object() ? l.config.value("spec", json()) : json();
    if (!spec.is_object()) return {};
    try {
        json withFormat = spec;
        if (!withFormat.contains("format")) withFormat["format"] = kModelFormat;
        own = std::make_unique<ModelSpec>(ModelSpec::fromJson(withFormat));
        return {own.get(), nullptr};
    } catch (const StrataError&) {
        return {};
    }
}

void diffLevel(const Level& a, const Level& b, const std::string& prefix, int depth, std::vector<LayerDiff>& out);

// The entries of one layer present on both sides (and, for blocks, of the layers inside).
std::vector<LayerDiff> diffBoth(const Level& a, std::size_t ia, const Level& b, std::size_t ib, const std::string& prefix,
                                int depth, bool compareInbound) {
    const LayerSpec& la = a.spec->layers[ia];
    const LayerSpec& lb = b.spec->layers[ib];
    LayerDiff d;
    d.path = prefix + lb.name;
    d.name = lb.name;
    d.depth = depth;
    d.typeBefore = la.type;
    d.typeAfter = lb.type;
    d.paramsBefore = paramsAt(a, ia);
    d.paramsAfter = paramsAt(b, ib);
    const bool blocks = la.type == "Block" && lb.type == "Block";
    if (la.type != lb.type) d.changes.push_back({"type", la.type, lb.type});
    json ca = fullConfig(la), cb = fullConfig(lb);
    if (blocks) ca.erase("spec"), cb.erase("spec");
    std::set<std::string> keys;
    for (auto it = ca.begin(); it != ca.end(); ++it) keys.insert(it.key());
    for (auto it = cb.begin(); it != cb.end(); ++it) keys.insert(it.key());
    for (const auto& k : keys) {
        const json va = ca.contains(k) ? ca[k] : json(), vb = cb.contains(k) ? cb[k] : json();
        if (va != vb) d.changes.push_back({k, va, vb});
    }
    if (compareInbound && la.inbound != lb.inbound) d.changes.push_back({"inbound", la.inbound, lb.inbound});

    std::vector<LayerDiff> inside;
    if (blocks) {
        std::unique_ptr<ModelSpec> ownA, ownB;
        const Level ina = insideOf(a, ia, ownA), inb = insideOf(b, ib, ownB);
        if (ina.spec && inb.spec) diffLevel(ina, inb, d.path + "/", depth + 1, inside);
        for (const auto& e : inside) d.insideChanged |= e.status != DiffStatus::Unchanged;
    }
    d.status = d.changes.empty() && !d.insideChanged ? DiffStatus::Unchanged : DiffStatus::Changed;
    std::vector<LayerDiff> all{std::move(d)};
    all.insert(all.end(), inside.begin(), inside.end());
    return all;
}

// A layer on one side only, and (a block) every layer inside it, all with the same status.
std::vector<LayerDiff> oneSide(const Level& level, std::size_t i, const std::string& prefix, int depth, DiffStatus status) {
    const LayerSpec& l = level.spec->layers[i];
    LayerDiff d;
    d.path = prefix + l.name;
    d.name = l.name;
    d.depth = depth;
    d.status = status;
    (status == DiffStatus::Added ? d.typeAfter : d.typeBefore) = l.type;
    (status == DiffStatus::Added ? d.paramsAfter : d.paramsBefore) = paramsAt(level, i);
    std::vector<LayerDiff> all{d};
    if (l.type == "Block") {
        std::unique_ptr<ModelSpec> own;
        const Level inner = insideOf(level, i, own);
        if (inner.spec)
            for (std::size_t k = 0; k < inner.spec->layers.size(); ++k) {
                auto sub = oneSide(inner, k, d.path + "/", depth + 1, status);
                all.insert(all.end(), sub.begin(), sub.end());
            }
    }
    return all;
}

void diffLevel(const Level& a, const Level& b, const std::string& prefix, int depth, std::vector<LayerDiff>& out) {
    const bool compareInbound = !(a.spec->isSequential() && b.spec->isSequential());
    std::map<std::string, std::size_t> inA, inB;
    for (std::size_t i = 0; i < a.spec->layers.size(); ++i) inA.emplace(a.spec->layers[i].name, i);
    for (std::size_t i = 0; i < b.spec->layers.size(); ++i) inB.emplace(b.spec->layers[i].name, i);
    // Removed layers, grouped by the nearest layer before them (in the old spec) that is kept.
    std::map<std::string, std::vector<std::size_t>> removedAfter; // "" : at the start
    std::string lastKept;
    for (std::size_t i = 0; i < a.spec->layers.size(); ++i) {
        const std::string& n = a.spec->layers[i].name;
        if (inB.count(n)) lastKept = n;
        else removedAfter[lastKept].push_back(i);
    }
    auto emitRemoved = [&](const std::string& after) {
        auto it = removedAfter.find(after);
        if (it == removedAfter.end()) return;
        for (std::size_t i : it->second) {
            auto entries = oneSide(a, i, prefix, depth, DiffStatus::Removed);
            out.insert(out.end(), entries.begin(), entries.end());
        }
        removedAfter.erase(it);
    };
    emitRemoved("");
    for (std::size_t i = 0; i < b.spec->layers.size(); ++i) {
        const std::string& n = b.spec->layers[i].name;
        auto found = inA.find(n);
        auto entries = found == inA.end() ? oneSide(b, i, prefix, depth, DiffStatus::Added)
                                          : diffBoth(a, found->second, b, i, prefix, depth, compareInbound);
        out.insert(out.end(), entries.begin(), entries.end());
        if (found != inA.end()) emitRemoved(n); // every key of removedAfter is "" or a kept layer
    }
}

std::string paramsText(const std::optional<ParamCounts>& p) { return p ? withThousands(p->total()) : std::string("—"); }

} // namespace

const char* diffStatusName(DiffStatus s) {
    switch (s) {
    case DiffStatus::Added: return "added";
    case DiffStatus::Removed: return "removed";
    case DiffStatus::Changed: return "changed";
    default: return "unchanged";
    }
}

std::string diffValueText(const nlohmann::json& v) {
    std::string s = v.dump();
    if (s.size() > 60) s = s.substr(0, 57) + "...";
    return s;
}

std::string LayerDiff::changedKeys() const {
    std::string s;
    for (const auto& c : changes) s += (s.empty() ? "" : ", ") + c.key;
    if (insideChanged) s += std::string(s.empty() ? "" : ", ") + "layers inside";
    return s;
}

SpecDiff SpecDiff::compute(const ModelSpec& before, const ModelSpec& after) {
    SpecDiff d;
    const InferenceResult ra = ShapeInference::run(before), rb = ShapeInference::run(after);
    diffLevel({&before, &ra}, {&after, &rb}, "", 0, d.layers);
    if (ra.ok()) d.totalsBefore = ra.totals;
    if (rb.ok()) d.totalsAfter = rb.totals;
    if (before.name != after.name) d.modelChanges.push_back({"name", before.name, after.name});
    if (before.inputs != after.inputs) d.modelChanges.push_back({"inputs", before.inputs, after.inputs});
    if (before.outputs != after.outputs) d.modelChanges.push_back({"outputs", before.outputs, after.outputs});
    return d;
}

int SpecDiff::count(DiffStatus s) const {
    int n = 0;
    for (const auto& l : layers) n += l.status == s;
    return n;
}

bool SpecDiff::empty() const { return modelChanges.empty() && count(DiffStatus::Unchanged) == int(layers.size()); }

const LayerDiff* SpecDiff::find(const std::string& path) const {
    for (const auto& l : layers)
        if (l.path == path) return &l;
    return nullptr;
}

std::string SpecDiff::format(const std::string& before, const std::string& after) const {
    std::string s = "Comparing " + before + " → " + after + "\n";
    for (const auto& c : modelChanges)
        s += "  model " + c.key + ": " + diffValueText(c.before) + " → " + diffValueText(c.after) + "\n";
    for (const auto& l : layers) {
        if (l.status == DiffStatus::Unchanged) continue;
        const char mark = l.status == DiffStatus::Added ? '+' : l.status == DiffStatus::Removed ? '-' : '~';
        const std::string type = l.typeBefore.empty() || l.typeAfter.empty() || l.typeBefore == l.typeAfter
                                     ? l.type()
                                     : l.typeBefore + " → " + l.typeAfter;
        s += std::string(1, mark) + " " + l.path + " (" + type + ")";
        std::string keys;
        for (const auto& c : l.changes)
            if (c.key != "type") keys += (keys.empty() ? "" : ", ") + c.key + " " + diffValueText(c.before) + " → " + diffValueText(c.after);
        if (l.insideChanged) keys += std::string(keys.empty() ? "" : ", ") + "layers inside changed";
        if (!keys.empty()) s += ": " + keys;
        s += "; params " + paramsText(l.paramsBefore) + " → " + paramsText(l.paramsAfter) + "\n";
    }
    std::string resized;
    for (const auto& l : layers)
        if (l.inputChanged())
            resized += (resized.empty() ? "" : ", ") + l.path + " " + paramsText(l.paramsBefore) + " → " + paramsText(l.paramsAfter);
    if (!resized.empty()) s += "Parameters changed with their input (settings unchanged): " + resized + "\n";
    s += "Total params: " + paramsText(totalsBefore) + " → " + paramsText(totalsAfter);
    if (totalsBefore && totalsAfter) {
        const int64_t delta = totalsAfter->total() - totalsBefore->total();
        s += " (" + std::string(delta >= 0 ? "+" : "") + withThousands(delta) + ")";
    }
    s += "\n" + std::to_string(count(DiffStatus::Added)) + " added, " + std::to_string(count(DiffStatus::Removed)) +
         " removed, " + std::to_string(count(DiffStatus::Changed)) + " changed, " +
         std::to_string(count(DiffStatus::Unchanged)) + " unchanged\n";
    return s;
}

nlohmann::json SpecDiff::toJson() const {
    auto params = [](const std::optional<ParamCounts>& p) { return p ? json(p->total()) : json(nullptr); };
    json arr = json::array();
    for (const auto& l : layers) {
        json changes = json::array();
        for (const auto& c : l.changes) changes.push_back({{"key", c.key}, {"before", c.before}, {"after", c.after}});
        arr.push_back({{"path", l.path},
                       {"name", l.name},
                       {"depth", l.depth},
                       {"status", diffStatusName(l.status)},
                       {"type", l.type()},
                       {"type_before", l.typeBefore.empty() ? json(nullptr) : json(l.typeBefore)},
                       {"type_after", l.typeAfter.empty() ? json(nullptr) : json(l.typeAfter)},
                       {"changes", std::move(changes)},
                       {"inside_changed", l.insideChanged},
                       {"input_changed", l.inputChanged()},
                       {"params_before", params(l.paramsBefore)},
                       {"params_after", params(l.paramsAfter)}});
    }
    json model = json::array();
    for (const auto& c : modelChanges) model.push_back({{"key", c.key}, {"before", c.before}, {"after", c.after}});
    return {{"layers", std::move(arr)},
            {"model_changes", std::move(model)},
            {"total_params_before", params(totalsBefore)},
            {"total_params_after", params(totalsAfter)},
            {"added", count(DiffStatus::Added)},
            {"removed", count(DiffStatus::Removed)},
            {"changed", count(DiffStatus::Changed)},
            {"unchanged", count(DiffStatus::Unchanged)}};
}

} // namespace strata
