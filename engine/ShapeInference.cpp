#include "engine/ShapeInference.h"

#include "engine/Error.h"
#include "engine/LayerRegistry.h"

#include <unordered_map>

namespace strata {

namespace {

std::string arityText(int min, int max) {
    if (min == max) return std::to_string(min) + (min == 1 ? " input" : " inputs");
    if (max < 0) return "at least " + std::to_string(min) + " inputs";
    return std::to_string(min) + " to " + std::to_string(max) + " inputs";
}

// Names of the layers on one cycle through `start`, for the message "a → b → a".
std::string cyclePath(const std::vector<LayerInference>& ls, const ModelSpec& spec, int start) {
    std::vector<int> path{start};
    std::vector<char> seen(ls.size(), 0);
    int cur = start;
    while (true) {
        seen[cur] = 1;
        int next = -1;
        for (int in : ls[cur].inbound)
            if (in >= 0 && (in == start || !seen[in])) {
                next = in;
                if (in == start) break;
            }
        if (next < 0 || next == start || path.size() > ls.size()) break;
        path.push_back(next);
        cur = next;
    }
    std::string s = spec.layers[start].name;
    for (auto it = path.rbegin(); it != path.rend(); ++it)
        if (*it != start) s += " → " + spec.layers[*it].name;
    return s + " → " + spec.layers[start].name;
}

} // namespace

InferenceResult ShapeInference::run(const ModelSpec& spec, const std::vector<Shape>* inputShapes) {
    const auto& registry = LayerRegistry::instance();
    const int n = int(spec.layers.size());
    InferenceResult r;
    r.layers.resize(n);

    std::unordered_map<std::string, int> byName;
    byName.reserve(n * 2);
    for (int i = 0; i < n; ++i) {
        const auto& ls = spec.layers[i];
        auto& li = r.layers[i];
        for (const auto& p : ls.problems) li.errors.push_back(p);
        auto [it, inserted] = byName.emplace(ls.name, i);
        if (!inserted) li.errors.push_back("duplicate layer name (also used by layer #" + std::to_string(it->second) + ")");
        if (ls.type.empty()) continue;
        const LayerTypeInfo* info = registry.find(ls.type);
        if (!info) {
            std::string known;
            for (const auto& t : registry.types()) known += (known.empty() ? "" : ", ") + t.type;
            li.errors.push_back("unknown layer type '" + ls.type + "' (known: " + known + ")");
            continue;
        }
        std::vector<std::string> configErrors;
        registry.checkConfig(*info, ls.config, configErrors);
        for (auto& e : configErrors) li.errors.push_back(std::move(e));
        if (configErrors.empty()) {
            try {
                li.layer = info->create(*info, ls.name, ls.config);
            } catch (const StrataError& e) {
                li.errors.push_back(e.what());
            }
        }
        const int arity = int(ls.inbound.size());
        if (arity < info->minInputs || (info->maxInputs >= 0 && arity > info->maxInputs))
            li.errors.push_back(info->type == "Input"
                                    ? "an Input takes no inbound layers, got " + std::to_string(arity)
                                    : "expects " + arityText(info->minInputs, info->maxInputs) + ", got " +
                                          std::to_string(arity));
    }

    // Resolve inbound names.
    std::vector<int> pending(n, 0);
    std::vector<std::vector<int>> consumers(n);
    for (int i = 0; i < n; ++i) {
        auto& li = r.layers[i];
        for (const auto& name : spec.layers[i].inbound) {
            auto it = byName.find(name);
            int j = it == byName.end() ? -1 : it->second;
            li.inbound.push_back(j);
            if (j < 0) li.errors.push_back("unknown inbound layer '" + name + "'");
            else {
                ++pending[i];
                consumers[j].push_back(i);
            }
        }
    }

    // Topological order (Kahn); what remains lies on or behind a cycle.
    r.order.reserve(n);
    for (int i = 0; i < n; ++i)
        if (pending[i] == 0) r.order.push_back(i);
    for (std::size_t k = 0; k < r.order.size(); ++k)
        for (int c : consumers[r.order[k]])
            if (--pending[c] == 0) r.order.push_back(c);
    if (int(r.order.size()) < n) {
        // A layer is on a cycle when it can reach itself through inbound edges.
        for (int i = 0; i < n; ++i) {
            if (pending[i] == 0) continue;
            std::vector<char> seen(n, 0);
            std::vector<int> stack{i};
            bool onCycle = false;
            while (!stack.empty() && !onCycle) {
                int cur = stack.back();
                stack.pop_back();
                for (int in : r.layers[cur].inbound) {
                    if (in == i) onCycle = true;
                    else if (in >= 0 && !seen[in]) seen[in] = 1, stack.push_back(in);
                }
            }
            if (onCycle) r.layers[i].errors.push_back("is part of a cycle: " + cyclePath(r.layers, spec, i));
        }
    }

    // Inputs: the listed ones must be Input layers; every Input must be listed.
    std::vector<char> isModelInput(n, 0);
    std::vector<SpecIssue> modelIssues;
    for (const auto& name : spec.inputs) {
        auto it = byName.find(name);
        if (it == byName.end()) modelIssues.push_back({spec.name, "input '" + name + "' is not a layer of the model"});
        else if (spec.layers[it->second].type != "Input")
            r.layers[it->second].errors.push_back("is listed as a model input but is a " + spec.layers[it->second].type +
                                                  ", not an Input");
        else isModelInput[it->second] = 1;
    }
    for (int i = 0; i < n; ++i)
        if (spec.layers[i].type == "Input" && !isModelInput[i] && spec.inputsGiven)
            r.layers[i].errors.push_back("is an Input but not listed in the model's inputs");
    for (const auto& name : spec.outputs)
        if (!byName.count(name)) modelIssues.push_back({spec.name, "output '" + name + "' is not produced by any layer"});
    if (spec.outputs.empty() && n > 0) modelIssues.push_back({spec.name, "the model has no outputs"});
    if (n == 0) modelIssues.push_back({spec.name, "the model has no layers"});

    // Shapes, in topological order.
    std::vector<char> reachable(n, 0);
    for (int i : r.order) {
        auto& li = r.layers[i];
        const auto& ls = spec.layers[i];
        if (ls.type == "Input") {
            reachable[i] = 1;
            if (!li.layer || !li.errors.empty()) continue;
            Shape out = li.layer->outputShape({});
            if (inputShapes && isModelInput[i]) {
                std::size_t k = 0;
                while (k < spec.inputs.size() && spec.inputs[k] != ls.name) ++k;
                if (k < inputShapes->size()) {
                    const Shape& given = (*inputShapes)[k];
                    if (!given.isCompatibleWith(out)) {
                        li.errors.push_back("expects inputs of shape " + out.toString() + ", got " + given.toString());
                        continue;
                    }
                    for (std::size_t d = 0; d < out.rank(); ++d)
                        if (given.isKnown(d)) out[d] = given[d];
                }
            }
            li.outputShape = out;
            continue;
        }
        bool ready = !li.inbound.empty();
        for (int in : li.inbound) {
            if (in >= 0 && reachable[in]) reachable[i] = 1;
            ready = ready && in >= 0 && r.layers[in].outputShape.has_value();
        }
        if (!li.inbound.empty() && !reachable[i] && li.errors.empty())
            li.errors.push_back("is not reachable from any model input");
        if (!ready || !li.layer || !li.errors.empty()) continue;
        li.inputShapes.reserve(li.inbound.size());
        for (int in : li.inbound) li.inputShapes.push_back(*r.layers[in].outputShape);
        try {
            li.outputShape = li.layer->outputShape(li.inputShapes);
            li.params = li.layer->countParams(li.inputShapes);
            r.totals += li.params;
        } catch (const StrataError& e) {
            li.errors.push_back(e.what());
        }
    }

    for (int i = 0; i < n; ++i)
        for (const auto& e : r.layers[i].errors) r.issues.push_back({spec.layers[i].name, e});
    for (auto& m : modelIssues) r.issues.push_back(std::move(m));
    return r;
}

} // namespace strata
