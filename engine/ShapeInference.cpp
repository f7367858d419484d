#include "engine/ShapeInference.h"

#include "engine/Error.h"
#include "engine/LayerRegistry.h"

#include <algorithm>
#include <unordered_map>

namespace strata {

namespace {

std::string arityText(int min, int max) {
    if (min == max) return std::to_string(min) + (min == 1 ? " input" : " inputs");
    if (max < 0) return "at least " + std::to_string(min) + " inputs";
    return std::to_string(min) + " to " + std::to_string(max) + " inputs";
}

// The strongly connected components (Tarjan, iterative) of the layers left over by the
// topological sort, following inbound edges; returns those that hold a cycle (two or more
// layers, or one that feeds itself). Linear in layers and edges.
std::vector<std::vector<int>> cycles(const std::vector<LayerInference>& ls, const std::vector<int>& pending) {
    const int n = int(ls.size());
    std::vector<int> index(n, -1), low(n, 0), stack;
    std::vector<char> onStack(n, 0);
    std::vector<std::vector<int>> out;
    int next = 0;
    struct Frame {
        int node;
        std::size_t edge;
    };
    for (int root = 0; root < n; ++root) {
        if (pending[root] == 0 || index[root] >= 0) continue;
        std::vector<Frame> frames{{root, 0}};
        index[root] = low[root] = next++;
        stack.push_back(root), onStack[root] = 1;
        while (!frames.empty()) {
            Frame& f = frames.back();
            const auto& in = ls[f.node].inbound;
            if (f.edge < in.size()) {
                const int w = in[f.edge++];
                if (w < 0 || pending[w] == 0) continue;
                if (index[w] < 0) {
                    index[w] = low[w] = next++;
                    stack.push_back(w), onStack[w] = 1;
                    frames.push_back({w, 0});
                } else if (onStack[w]) {
                    low[f.node] = std::min(low[f.node], index[w]);
                }
                continue;
            }
            const int v = f.node;
            frames.pop_back();
            if (!frames.empty()) low[frames.back().node] = std::min(low[frames.back().node], low[v]);
            if (low[v] != index[v]) continue;
            std::vector<int> component;
            int w;
            do {
                w = stack.back();
                stack.pop_back(), onStack[w] = 0;
                component.push_back(w);
            } while (w != v);
            bool selfLoop = false;
            for (int i : ls[v].inbound) selfLoop = selfLoop || i == v;
            if (component.size() > 1 || selfLoop) out.push_back(std::move(component));
        }
    }
    return out;
}

// "a → b → c → a": one cycle through the component's first layer in spec order, found by a
// breadth-first search inside the component; long cycles show their ends and a count.
std::string cycleText(const std::vector<LayerInference>& ls, const ModelSpec& spec, std::vector<int> component) {
    std::sort(component.begin(), component.end());
    const int start = component.front();
    std::unordered_map<int, int> parent; // layer -> the layer whose inbound edge reached it
    std::vector<int> queue{start};
    int last = -1;
    for (std::size_t k = 0; k < queue.size() && last < 0; ++k)
        for (int in : ls[queue[k]].inbound) {
            if (in < 0 || !std::binary_search(component.begin(), component.end(), in)) continue;
            if (in == start) {
                last = queue[k];
                break;
            }
            if (parent.emplace(in, queue[k]).second) queue.push_back(in);
        }
    // Inbound edges point backwards: the path start <- ... <- last reads forwards from last.
    std::vector<int> path{start}; // in the direction data flows: start -> last -> ... -> start
    for (int v = last; v != start && v >= 0; v = parent.at(v)) path.push_back(v);
    std::vector<std::string> names;
    for (int v : path) names.push_back(spec.layers[v].name);
    names.push_back(spec.layers[start].name);
    std::string s;
    const std::size_t keep = 6;
    for (std::size_t i = 0; i < names.size(); ++i) {
        if (names.size() > 2 * keep + 1 && i == keep) {
            s += " → … (" + std::to_string(names.size() - 2 * keep) + " more) …";
            i = names.size() - keep - 1;
            continue;
        }
        s += (i ? " → " : "") + names[i];
    }
    return s + (component.size() > path.size() ? " (" + std::to_string(component.size()) + " layers in this loop)" : "");
}

// A layer's output must be a shape a tensor can have: every dimension at most kMaxDim (so the
// next layer's arithmetic stays in int64) and a product that does not overflow.
void checkBounded(const Shape& out) {
    for (std::size_t d = 0; d < out.rank(); ++d)
        if (out[d] > kMaxDim)
            throw ShapeError("its output shape " + out.toString() + " has a dimension over " + std::to_string(kMaxDim));
    (void)out.knownElements(); // throws when the product passes 2^62
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

    // Resolve inbound names ("NAME" or "NAME:K", OutputRef).
    const auto indexOfName = [&byName](const std::string& name) {
        auto it = byName.find(name);
        return it == byName.end() ? -1 : it->second;
    };
    std::vector<int> pending(n, 0);
    std::vector<std::vector<int>> consumers(n);
    for (int i = 0; i < n; ++i) {
        auto& li = r.layers[i];
        for (const auto& name : spec.layers[i].inbound) {
            const OutputRef ref = resolveOutputRef(name, indexOfName);
            const int j = ref.layer;
            li.inbound.push_back(j);
            li.inboundOutput.push_back(ref.output);
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
        // One message per cycle, on its first layer in spec order: a ring of 10,000 layers gets
        // one line, not 10,000 paths of 10,000 names.
        for (auto& component : cycles(r.layers, pending)) {
            const int first = *std::min_element(component.begin(), component.end());
            r.layers[first].errors.push_back("is part of a cycle: " + cycleText(r.layers, spec, std::move(component)));
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
    for (const auto& name : spec.outputs) {
        if (byName.count(name)) continue;
        const OutputRef ref = resolveOutputRef(name, indexOfName);
        if (ref.layer < 0) modelIssues.push_back({spec.name, "output '" + name + "' is not produced by any layer"});
        else
            modelIssues.push_back({spec.name, "output '" + name + "' is output " + std::to_string(ref.output) +
                                                  " of layer '" + spec.layers[std::size_t(ref.layer)].name +
                                                  "'; a model output is a layer's first output (pass this one "
                                                  "through a layer, e.g. an Activation with activation linear)"});
    }
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
        for (std::size_t a = 0; a < li.inbound.size(); ++a) {
            const LayerInference& from = r.layers[std::size_t(li.inbound[a])];
            const int k = li.inboundOutput[a];
            if (k == 0) {
                li.inputShapes.push_back(*from.outputShape);
            } else if (std::size_t(k) <= from.extraOutputShapes.size()) {
                li.inputShapes.push_back(from.extraOutputShapes[std::size_t(k - 1)]);
            } else {
                const std::string& fromName = spec.layers[std::size_t(li.inbound[a])].name;
                const std::size_t n = from.extraOutputShapes.size() + 1;
                std::string msg = "inbound '" + ls.inbound[a] + "': layer '" + fromName + "' has ";
                if (n == 1) msg += "one output";
                else msg += std::to_string(n) + " outputs ('" + fromName + "' and '" + fromName + ":1' to '" +
                            outputRefText(fromName, int(n - 1)) + "')";
                if (from.layer && from.layer->info().defaults.contains("return_state") &&
                    !from.layer->cfg("return_state").get<bool>())
                    msg += "; set its return_state to use its states";
                li.errors.push_back(std::move(msg));
                li.inputShapes.clear();
                break;
            }
        }
        if (!li.errors.empty()) continue;
        try {
            Shape out = li.layer->outputShape(li.inputShapes);
            checkBounded(out);
            std::vector<Shape> extra = li.layer->extraOutputShapes(li.inputShapes);
            for (const Shape& e : extra) checkBounded(e);
            li.params = li.layer->countParams(li.inputShapes);
            r.totals += li.params;
            li.outputShape = std::move(out);
            li.extraOutputShapes = std::move(extra);
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
