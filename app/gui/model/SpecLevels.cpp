#include "app/gui/model/SpecLevels.h"

#include "engine/Error.h"

#include <unordered_set>

namespace strata::gui {

LayerSpec layerEntry(std::string name, std::string type, nlohmann::json config, std::vector<std::string> inbound) {
    LayerSpec l;
    l.name = std::move(name);
    l.type = std::move(type);
    l.config = std::move(config);
    l.inbound = std::move(inbound);
    l.inboundGiven = l.type != "Input";
    return l;
}

ModelSpec blockInnerSpec(const LayerSpec& block) {
    auto it = block.config.find("spec");
    if (it == block.config.end() || !it->is_object())
        throw SpecFormatError("block '" + block.name + "' has no nested spec");
    nlohmann::json j = *it;
    if (!j.contains("format")) j["format"] = kModelFormat;
    ModelSpec s = ModelSpec::fromJson(j);
    if (!it->contains("name")) s.name = block.name;
    return s;
}

nlohmann::json blockConfig(const ModelSpec& inner) {
    nlohmann::json j = inner.toJson();
    j.erase("format");
    return {{"spec", std::move(j)}};
}

namespace {
LayerSpec* findBlock(ModelSpec& spec, const std::string& name) {
    int i = spec.indexOf(name);
    if (i < 0 || spec.layers[std::size_t(i)].type != "Block") return nullptr;
    return &spec.layers[std::size_t(i)];
}
} // namespace

ModelSpec specAt(const ModelSpec& root, const LevelPath& path) {
    ModelSpec level = root;
    for (const auto& name : path) {
        LayerSpec* b = findBlock(level, name);
        if (!b) throw StrataError("no block '" + name + "' in '" + level.name + "'");
        level = blockInnerSpec(*b);
    }
    return level;
}

void setSpecAt(ModelSpec& root, const LevelPath& path, const ModelSpec& level) {
    if (path.empty()) {
        root = level;
        return;
    }
    // Rebuild from the innermost level outwards.
    std::vector<ModelSpec> chain{root};
    for (std::size_t i = 0; i + 1 < path.size(); ++i) {
        LayerSpec* b = findBlock(chain.back(), path[i]);
        if (!b) throw StrataError("no block '" + path[i] + "'");
        chain.push_back(blockInnerSpec(*b));
    }
    ModelSpec inner = level;
    for (std::size_t i = path.size(); i-- > 0;) {
        ModelSpec& outer = chain[i];
        LayerSpec* b = findBlock(outer, path[i]);
        if (!b) throw StrataError("no block '" + path[i] + "'");
        nlohmann::json cfg = blockConfig(inner);
        // Keep the keys a block config had besides its spec.
        for (auto it = b->config.begin(); it != b->config.end(); ++it)
            if (it.key() != "spec") cfg[it.key()] = it.value();
        b->config = std::move(cfg);
        inner = outer;
    }
    root = inner;
}

LevelPath existingPrefix(const ModelSpec& root, const LevelPath& path) {
    LevelPath out;
    ModelSpec level = root;
    for (const auto& name : path) {
        LayerSpec* b = findBlock(level, name);
        if (!b) break;
        try {
            level = blockInnerSpec(*b);
        } catch (const StrataError&) {
            break;
        }
        out.push_back(name);
    }
    return out;
}

std::string pathPrefix(const LevelPath& path) {
    std::string p;
    for (const auto& n : path) p += n + "/";
    return p;
}

std::string positionKey(const LevelPath& path, const std::string& layer) { return pathPrefix(path) + layer; }

void normalizeInputsOutputs(ModelSpec& spec) {
    // A layer is consumed when any of its outputs is: an encoder LSTM whose states feed a decoder
    // ("enc:1") is not a model output, as in Keras.
    std::unordered_set<std::string> names, consumed;
    for (const auto& l : spec.layers) names.insert(l.name);
    for (auto& l : spec.layers) {
        if (l.type != "Input") l.inboundGiven = true;
        for (const auto& in : l.inbound) {
            consumed.insert(in);
            std::string from;
            int k = 0;
            if (!names.count(in) && splitOutputSuffix(in, from, k)) consumed.insert(from);
        }
    }
    spec.inputs.clear();
    spec.outputs.clear();
    for (const auto& l : spec.layers) {
        if (l.type == "Input") spec.inputs.push_back(l.name);
        else if (!consumed.count(l.name)) spec.outputs.push_back(l.name);
    }
    spec.inputsGiven = spec.outputsGiven = true;
}

} // namespace strata::gui
