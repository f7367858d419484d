// The layer registry: the one place a layer type is added. Each entry has its Keras name, palette
// category, one-line description, default config, arity and a factory.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace strata {

class Layer;

// The config key every layer type but Input takes besides its own (Keras' `trainable`): false
// freezes the layer's variables (see Module::setTrainable). Absent means true; it is not among a
// type's defaults, so a spec that never freezes anything keeps its configs as they were.
inline constexpr const char* kTrainableKey = "trainable";

struct LayerTypeInfo {
    std::string type;        // "Dense"
    std::string category;    // palette group: Core, Convolution, Pooling, Normalization, Regularization, Merge, Activation, Preprocessing, Attention
    std::string description; // one line, for the palette tooltip
    nlohmann::json defaults; // every config key with its default; null marks "no default"
    int minInputs = 1;
    int maxInputs = 1; // -1: any number
    std::vector<std::string> requiredKeys; // keys the spec must give (no sensible default)
    std::function<std::unique_ptr<Layer>(const LayerTypeInfo&, std::string name, nlohmann::json config)> create;
};

class LayerRegistry {
public:
    static const LayerRegistry& instance();

    const LayerTypeInfo* find(const std::string& type) const;
    const std::vector<LayerTypeInfo>& types() const { return types_; }
    std::vector<std::string> typeNames() const;

    // Checks `config` against the type's defaults: unknown keys, missing required keys and values
    // of the wrong JSON kind are reported (each "key: message") in `errors`.
    void checkConfig(const LayerTypeInfo& info, const nlohmann::json& config, std::vector<std::string>& errors) const;
    // Creates a layer from a (possibly partial) config; throws ConfigError listing every problem.
    std::unique_ptr<Layer> create(const std::string& type, const std::string& name,
                                  const nlohmann::json& config = nlohmann::json::object()) const;

private:
    LayerRegistry();
    std::vector<LayerTypeInfo> types_;
};

// Keras' default layer name for a type: Dense -> dense, MaxPooling2D -> max_pooling2d, Input -> input_layer.
std::string defaultLayerName(const std::string& type);

// The factory of a registry entry for layer class T.
template <class T>
std::unique_ptr<Layer> makeLayer(const LayerTypeInfo& info, std::string name, nlohmann::json config) {
    return std::make_unique<T>(info, std::move(name), std::move(config));
}

// Registration functions, one per layer family (engine/layers/*.cpp).
namespace layers {
void registerCoreLayers(std::vector<LayerTypeInfo>& out);
void registerConvolutionLayers(std::vector<LayerTypeInfo>& out);
void registerDepthwiseLayers(std::vector<LayerTypeInfo>& out); // DepthwiseConv2D, SeparableConv2D
void registerPoolingLayers(std::vector<LayerTypeInfo>& out);
// Conv1D, MaxPooling1D, AveragePooling1D, GlobalAveragePooling1D, GlobalMaxPooling1D
void registerSequenceLayers(std::vector<LayerTypeInfo>& out);
void registerEmbeddingLayers(std::vector<LayerTypeInfo>& out); // Embedding
void registerRecurrentLayers(std::vector<LayerTypeInfo>& out); // SimpleRNN, LSTM, GRU, Bidirectional
void registerAttentionLayers(std::vector<LayerTypeInfo>& out); // MultiHeadAttention, Dot, RepeatVector, PositionEmbedding
void registerReshapingLayers(std::vector<LayerTypeInfo>& out);
void registerNormalizationLayers(std::vector<LayerTypeInfo>& out);
void registerRegularizationLayers(std::vector<LayerTypeInfo>& out);
void registerMergeLayers(std::vector<LayerTypeInfo>& out);
void registerBlockLayer(std::vector<LayerTypeInfo>& out);
void registerResizingLayers(std::vector<LayerTypeInfo>& out); // UpSampling2D, Cropping2D
void registerActivationLayers(std::vector<LayerTypeInfo>& out);
void registerAugmentationLayers(std::vector<LayerTypeInfo>& out); // RandomFlip, RandomContrast, ... (Preprocessing)
} // namespace layers

} // namespace strata
