#include "engine/train/FineTuning.h"

#include "engine/Error.h"
#include "engine/LayerRegistry.h"

#include <fnmatch.h>
#include <set>

namespace strata::train {

namespace {

std::vector<std::string> splitPatterns(const std::vector<std::string>& patterns) {
    std::vector<std::string> out;
    for (const std::string& p : patterns) {
        std::size_t start = 0;
        while (start <= p.size()) {
            const std::size_t comma = p.find(',', start);
            const std::string one = p.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
            if (!one.empty()) out.push_back(one);
            if (comma == std::string::npos) break;
            start = comma + 1;
        }
    }
    return out;
}

const LayerSpec* layerNamed(const ModelSpec& spec, const std::string& name) {
    const int i = spec.indexOf(name);
    return i < 0 ? nullptr : &spec.layers[std::size_t(i)];
}

// Layers that pass their input's values through (reordered, or kept at inference).
bool passesValuesThrough(const std::string& type) { return type == "Flatten" || type == "Reshape" || type == "Dropout"; }

// The activation that produces the output's values: the output layer's, looking through layers
// that only move values. Empty when unknown.
std::pair<std::string, std::string> outputActivation(const ModelSpec& spec) {
    if (spec.layers.empty()) return {};
    const LayerSpec* l = spec.outputs.empty() ? &spec.layers.back() : layerNamed(spec, spec.outputs.front());
    for (int guard = 0; l && guard < int(spec.layers.size()); ++guard) {
        if (passesValuesThrough(l->type) && l->inbound.size() == 1) {
            l = layerNamed(spec, l->inbound.front());
            continue;
        }
        if (l->type == "Softmax") return {l->name, "softmax"};
        const LayerTypeInfo* info = LayerRegistry::instance().find(l->type);
        if (!info || !info->defaults.contains("activation")) return {l->name, ""};
        const auto a = l->config.find("activation");
        const nlohmann::json& v = a != l->config.end() ? *a : info->defaults.at("activation");
        return {l->name, v.is_string() ? v.get<std::string>() : std::string("linear")};
    }
    return {};
}

} // namespace

std::vector<std::string> freezeLayers(ModelSpec& spec, const std::vector<std::string>& patterns) {
    std::set<std::string> frozen;
    for (const std::string& pattern : splitPatterns(patterns)) {
        bool matched = false;
        for (LayerSpec& l : spec.layers) {
            if (l.type == "Input" || (l.name != pattern && fnmatch(pattern.c_str(), l.name.c_str(), 0) != 0)) continue;
            if (!l.config.is_object()) l.config = nlohmann::json::object();
            l.config[kTrainableKey] = false;
            frozen.insert(l.name);
            matched = true;
        }
        if (!matched)
            throw ConfigError("--freeze '" + pattern + "' matches no layer of model '" + spec.name +
                              "' (a layer name, or a pattern such as 'conv*')");
    }
    std::vector<std::string> out;
    for (const LayerSpec& l : spec.layers)
        if (frozen.count(l.name)) out.push_back(l.name);
    return out;
}

std::string lossOutputWarning(const ModelSpec& spec, const std::string& loss, bool fromLogits) {
    const bool categorical = loss == "sparse_categorical_crossentropy" || loss == "categorical_crossentropy";
    const bool binary = loss == "binary_crossentropy";
    if (!categorical && !binary) return {};
    const auto [layer, activation] = outputActivation(spec);
    if (layer.empty() || activation.empty()) return {};
    const std::string expected = categorical ? "softmax" : "sigmoid";
    const bool probabilities = activation == "softmax" || activation == "sigmoid";
    if (!fromLogits && !probabilities)
        return "the loss '" + loss + "' expects probabilities, and the output layer '" + layer + "' has activation '" +
               activation + "': its outputs are logits. Train with from_logits (--from-logits), or end the model with " +
               expected;
    if (fromLogits && probabilities)
        return "from_logits treats the outputs as logits, and the output layer '" + layer + "' already applies " +
               activation + ": train without --from-logits, or remove the " + activation;
    return {};
}

} // namespace strata::train
