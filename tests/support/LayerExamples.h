// One small example per registered layer type: a config and the sample shapes (without the batch
// dimension) of its inputs. The registry-walk tests build each type from it, so a layer type with
// no row here fails them: adding a layer type adds its row.
#pragma once

#include "engine/LayerRegistry.h"
#include "engine/ModelSpec.h"

#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace strata::test {

struct LayerExample {
    nlohmann::json config = nlohmann::json::object();
    std::vector<std::vector<int64_t>> inputs; // per input, one sample's shape
};

inline const std::map<std::string, LayerExample>& layerExamples() {
    using nlohmann::json;
    static const std::map<std::string, LayerExample> examples = {
        {"Input", {{{"shape", {4}}}, {}}},
        {"Dense", {{{"units", 3}, {"activation", "softmax"}}, {{4}}}},
        {"Activation", {{{"activation", "tanh"}}, {{4}}}},
        {"LeakyReLU", {{{"alpha", 0.1}}, {{4}}}},
        {"ReLU", {{{"max_value", 0.5}, {"negative_slope", 0.1}}, {{4}}}},
        {"Conv2D", {{{"filters", 2}, {"kernel_size", 3}, {"padding", "same"}, {"activation", "relu"}}, {{5, 5, 2}}}},
        {"Conv2DTranspose", {{{"filters", 2}, {"kernel_size", 3}, {"strides", 2}}, {{3, 3, 2}}}},
        // explicit pads and ceil_mode: Strata's extension of Keras (PyTorch's pools)
        {"MaxPooling2D", {{{"pool_size", 3}, {"strides", 2}, {"padding", {{1, 1}, {0, 1}}}, {"ceil_mode", true}}, {{6, 5, 2}}}},
        {"AveragePooling2D", {{{"pool_size", 2}, {"padding", "same"}, {"strides", 1}}, {{3, 3, 2}}}},
        {"GlobalAveragePooling2D", {json::object(), {{4, 4, 2}}}},
        {"Flatten", {json::object(), {{2, 3, 2}}}},
        {"Reshape", {{{"target_shape", {3, -1}}}, {{6}}}},
        {"ZeroPadding2D", {{{"padding", {{1, 0}, {2, 1}}}}, {{3, 3, 1}}}},
        {"Dropout", {{{"rate", 0.5}, {"seed", 3}}, {{4}}}},
        {"BatchNormalization", {json::object(), {{4}}}},
        {"LayerNormalization", {json::object(), {{4}}}},
        {"Add", {json::object(), {{4}, {4}}}},
        {"Multiply", {json::object(), {{4}, {4}}}},
        {"Concatenate", {json::object(), {{4}, {3}}}},
        {"Block",
         {{{"spec",
            {{"inputs", {"x"}},
             {"outputs", {"y"}},
             {"layers",
              {{{"name", "x"}, {"type", "Input"}, {"config", {{"shape", {4}}}}},
               {{"name", "h"}, {"type", "Dense"}, {"config", {{"units", 3}, {"activation", "relu"}}}, {"inbound", {"x"}}},
               {{"name", "y"}, {"type", "Dense"}, {"config", {{"units", 2}}}, {"inbound", {"h"}}}}}}}},
          {{4}}}},
        {"Permute", {{{"dims", {2, 3, 1}}}, {{2, 3, 4}}}},
        {"Slice", {{{"axis", -1}, {"start", 1}, {"stop", -1}}, {{3, 2, 5}}}},
        {"DepthwiseConv2D", {{{"kernel_size", 3}, {"depth_multiplier", 2}, {"padding", "same"}, {"activation", "relu"}}, {{5, 5, 2}}}},
        {"SeparableConv2D", {{{"filters", 3}, {"kernel_size", 3}, {"strides", 2}, {"padding", "same"}}, {{5, 5, 2}}}},
        {"GlobalMaxPooling2D", {json::object(), {{3, 4, 2}}}},
        {"Conv1D", {{{"filters", 3}, {"kernel_size", 3}, {"padding", "causal"}, {"dilation_rate", 2}, {"activation", "tanh"}}, {{7, 2}}}},
        {"MaxPooling1D", {{{"pool_size", 3}, {"strides", 2}, {"padding", "same"}}, {{6, 2}}}},
        {"AveragePooling1D", {{{"pool_size", 2}, {"padding", "same"}}, {{5, 2}}}},
        {"GlobalAveragePooling1D", {{{"keepdims", true}}, {{5, 3}}}},
        {"GlobalMaxPooling1D", {json::object(), {{5, 3}}}},
        {"Embedding", {{{"input_dim", 7}, {"output_dim", 3}}, {{5}}}},
        {"SimpleRNN", {{{"units", 3}, {"return_sequences", true}}, {{4, 2}}}},
        {"LSTM", {{{"units", 3}, {"go_backwards", true}}, {{4, 2}}}},
        {"GRU", {{{"units", 3}, {"reset_after", false}, {"return_sequences", true}}, {{4, 2}}}},
        {"Bidirectional", {{{"layer", {{"type", "GRU"}, {"config", {{"units", 2}, {"return_sequences", true}}}}}, {"merge_mode", "ave"}}, {{4, 2}}}},
        // query (4 steps, 3 features), value (5, 2) and key (5, 6): every projection differs in size
        {"MultiHeadAttention", {{{"num_heads", 2}, {"key_dim", 3}, {"value_dim", 2}, {"use_causal_mask", true}}, {{4, 3}, {5, 2}, {5, 6}}}},
        {"Dot", {{{"axes", {2, 2}}}, {{4, 3}, {5, 3}}}},
        {"RepeatVector", {{{"n", 3}}, {{4}}}},
        {"PositionEmbedding", {{{"sequence_length", 6}}, {{4, 3}}}},
        {"UpSampling2D", {{{"size", {2, 3}}, {"interpolation", "bilinear"}}, {{3, 2, 2}}}},
        {"Cropping2D", {{{"cropping", {{1, 0}, {0, 2}}}}, {{4, 4, 2}}}},
        {"Softmax", {{{"axis", 1}}, {{3, 4}}}},
        {"PReLU", {{{"alpha_initializer", "random_uniform"}, {"shared_axes", {1, 2}}}, {{3, 3, 2}}}},
        {"Rescaling", {{{"scale", 0.5}, {"offset", -1.0}}, {{4}}}},
        {"RandomFlip", {{{"mode", "horizontal"}, {"seed", 5}}, {{3, 4, 2}}}},
        {"RandomContrast", {{{"factor", {0.2, 0.5}}, {"value_range", {0, 1}}, {"seed", 6}}, {{3, 4, 2}}}},
        {"RandomTranslation", {{{"height_factor", 0.2}, {"width_factor", {-0.3, 0.1}}, {"fill_mode", "constant"}, {"seed", 7}}, {{3, 4, 2}}}},
        {"RandomRotation", {{{"factor", 0.25}, {"interpolation", "nearest"}, {"fill_mode", "nearest"}, {"seed", 8}}, {{4, 4, 2}}}},
        {"RandomZoom", {{{"height_factor", {-0.3, 0.2}}, {"width_factor", 0.1}, {"seed", 9}}, {{3, 5, 2}}}},
        {"Resizing", {{{"height", 3}, {"width", 4}, {"crop_to_aspect_ratio", true}}, {{5, 3, 2}}}},
        {"RandomCrop", {{{"height", 2}, {"width", 3}, {"seed", 10}}, {{4, 5, 2}}}},
        {"Normalization", {{{"mean", {0.5, -1.0}}, {"variance", {4.0, 0.25}}}, {{3, 2}}}},
    };
    return examples;
}

// A model of one layer of `type` (named after the type's default name) on Input layers x0, x1, ...;
// for Input itself, a model whose only layer is the input. Throws std::out_of_range without a row.
inline ModelSpec layerExampleSpec(const std::string& type) {
    const LayerExample& e = layerExamples().at(type);
    nlohmann::json layers = nlohmann::json::array(), inbound = nlohmann::json::array(), inputs = nlohmann::json::array();
    if (type == "Input") {
        layers.push_back({{"name", "x0"}, {"type", "Input"}, {"config", e.config}});
        return ModelSpec::fromJson({{"format", kModelFormat}, {"name", "example"}, {"inputs", {"x0"}}, {"outputs", {"x0"}}, {"layers", layers}});
    }
    for (std::size_t i = 0; i < e.inputs.size(); ++i) {
        const std::string name = "x" + std::to_string(i);
        layers.push_back({{"name", name}, {"type", "Input"}, {"config", {{"shape", e.inputs[i]}}}});
        inbound.push_back(name), inputs.push_back(name);
    }
    const std::string name = defaultLayerName(type);
    layers.push_back({{"name", name}, {"type", type}, {"config", e.config}, {"inbound", inbound}});
    return ModelSpec::fromJson({{"format", kModelFormat}, {"name", "example"}, {"inputs", inputs}, {"outputs", {name}}, {"layers", layers}});
}

} // namespace strata::test
