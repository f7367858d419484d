// The difference between two model specs (two versions of a model): layers added, removed and
// changed, matched by name (a renamed layer is one removed and one added: nothing is guessed),
// each changed layer with the config keys that differ (defaults filled in, so spelling a default
// out is no change), its inbound layers when either model is functional, and the parameter
// counts before and after. A Block's layers are diffed inside it, by path ("encoder/dense_1").
//
//   SpecDiff d = SpecDiff::compute(v1.spec, v3.spec);
//   for (const LayerDiff& l : d.layers) if (l.status != DiffStatus::Unchanged) ...
#pragma once

#include "engine/Layer.h"
#include "engine/ModelSpec.h"

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace strata {

enum class DiffStatus { Unchanged, Added, Removed, Changed };
const char* diffStatusName(DiffStatus s); // "unchanged", "added", "removed", "changed"

// One key that differs; a value absent on one side is null there (a model-level list, a key
// of an unknown layer type).
struct ValueChange {
    std::string key; // a config key, "type" or "inbound"
    nlohmann::json before, after;
};

struct LayerDiff {
    std::string path; // "dense_1", or "encoder/dense_1" inside block "encoder"
    std::string name;
    int depth = 0;    // 0 at the top level, 1 inside a block, ...
    DiffStatus status = DiffStatus::Unchanged;
    std::string typeBefore, typeAfter; // empty on the side the layer is absent from
    std::vector<ValueChange> changes;  // Changed: the keys that differ (a block's "spec" never: see insideChanged)
    bool insideChanged = false;        // a Block some of whose layers differ (listed after it, by path)
    std::optional<ParamCounts> paramsBefore, paramsAfter; // absent on the side it is absent from, or on an error

    const std::string& type() const { return typeAfter.empty() ? typeBefore : typeAfter; }
    // Unchanged settings but another parameter count: its input changed width (a Dense after a
    // layer whose units changed), so its old weights no longer fit. Not counted as changed.
    bool inputChanged() const {
        return status == DiffStatus::Unchanged && paramsBefore && paramsAfter && paramsBefore->total() != paramsAfter->total();
    }
    // The keys that differ, for a label: "units, activation" (a block: "layers inside").
    std::string changedKeys() const;
};

struct SpecDiff {
    // Every layer of both specs: the new spec's order, each removed layer after the layer it
    // followed in the old spec; a block's layers follow it.
    std::vector<LayerDiff> layers;
    std::vector<ValueChange> modelChanges; // "name", "inputs", "outputs"
    std::optional<ParamCounts> totalsBefore, totalsAfter; // absent when that spec has errors

    static SpecDiff compute(const ModelSpec& before, const ModelSpec& after);

    int count(DiffStatus s) const;
    bool empty() const; // nothing differs
    const LayerDiff* find(const std::string& path) const;

    // One line per added (+), removed (-) and changed (~) layer, with the keys (old → new) and the
    // parameter counts; then the layers whose parameter count changed with their input alone
    // (inputChanged); then the totals. `before` and `after` label the two sides ("v1", "v3").
    std::string format(const std::string& before, const std::string& after) const;
    nlohmann::json toJson() const;
};

// A JSON value as a person reads it in a diff: 64, "relu", [3, 3], null.
std::string diffValueText(const nlohmann::json& v);

} // namespace strata
