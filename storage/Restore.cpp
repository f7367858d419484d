#include "storage/Restore.h"

#include <algorithm>
#include <map>
#include <set>

namespace strata::storage {

namespace {

std::string shapeText(const Shape& s, DType t) { return s.toString() + " " + std::string(dtypeName(t)); }

std::string firstLine(const RestoreReport& r) {
    return "restoring " + r.source + " into " + r.target + " failed; nothing was applied:\n" + r.problems();
}

} // namespace

std::string RestoreReport::problems() const {
    std::string out;
    for (const auto& k : missing) out += "  missing (in " + target + ", not in " + source + "): " + k + "\n";
    for (const auto& k : unexpected) out += "  unexpected (in " + source + ", not in " + target + "): " + k + "\n";
    for (const auto& m : mismatched)
        out += "  shape mismatch: " + m.key + ": expected " + shapeText(m.expected, m.expectedType) + ", stored " +
               shapeText(m.found, m.foundType) + "\n";
    return out;
}

RestoreError::RestoreError(RestoreReport report) : StorageError(firstLine(report)), report_(std::move(report)) {}

RestoreReport restoreModel(const VariableSource& source, Model& model, RestoreMode mode) {
    RestoreReport r;
    r.source = source.description();
    r.target = "model '" + model.spec().name + "'";

    // An unbuilt model is matched against a built twin, so a failed restore leaves it untouched.
    std::unique_ptr<Model> twin;
    const Model* reference = &model;
    if (!model.built()) {
        twin = Model::fromSpec(model.spec());
        twin->build(0);
        reference = twin.get();
    }
    std::map<std::string, const Variable*> wanted;
    for (const Variable* v : reference->variables()) wanted.emplace(v->checkpointKey(), v);

    std::vector<const VariableEntry*> matches;
    std::set<std::string> seen;
    for (const VariableEntry& e : source.entries()) {
        if (!isModelKey(e.key)) {
            r.trainingState.push_back(e.key);
            continue;
        }
        seen.insert(e.key);
        auto it = wanted.find(e.key);
        if (it == wanted.end()) r.unexpected.push_back(e.key);
        else if (it->second->shape() != e.shape || it->second->dtype() != e.dtype)
            r.mismatched.push_back({e.key, it->second->shape(), e.shape, it->second->dtype(), e.dtype});
        else matches.push_back(&e);
    }
    for (const auto& [key, v] : wanted)
        if (!seen.count(key)) r.missing.push_back(key);

    if (!r.complete() && mode == RestoreMode::AllOrNothing) throw RestoreError(std::move(r));

    // Read (and check) everything before assigning anything.
    std::vector<std::pair<std::string, Tensor>> values;
    values.reserve(matches.size());
    for (const VariableEntry* e : matches) values.emplace_back(e->key, source.read(*e));

    if (!model.built()) {
        model.build(0);
        r.built = true;
    }
    std::map<std::string, Variable*> targets;
    for (Variable* v : model.variables()) targets.emplace(v->checkpointKey(), v);
    for (auto& [key, value] : values) {
        targets.at(key)->assign(value);
        r.restored.push_back(key);
    }
    for (const auto& k : r.missing) r.skipped.push_back(k);
    for (const auto& k : r.unexpected) r.skipped.push_back(k);
    for (const auto& m : r.mismatched) r.skipped.push_back(m.key);
    r.applied = true;
    return r;
}

RestoreReport restoreTrainingState(const VariableSource& source, ir::Backend& backend) {
    RestoreReport r;
    r.source = source.description();
    r.target = "the " + backend.name() + " backend";
    std::vector<std::pair<std::string, const VariableEntry*>> todo;
    for (const VariableEntry& e : source.entries()) {
        if (isModelKey(e.key) || e.key == kSaveCounterKey) continue;
        auto path = pathOfKey(e.key);
        if (!path) {
            r.unexpected.push_back(e.key);
            continue;
        }
        r.trainingState.push_back(e.key);
        if (backend.hasVariable(*path)) {
            Tensor current = backend.getVariable(*path);
            if (current.shape() != e.shape || current.dtype() != e.dtype) {
                r.mismatched.push_back({e.key, current.shape(), e.shape, current.dtype(), e.dtype});
                continue;
            }
        }
        todo.emplace_back(*path, &e);
    }
    if (!r.complete()) throw RestoreError(std::move(r));
    std::vector<std::pair<std::string, Tensor>> values;
    for (const auto& [path, e] : todo) values.emplace_back(path, source.read(*e));
    for (auto& [path, value] : values) {
        backend.setVariable(path, value);
        r.restored.push_back(keyOfPath(path));
    }
    r.applied = true;
    return r;
}

} // namespace strata::storage
