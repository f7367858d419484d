#include "engine/LayerRegistry.h"

#include "engine/Error.h"
#include "engine/Layer.h"

#include <cctype>

namespace strata {

LayerRegistry::LayerRegistry() {
    layers::registerCoreLayers(types_);
    layers::registerConvolutionLayers(types_);
    layers::registerDepthwiseLayers(types_);
    layers::registerPoolingLayers(types_);
    layers::registerSequenceLayers(types_);
    layers::registerEmbeddingLayers(types_);
    layers::registerRecurrentLayers(types_);
    layers::registerAttentionLayers(types_);
    layers::registerReshapingLayers(types_);
    layers::registerNormalizationLayers(types_);
    layers::registerRegularizationLayers(types_);
    layers::registerMergeLayers(types_);
    layers::registerBlockLayer(types_);
    layers::registerResizingLayers(types_);
    layers::registerActivationLayers(types_);
    layers::registerAugmentationLayers(types_);
}

const LayerRegistry& LayerRegistry::instance() {
    static const LayerRegistry registry;
    return registry;
}

const LayerTypeInfo* LayerRegistry::find(const std::string& type) const {
    for (const auto& t : types_)
        if (t.type == type) return &t;
    return nullptr;
}

std::vector<std::string> LayerRegistry::typeNames() const {
    std::vector<std::string> out;
    for (const auto& t : types_) out.push_back(t.type);
    return out;
}

namespace {
const char* kindName(const nlohmann::json& v) {
    switch (v.type()) {
    case nlohmann::json::value_t::null: return "null";
    case nlohmann::json::value_t::boolean: return "a boolean";
    case nlohmann::json::value_t::number_integer:
    case nlohmann::json::value_t::number_unsigned: return "an integer";
    case nlohmann::json::value_t::number_float: return "a number";
    case nlohmann::json::value_t::string: return "a string";
    case nlohmann::json::value_t::array: return "a list";
    case nlohmann::json::value_t::object: return "an object";
    default: return "a value";
    }
}

// Whether `value` has a JSON kind acceptable where `def` is the default.
bool sameKind(const nlohmann::json& def, const nlohmann::json& value) {
    if (def.is_null() || value.is_null()) return true; // null defaults accept anything; null means "unset"
    if (def.is_number_float()) return value.is_number();
    if (def.is_number_integer()) return value.is_number_integer() || value.is_array();
    if (def.is_array()) return value.is_array() || value.is_number_integer();
    return def.type() == value.type();
}
} // namespace

void LayerRegistry::checkConfig(const LayerTypeInfo& info, const nlohmann::json& config,
                                std::vector<std::string>& errors) const {
    if (!config.is_object() && !config.is_null()) {
        errors.push_back("config must be an object, got " + std::string(kindName(config)));
        return;
    }
    for (auto it = config.begin(); it != config.end(); ++it) {
        if (it.key() == kTrainableKey && info.type != "Input") { // every layer type takes it, as in Keras
            if (!it.value().is_boolean() && !it.value().is_null())
                errors.push_back(std::string(kTrainableKey) + ": expected a boolean, got " + kindName(it.value()) + " " +
                                 it.value().dump());
            continue;
        }
        auto def = info.defaults.find(it.key());
        if (def == info.defaults.end()) {
            std::string known;
            for (auto k = info.defaults.begin(); k != info.defaults.end(); ++k)
                known += (known.empty() ? "" : ", ") + k.key();
            if (info.type != "Input") known += (known.empty() ? "" : ", ") + std::string(kTrainableKey);
            errors.push_back("unknown config key '" + it.key() + "' for " + info.type +
                             (known.empty() ? " (it takes no config)" : " (known keys: " + known + ")"));
            continue;
        }
        // A pool's padding may be explicit pads (a list), its own config says which.
        // A random layer's factor may be [lower, upper] (its own config checks the numbers).
        const bool listForm = (it.key() == "padding" || it.key() == "factor" || it.key() == "height_factor" ||
                               it.key() == "width_factor") && it.value().is_array();
        if (!sameKind(*def, it.value()) && !listForm) {
            errors.push_back(it.key() + ": expected " + kindName(*def) + ", got " + kindName(it.value()) + " " +
                             it.value().dump());
        }
    }
    for (const auto& key : info.requiredKeys) {
        auto it = config.is_object() ? config.find(key) : config.end();
        if (!config.is_object() || it == config.end() || it->is_null()) errors.push_back(key + ": required for " + info.type);
    }
}

std::unique_ptr<Layer> LayerRegistry::create(const std::string& type, const std::string& name,
                                             const nlohmann::json& config) const {
    const LayerTypeInfo* info = find(type);
    if (!info) throw ConfigError(name + ": unknown layer type '" + type + "'");
    std::vector<std::string> errors;
    checkConfig(*info, config, errors);
    if (!errors.empty()) {
        std::string msg;
        for (const auto& e : errors) msg += (msg.empty() ? "" : "; ") + e;
        throw ConfigError(msg);
    }
    return info->create(*info, name, config);
}

std::string defaultLayerName(const std::string& type) {
    if (type == "Input") return "input_layer";
    // Keras' to_snake_case: "(.)([A-Z][a-z]+)" -> "\1_\2", then "([a-z])([A-Z])" -> "\1_\2", lower.
    std::string a;
    for (std::size_t i = 0; i < type.size(); ++i) {
        if (i > 0 && std::isupper((unsigned char)type[i]) && i + 1 < type.size() &&
            std::islower((unsigned char)type[i + 1]))
            a += '_';
        a += type[i];
    }
    std::string b;
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (i > 0 && std::islower((unsigned char)a[i - 1]) && std::isupper((unsigned char)a[i])) b += '_';
        b += char(std::tolower((unsigned char)a[i]));
    }
    return b;
}

} // namespace strata
