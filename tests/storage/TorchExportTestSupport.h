// Shared parts of tst_torch_export: random weights and inputs, the engine's own outputs (inference
// and a training-mode forward), raw float32 files, Debian's python, and the small specs that cover
// every layer type, strides, padding, dilation, blocks, several inputs and outputs and odd names.
#pragma once

#include "engine/Activations.h"
#include "engine/Model.h"
#include "engine/cpu/CpuBackend.h"
#include "engine/layers/CoreLayers.h"
#include "engine/train/Tracer.h"

#include <QProcess>
#include <QString>
#include <QStringList>

#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace strata::torchtest {

inline const QString kPython = "/usr/bin/python3";
inline constexpr const char* kInstallHint =
    "the PyTorch export tests run the exported code with Debian's PyTorch: install it with "
    "`apt-get install python3-torch` (bash installer/setup.sh test does), so that /usr/bin/python3 -c 'import torch' works";

inline std::filesystem::path checkScript() {
    return std::filesystem::path(STRATA_TEST_DATA_DIR) / ".." / "storage" / "torch_export_check.py";
}

// Random weights that make every variable matter: kernels keep their glorot values, biases and
// beta get +-0.5, gamma 0.5..1.5, moving means +-0.5 and moving variances 0.5..2.
inline void randomizeWeights(Model& m, uint64_t seed) {
    std::mt19937 rng{uint32_t(seed)};
    for (Variable* v : m.variables()) {
        const std::string& n = v->name();
        if (n == "kernel") continue;
        std::uniform_real_distribution<float> d(n == "gamma" ? 0.5f : n == "moving_variance" ? 0.5f : -0.5f,
                                                n == "gamma" ? 1.5f : n == "moving_variance" ? 2.0f : 0.5f);
        float* p = v->value().f32();
        for (int64_t i = 0; i < v->value().shape().numElements(); ++i) p[i] = d(rng);
    }
}

// Normal floats; an int32 input (token ids) gets ids 0 to kMaxTokenId.
inline constexpr int32_t kMaxTokenId = 5;
inline std::vector<Tensor> randomInputs(const Model& m, int64_t batch, uint64_t seed) {
    std::mt19937 rng{uint32_t(seed)};
    std::normal_distribution<float> d(0.0f, 1.0f);
    std::uniform_int_distribution<int32_t> ids(0, kMaxTokenId);
    std::vector<Tensor> out;
    for (int i : m.inputIndices()) {
        const auto* in = dynamic_cast<const layers::InputLayer*>(m.layers()[std::size_t(i)]);
        const DType dtype = in ? in->dtype() : DType::F32;
        Tensor t(m.outputShape(i).withoutFirst().prepended(batch), dtype);
        for (int64_t k = 0; k < t.shape().numElements(); ++k) {
            if (dtype == DType::I32) t.i32()[k] = ids(rng);
            else t.f32()[k] = d(rng);
        }
        out.push_back(std::move(t));
    }
    return out;
}

// The engine's inference on the CPU backend, as `strata-cli predict` runs it; with `training`, the
// forward pass of a training step (batch statistics), and `moving` receives every BatchNormalization
// moving statistic as that pass updated it.
inline std::vector<Tensor> engineOutputs(const Model& m, const std::vector<Tensor>& inputs, bool training = false,
                                         std::map<std::string, Tensor>* moving = nullptr) {
    cpu::CpuBackend backend(1);
    for (const Variable* v : m.variables()) backend.setVariable(v->path(), v->value());
    train::Signature sig;
    for (const Tensor& x : inputs) sig.inputs.push_back(x.shape());
    sig.training = training;
    train::TracedModel traced = train::traceModel(m, sig, 0);
    auto prepared = backend.prepare(traced.graph, traced.outputs);
    std::vector<ir::Feed> feeds;
    for (std::size_t i = 0; i < inputs.size(); ++i) feeds.push_back({traced.inputNames[i], ir::TensorView(inputs[i])});
    std::vector<Tensor> out = backend.run(*prepared, feeds);
    if (moving)
        for (const Variable* v : m.variables())
            if (v->name() == "moving_mean" || v->name() == "moving_variance") moving->emplace(v->path(), backend.getVariable(v->path()));
    return out;
}

inline void writeTensor(const std::filesystem::path& file, const Tensor& t) {
    std::ofstream f(file, std::ios::binary | std::ios::trunc);
    f.write(reinterpret_cast<const char*>(t.bytes()), std::streamsize(t.byteSize()));
}

struct PythonRun {
    int code = -1;
    QString output;
};

inline PythonRun python(const QStringList& args, int timeoutMs = 300000) {
    QProcess p;
    p.setProcessChannelMode(QProcess::MergedChannels);
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert("OMP_NUM_THREADS", "1");
    p.setProcessEnvironment(env);
    p.start(kPython, args);
    if (!p.waitForStarted(30000)) return {-1, kPython + " cannot be started: " + p.errorString()};
    if (!p.waitForFinished(timeoutMs)) {
        p.kill();
        p.waitForFinished();
        return {-1, "timed out: " + QString::fromUtf8(p.readAll())};
    }
    return {p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1, QString::fromUtf8(p.readAll())};
}

// A spec with Dense layers of every activation and an Activation layer of every activation,
// side by side on one input, concatenated.
inline ModelSpec everyActivationSpec() {
    nlohmann::json layers = nlohmann::json::array({{{"name", "x"}, {"type", "Input"}, {"config", {{"shape", {7}}}}}});
    nlohmann::json merged = nlohmann::json::array();
    for (const std::string& a : activationNames()) {
        layers.push_back({{"name", "dense_" + a}, {"type", "Dense"}, {"config", {{"units", 3}, {"activation", a}}}, {"inbound", {"x"}}});
        layers.push_back({{"name", "act_" + a}, {"type", "Activation"}, {"config", {{"activation", a}}}, {"inbound", {"x"}}});
        merged.push_back("dense_" + a);
        merged.push_back("act_" + a);
    }
    layers.push_back({{"name", "all"}, {"type", "Concatenate"}, {"inbound", merged}});
    return ModelSpec::fromJson({{"format", kModelFormat}, {"name", "every_activation"}, {"outputs", {"all"}}, {"layers", layers}});
}

inline constexpr const char* kConvSameStrides = R"({"format": "strata.model/1", "name": "conv_same_strides", "layers": [
  {"name": "image", "type": "Input", "config": {"shape": [9, 8, 3]}},
  {"name": "conv_a", "type": "Conv2D", "config": {"filters": 4, "kernel_size": [3, 3], "strides": [2, 2], "padding": "same", "activation": "relu"}},
  {"name": "conv_b", "type": "Conv2D", "config": {"filters": 5, "kernel_size": [2, 3], "strides": [1, 2], "padding": "same", "activation": "tanh"}},
  {"name": "avg_same", "type": "AveragePooling2D", "config": {"pool_size": [3, 3], "strides": [2, 2], "padding": "same"}},
  {"name": "max_same", "type": "MaxPooling2D", "config": {"pool_size": [2, 2], "strides": [1, 1], "padding": "same"}},
  {"name": "flatten", "type": "Flatten"},
  {"name": "out", "type": "Dense", "config": {"units": 3}}]})";

inline constexpr const char* kConvValidDilated = R"({"format": "strata.model/1", "name": "conv_valid_dilated", "layers": [
  {"name": "image", "type": "Input", "config": {"shape": [11, 10, 2]}},
  {"name": "pad", "type": "ZeroPadding2D", "config": {"padding": [[1, 2], [0, 1]]}},
  {"name": "dilated", "type": "Conv2D", "config": {"filters": 3, "kernel_size": [3, 3], "dilation_rate": [2, 2], "use_bias": false, "activation": "selu"}},
  {"name": "bn", "type": "BatchNormalization", "config": {"momentum": 0.9, "epsilon": 0.01}},
  {"name": "dilated_same", "type": "Conv2D", "config": {"filters": 4, "kernel_size": [3, 2], "dilation_rate": [1, 2], "padding": "same", "activation": "elu"}},
  {"name": "pad_mid", "type": "ZeroPadding2D", "config": {"padding": 1}},
  {"name": "avg", "type": "AveragePooling2D", "config": {"pool_size": [2, 2]}},
  {"name": "leaky_negative", "type": "LeakyReLU", "config": {"alpha": -0.3}},
  {"name": "max", "type": "MaxPooling2D", "config": {"pool_size": [2, 1], "strides": [1, 1]}},
  {"name": "pixelwise", "type": "Dense", "config": {"units": 3, "activation": "softplus"}},
  {"name": "gap", "type": "GlobalAveragePooling2D", "config": {"keepdims": true}},
  {"name": "reshape", "type": "Reshape", "config": {"target_shape": [-1]}},
  {"name": "probs", "type": "Dense", "config": {"units": 2, "activation": "softmax"}}]})";

inline constexpr const char* kNormsReshape = R"({"format": "strata.model/1", "name": "norms_reshape", "layers": [
  {"name": "x", "type": "Input", "config": {"shape": [12]}},
  {"name": "dense", "type": "Dense", "config": {"units": 8, "use_bias": false}},
  {"name": "bn", "type": "BatchNormalization", "config": {"momentum": 0.9, "epsilon": 0.01}},
  {"name": "act", "type": "Activation", "config": {"activation": "gelu"}},
  {"name": "reshape", "type": "Reshape", "config": {"target_shape": [2, 4]}},
  {"name": "ln", "type": "LayerNormalization", "config": {"center": false}},
  {"name": "seq_dense", "type": "Dense", "config": {"units": 6, "activation": "swish"}},
  {"name": "leaky", "type": "LeakyReLU", "config": {"alpha": 0.05}},
  {"name": "ln2", "type": "LayerNormalization", "config": {"scale": false, "epsilon": 1e-5}},
  {"name": "flat", "type": "Flatten"},
  {"name": "drop", "type": "Dropout", "config": {"rate": 0.3}},
  {"name": "bn_plain", "type": "BatchNormalization", "config": {"center": false, "scale": false}},
  {"name": "out", "type": "Dense", "config": {"units": 4, "activation": "log_softmax"}}]})";

inline constexpr const char* kMerges = R"({"format": "strata.model/1", "name": "merges", "inputs": ["a", "b"], "outputs": ["sum_out", "cat_out"], "layers": [
  {"name": "a", "type": "Input", "config": {"shape": [6]}},
  {"name": "b", "type": "Input", "config": {"shape": [6]}},
  {"name": "da", "type": "Dense", "config": {"units": 5, "activation": "tanh"}, "inbound": ["a"]},
  {"name": "db", "type": "Dense", "config": {"units": 5, "activation": "sigmoid"}, "inbound": ["b"]},
  {"name": "dc", "type": "Dense", "config": {"units": 5}, "inbound": ["a"]},
  {"name": "sum3", "type": "Add", "inbound": ["da", "db", "dc"]},
  {"name": "prod3", "type": "Multiply", "inbound": ["da", "db", "sum3"]},
  {"name": "ra", "type": "Reshape", "config": {"target_shape": [5, 1]}, "inbound": ["prod3"]},
  {"name": "rb", "type": "Reshape", "config": {"target_shape": [5, 1]}, "inbound": ["sum3"]},
  {"name": "cat_seq", "type": "Concatenate", "config": {"axis": 1}, "inbound": ["ra", "rb"]},
  {"name": "cat_out", "type": "Flatten", "inbound": ["cat_seq"]},
  {"name": "cat_last", "type": "Concatenate", "inbound": ["prod3", "b"]},
  {"name": "sum_out", "type": "Dense", "config": {"units": 3, "activation": "leaky_relu"}, "inbound": ["cat_last"]}]})";

inline constexpr const char* kNestedBlocks = R"({"format": "strata.model/1", "name": "nested_blocks", "inputs": ["img"], "outputs": ["head"], "layers": [
  {"name": "img", "type": "Input", "config": {"shape": [6, 6, 2]}},
  {"name": "stem", "type": "Conv2D", "config": {"filters": 3, "kernel_size": [3, 3], "padding": "same", "activation": "relu"}, "inbound": ["img"]},
  {"name": "res block", "type": "Block", "inbound": ["stem", "img"], "config": {"spec": {
    "name": "residual", "inputs": ["x", "skip"], "outputs": ["merged"], "layers": [
      {"name": "x", "type": "Input", "config": {"shape": [6, 6, 3]}},
      {"name": "skip", "type": "Input", "config": {"shape": [6, 6, 2]}},
      {"name": "inner", "type": "Block", "inbound": ["x"], "config": {"spec": {
        "name": "inner", "layers": [
          {"name": "x", "type": "Input", "config": {"shape": [6, 6, 3]}},
          {"name": "conv", "type": "Conv2D", "config": {"filters": 3, "kernel_size": [3, 3], "padding": "same"}},
          {"name": "bn", "type": "BatchNormalization"},
          {"name": "act", "type": "Activation", "config": {"activation": "softsign"}}]}}},
      {"name": "add", "type": "Add", "inbound": ["inner", "x"]},
      {"name": "merged", "type": "Concatenate", "config": {"axis": -1}, "inbound": ["add", "skip"]}]}}},
  {"name": "side", "type": "Conv2D", "config": {"filters": 5, "kernel_size": [1, 1]}, "inbound": ["img"]},
  {"name": "cat_h", "type": "Concatenate", "config": {"axis": -3}, "inbound": ["res block", "side"]},
  {"name": "gap", "type": "GlobalAveragePooling2D", "inbound": ["cat_h"]},
  {"name": "head", "type": "Dense", "config": {"units": 2, "activation": "exponential"}, "inbound": ["gap"]}]})";

// Conv2DTranspose in every geometry the PyTorch export treats apart, each branch a model output
// (on a 5x4 image): "valid" with kernel above the stride (no crop), "same" with an odd implicit
// padding (1: none at the top, one at the bottom), kernel below the stride (output_padding), the
// two mixed per axis, dilation with stride 1 (odd "same" padding on the height), no bias.
// ReLU layers (plain, capped, leaky and capped) on features and on an NHWC image.
inline constexpr const char* kRelu = R"({"format": "strata.model/1", "name": "relus", "inputs": ["x", "img"], "outputs": ["out", "img_out"], "layers": [
  {"name": "x", "type": "Input", "config": {"shape": [6]}},
  {"name": "img", "type": "Input", "config": {"shape": [5, 5, 2]}},
  {"name": "d", "type": "Dense", "config": {"units": 5}, "inbound": ["x"]},
  {"name": "plain", "type": "ReLU", "inbound": ["d"]},
  {"name": "d2", "type": "Dense", "config": {"units": 4}, "inbound": ["plain"]},
  {"name": "out", "type": "ReLU", "config": {"max_value": 0.75, "negative_slope": 0.3}, "inbound": ["d2"]},
  {"name": "c", "type": "Conv2D", "config": {"filters": 3, "kernel_size": 3, "padding": "same"}, "inbound": ["img"]},
  {"name": "capped", "type": "ReLU", "config": {"max_value": 0.5}, "inbound": ["c"]},
  {"name": "img_out", "type": "GlobalAveragePooling2D", "inbound": ["capped"]}]})";

// Softmax, PReLU, Rescaling, ReLU with a threshold and a broadcast Multiply (squeeze-and-excitation).
inline constexpr const char* kActivationLayers = R"({"format": "strata.model/1", "name": "activation_layers", "layers": [
  {"name": "img", "type": "Input", "config": {"shape": [5, 5, 2]}},
  {"name": "c", "type": "Conv2D", "config": {"filters": 3, "kernel_size": 3, "padding": "same"}},
  {"name": "prelu", "type": "PReLU", "config": {"shared_axes": [1, 2]}},
  {"name": "relu", "type": "ReLU", "config": {"threshold": 0.1, "negative_slope": 0.2, "max_value": 1.5}},
  {"name": "squeeze", "type": "GlobalAveragePooling2D", "config": {"keepdims": true}},
  {"name": "excite", "type": "Dense", "config": {"units": 3, "activation": "hard_sigmoid"}},
  {"name": "scaled", "type": "Multiply", "inbound": ["relu", "excite"]},
  {"name": "softmax", "type": "Softmax", "config": {"axis": 2}, "inbound": ["scaled"]},
  {"name": "rescale", "type": "Rescaling", "config": {"scale": 2.0, "offset": -0.5}},
  {"name": "prelu_all", "type": "PReLU"},
  {"name": "flat", "type": "Flatten"},
  {"name": "out", "type": "Dense", "config": {"units": 3, "activation": "gelu_tanh"}}]})";

// Keras 3's preprocessing layers, in eval mode: the random ones the identity, RandomCrop the centred
// box resized, Resizing both ways, Normalization with given statistics.
inline constexpr const char* kPreprocessing = R"({"format": "strata.model/1", "name": "preprocessing", "layers": [
  {"name": "img", "type": "Input", "config": {"shape": [7, 6, 3]}},
  {"name": "flip", "type": "RandomFlip"},
  {"name": "contrast", "type": "RandomContrast", "config": {"factor": 0.3}},
  {"name": "shift", "type": "RandomTranslation", "config": {"height_factor": 0.2, "width_factor": [-0.1, 0.3]}},
  {"name": "turn", "type": "RandomRotation", "config": {"factor": 0.1, "fill_mode": "constant"}},
  {"name": "zoom", "type": "RandomZoom", "config": {"height_factor": 0.2}},
  {"name": "crop", "type": "RandomCrop", "config": {"height": 5, "width": 5}},
  {"name": "resize", "type": "Resizing", "config": {"height": 8, "width": 9}},
  {"name": "resize_nearest", "type": "Resizing", "config": {"height": 4, "width": 3, "interpolation": "nearest", "crop_to_aspect_ratio": true}},
  {"name": "norm", "type": "Normalization", "config": {"mean": [0.1, -0.2, 0.3], "variance": [2.0, 0.5, 1.5]}},
  {"name": "flat", "type": "Flatten"},
  {"name": "out", "type": "Dense", "config": {"units": 2}}]})";

inline constexpr const char* kConvTranspose = R"({"format": "strata.model/1", "name": "conv_transpose", "inputs": ["image"],
  "outputs": ["up_valid", "up_same_odd", "up_small_kernel", "up_small_same", "up_mixed", "dilated_same", "dilated_valid", "chained"], "layers": [
  {"name": "image", "type": "Input", "config": {"shape": [5, 4, 3]}},
  {"name": "up_valid", "type": "Conv2DTranspose", "config": {"filters": 4, "kernel_size": [3, 3], "strides": [2, 2], "activation": "relu"}, "inbound": ["image"]},
  {"name": "up_same_odd", "type": "Conv2DTranspose", "config": {"filters": 3, "kernel_size": [3, 3], "strides": [2, 2], "padding": "same", "activation": "tanh"}, "inbound": ["image"]},
  {"name": "up_small_kernel", "type": "Conv2DTranspose", "config": {"filters": 2, "kernel_size": [2, 2], "strides": [3, 3]}, "inbound": ["image"]},
  {"name": "up_small_same", "type": "Conv2DTranspose", "config": {"filters": 2, "kernel_size": [2, 1], "strides": [3, 2], "padding": "same"}, "inbound": ["image"]},
  {"name": "up_mixed", "type": "Conv2DTranspose", "config": {"filters": 3, "kernel_size": [3, 2], "strides": [2, 3], "padding": "same", "activation": "elu"}, "inbound": ["image"]},
  {"name": "dilated_same", "type": "Conv2DTranspose", "config": {"filters": 3, "kernel_size": [2, 3], "dilation_rate": [3, 1], "padding": "same", "use_bias": false}, "inbound": ["image"]},
  {"name": "dilated_valid", "type": "Conv2DTranspose", "config": {"filters": 2, "kernel_size": [3, 3], "dilation_rate": [2, 2], "use_bias": false}, "inbound": ["image"]},
  {"name": "down", "type": "Conv2D", "config": {"filters": 4, "kernel_size": [3, 3], "strides": [2, 2], "padding": "same", "activation": "relu"}, "inbound": ["up_valid"]},
  {"name": "chained", "type": "Conv2DTranspose", "config": {"filters": 2, "kernel_size": [4, 4], "strides": [2, 2], "padding": "same", "activation": "sigmoid"}, "inbound": ["down"]}]})";

// Grouped, depthwise (depth multiplier 2, strided "same" with its odd padding, dilated) and
// separable convolutions, with and without bias.
inline constexpr const char* kDepthwise = R"({"format": "strata.model/1", "name": "depthwise", "inputs": ["image"],
  "outputs": ["grouped", "sep", "dilated"], "layers": [
  {"name": "image", "type": "Input", "config": {"shape": [8, 7, 4]}},
  {"name": "dw", "type": "DepthwiseConv2D", "config": {"kernel_size": [3, 3], "strides": [2, 2], "padding": "same", "depth_multiplier": 2, "activation": "relu6"}, "inbound": ["image"]},
  {"name": "grouped", "type": "Conv2D", "config": {"filters": 6, "kernel_size": [3, 2], "groups": 2, "padding": "same", "activation": "tanh"}, "inbound": ["dw"]},
  {"name": "sep", "type": "SeparableConv2D", "config": {"filters": 5, "kernel_size": [3, 3], "padding": "same", "depth_multiplier": 2, "activation": "relu"}, "inbound": ["image"]},
  {"name": "dilated", "type": "DepthwiseConv2D", "config": {"kernel_size": [2, 2], "dilation_rate": [2, 2], "use_bias": false}, "inbound": ["image"]}]})";

// Layer and model names that are not Python identifiers, or clash with Python or nn.Module.
inline constexpr const char* kOddNames = R"({"format": "strata.model/1", "name": "my model! 2", "inputs": ["input"], "outputs": ["forward"], "layers": [
  {"name": "input", "type": "Input", "config": {"shape": [4]}},
  {"name": "1st layer", "type": "Dense", "config": {"units": 3, "activation": "relu"}, "inbound": ["input"]},
  {"name": "dense-1", "type": "Dense", "config": {"units": 3}, "inbound": ["1st layer"]},
  {"name": "dense_1", "type": "Dense", "config": {"units": 3}, "inbound": ["1st layer"]},
  {"name": "class", "type": "Add", "inbound": ["dense-1", "dense_1"]},
  {"name": "self", "type": "Activation", "config": {"activation": "tanh"}, "inbound": ["class"]},
  {"name": "_private", "type": "Dense", "config": {"units": 2}, "inbound": ["self"]},
  {"name": "forward", "type": "Dense", "config": {"units": 2}, "inbound": ["_private"]}]})";


// Permute: a channel shuffle in NHWC (Reshape, Permute of the last two axes, Reshape back), and a
// Permute to (C, H, W) before Flatten and a Dense; Slice: ShuffleNet's channel split (the halves
// joined again) and a slice of the width with a negative stop.
inline constexpr const char* kPermute = R"({"format": "strata.model/1", "name": "permutes", "inputs": ["img"], "outputs": ["out"], "layers": [
  {"name": "img", "type": "Input", "config": {"shape": [3, 5, 2]}},
  {"name": "narrow", "type": "Slice", "config": {"axis": 2, "start": 0, "stop": -1}, "inbound": ["img"]},
  {"name": "c0", "type": "Conv2D", "config": {"filters": 6, "kernel_size": 1}, "inbound": ["narrow"]},
  {"name": "left", "type": "Slice", "config": {"axis": -1, "start": 0, "stop": 3}, "inbound": ["c0"]},
  {"name": "right", "type": "Slice", "config": {"axis": -1, "start": 3}, "inbound": ["c0"]},
  {"name": "c", "type": "Concatenate", "config": {"axis": -1}, "inbound": ["right", "left"]},
  {"name": "split", "type": "Reshape", "config": {"target_shape": [3, 4, 2, 3]}, "inbound": ["c"]},
  {"name": "shuffle", "type": "Permute", "config": {"dims": [1, 2, 4, 3]}, "inbound": ["split"]},
  {"name": "merged", "type": "Reshape", "config": {"target_shape": [3, 4, 6]}, "inbound": ["shuffle"]},
  {"name": "chw", "type": "Permute", "config": {"dims": [3, 1, 2]}, "inbound": ["merged"]},
  {"name": "flat", "type": "Flatten", "inbound": ["chw"]},
  {"name": "out", "type": "Dense", "config": {"units": 3}, "inbound": ["flat"]}]})";

// Pools with explicit pads and ceil_mode (max and average), GlobalMaxPooling2D, UpSampling2D
// (nearest and bilinear) and Cropping2D.
inline constexpr const char* kImagePools = R"({"format": "strata.model/1", "name": "image_pools", "inputs": ["image"],
  "outputs": ["gmp", "flat", "up_near", "crop"], "layers": [
  {"name": "image", "type": "Input", "config": {"shape": [9, 8, 3]}},
  {"name": "stem", "type": "MaxPooling2D", "config": {"pool_size": 3, "strides": 2, "padding": [[1, 1], [1, 1]]}, "inbound": ["image"]},
  {"name": "ceil", "type": "MaxPooling2D", "config": {"pool_size": 2, "strides": 2, "padding": [[1, 1], [0, 1]], "ceil_mode": true}, "inbound": ["stem"]},
  {"name": "avg", "type": "AveragePooling2D", "config": {"pool_size": 3, "strides": 2, "padding": [[1, 0], [1, 2]], "ceil_mode": true}, "inbound": ["image"]},
  {"name": "gmp", "type": "GlobalMaxPooling2D", "inbound": ["ceil"]},
  {"name": "up_bilinear", "type": "UpSampling2D", "config": {"size": [2, 3], "interpolation": "bilinear"}, "inbound": ["avg"]},
  {"name": "flat", "type": "Flatten", "inbound": ["up_bilinear"]},
  {"name": "up_near", "type": "UpSampling2D", "config": {"size": 3}, "inbound": ["ceil"]},
  {"name": "crop", "type": "Cropping2D", "config": {"cropping": [[2, 1], [0, 3]]}, "inbound": ["image"]}]})";

// Sequences (N, steps, channels): Conv1D with "same" (dilated, an odd total pad: 1 before, 2 after), "causal" (dilated)
// and strided "valid" padding, the 1-D pools with "same" windows clipped at the end, both global
// 1-D pools (with and without keepdims) and a Dense on the pooled features.
inline constexpr const char* kSequences = R"({"format": "strata.model/1", "name": "sequences", "inputs": ["seq"],
  "outputs": ["probs", "gmp", "gap"], "layers": [
  {"name": "seq", "type": "Input", "config": {"shape": [12, 3]}},
  {"name": "same", "type": "Conv1D", "config": {"filters": 4, "kernel_size": 2, "padding": "same", "dilation_rate": 3, "activation": "relu"}, "inbound": ["seq"]},
  {"name": "causal", "type": "Conv1D", "config": {"filters": 5, "kernel_size": 3, "padding": "causal", "dilation_rate": 3, "use_bias": false}, "inbound": ["same"]},
  {"name": "strided", "type": "Conv1D", "config": {"filters": 4, "kernel_size": 3, "strides": 2, "activation": "tanh"}, "inbound": ["causal"]},
  {"name": "mp", "type": "MaxPooling1D", "config": {"pool_size": 3, "strides": 2, "padding": "same"}, "inbound": ["strided"]},
  {"name": "ap", "type": "AveragePooling1D", "config": {"pool_size": 2, "strides": 1, "padding": "same"}, "inbound": ["causal"]},
  {"name": "gap", "type": "GlobalAveragePooling1D", "config": {"keepdims": true}, "inbound": ["ap"]},
  {"name": "gmp", "type": "GlobalMaxPooling1D", "inbound": ["mp"]},
  {"name": "probs", "type": "Dense", "config": {"units": 3, "activation": "softmax"}, "inbound": ["gmp"]}]})";

// MultiHeadAttention (self, causal with value_dim, a key of its own, no biases), Dot (rank 3 both
// ways, rank 2 normalized, mixed), RepeatVector and PositionEmbedding added to its input.
inline constexpr const char* kAttention = R"({"format": "strata.model/1", "name": "attention", "inputs": ["seq", "other", "vec"],
  "outputs": ["mha_self", "mha_causal", "mha_key", "dot_steps", "dot_features", "dot_vec", "dot_mixed", "repeated", "positioned"], "layers": [
  {"name": "seq", "type": "Input", "config": {"shape": [5, 6]}},
  {"name": "other", "type": "Input", "config": {"shape": [4, 3]}},
  {"name": "vec", "type": "Input", "config": {"shape": [6]}},
  {"name": "mha_self", "type": "MultiHeadAttention", "config": {"num_heads": 2, "key_dim": 4}, "inbound": ["seq", "seq"]},
  {"name": "mha_causal", "type": "MultiHeadAttention", "config": {"num_heads": 3, "key_dim": 2, "value_dim": 5, "use_causal_mask": true}, "inbound": ["seq", "seq"]},
  {"name": "mha_key", "type": "MultiHeadAttention", "config": {"num_heads": 2, "key_dim": 3, "use_bias": false}, "inbound": ["other", "seq", "seq"]},
  {"name": "dot_steps", "type": "Dot", "config": {"axes": 2}, "inbound": ["seq", "mha_self"]},
  {"name": "dot_features", "type": "Dot", "config": {"axes": [1, 1], "normalize": true}, "inbound": ["seq", "mha_causal"]},
  {"name": "dot_vec", "type": "Dot", "config": {"axes": -1, "normalize": true}, "inbound": ["vec", "vec"]},
  {"name": "dot_mixed", "type": "Dot", "config": {"axes": [1, 2]}, "inbound": ["vec", "seq"]},
  {"name": "repeated", "type": "RepeatVector", "config": {"n": 3}, "inbound": ["vec"]},
  {"name": "positions", "type": "PositionEmbedding", "config": {"sequence_length": 8}, "inbound": ["seq"]},
  {"name": "positioned", "type": "Add", "inbound": ["seq", "positions"]}]})";

// Recurrent layers on (N, 6, 3): LSTM with return_sequences into one going backwards, GRU with
// reset_after (going backwards) into one without, GRU without bias, SimpleRNN tanh and relu
// (nn.RNN), and the configurations torch's modules cannot express (RecurrentLoop): an LSTM with
// softsign / hard_sigmoid and no bias, a SimpleRNN with sigmoid.
inline constexpr const char* kRecurrent = R"({"format": "strata.model/1", "name": "recurrent", "inputs": ["seq"],
  "outputs": ["lstm_back", "gru_before", "gru_nobias", "rnn_relu", "rnn_tanh", "lstm_odd", "rnn_loop"], "layers": [
  {"name": "seq", "type": "Input", "config": {"shape": [6, 3]}},
  {"name": "lstm_seq", "type": "LSTM", "config": {"units": 4, "return_sequences": true}, "inbound": ["seq"]},
  {"name": "lstm_back", "type": "LSTM", "config": {"units": 3, "go_backwards": true}, "inbound": ["lstm_seq"]},
  {"name": "gru_after", "type": "GRU", "config": {"units": 4, "return_sequences": true, "go_backwards": true}, "inbound": ["seq"]},
  {"name": "gru_before", "type": "GRU", "config": {"units": 3, "reset_after": false}, "inbound": ["gru_after"]},
  {"name": "gru_nobias", "type": "GRU", "config": {"units": 3, "use_bias": false, "return_sequences": true}, "inbound": ["seq"]},
  {"name": "rnn_relu", "type": "SimpleRNN", "config": {"units": 3, "activation": "relu", "return_sequences": true, "go_backwards": true}, "inbound": ["seq"]},
  {"name": "rnn_tanh", "type": "SimpleRNN", "config": {"units": 2}, "inbound": ["seq"]},
  {"name": "lstm_odd", "type": "LSTM", "config": {"units": 3, "activation": "softsign", "recurrent_activation": "hard_sigmoid", "use_bias": false}, "inbound": ["seq"]},
  {"name": "rnn_loop", "type": "SimpleRNN", "config": {"units": 3, "activation": "sigmoid", "return_sequences": true}, "inbound": ["seq"]}]})";

// Bidirectional over (N, 5, 3) in every merge mode: LSTM concat with return_sequences into GRU sum,
// SimpleRNN ave going backwards, GRU without reset_after mul (RecurrentLoop), LSTM concat going
// backwards, and a relu LSTM (RecurrentLoop) going backwards, last state only.
inline constexpr const char* kBidirectional = R"({"format": "strata.model/1", "name": "bidirectional", "inputs": ["seq"],
  "outputs": ["bi_sum", "bi_ave_back", "bi_mul_loop", "bi_last_back", "bi_loop_last"], "layers": [
  {"name": "seq", "type": "Input", "config": {"shape": [5, 3]}},
  {"name": "bi_concat", "type": "Bidirectional", "config": {"layer": {"type": "LSTM", "config": {"units": 3, "return_sequences": true}}}, "inbound": ["seq"]},
  {"name": "bi_sum", "type": "Bidirectional", "config": {"layer": {"type": "GRU", "config": {"units": 3}}, "merge_mode": "sum"}, "inbound": ["bi_concat"]},
  {"name": "bi_ave_back", "type": "Bidirectional", "config": {"layer": {"type": "SimpleRNN", "config": {"units": 2, "go_backwards": true, "return_sequences": true}}, "merge_mode": "ave"}, "inbound": ["seq"]},
  {"name": "bi_mul_loop", "type": "Bidirectional", "config": {"layer": {"type": "GRU", "config": {"units": 2, "reset_after": false, "return_sequences": true}}, "merge_mode": "mul"}, "inbound": ["seq"]},
  {"name": "bi_last_back", "type": "Bidirectional", "config": {"layer": {"type": "LSTM", "config": {"units": 2, "go_backwards": true}}}, "inbound": ["seq"]},
  {"name": "bi_loop_last", "type": "Bidirectional", "config": {"layer": {"type": "LSTM", "config": {"units": 2, "activation": "relu", "go_backwards": true}}}, "inbound": ["seq"]}]})";

// return_state and initial_state (forward's tuple and extra arguments): an LSTM encoder going
// backwards whose h and c start a decoder LSTM; a GRU without reset_after (RecurrentLoop) started
// from the encoder's h, its own state wired on; a SimpleRNN going backwards; a Bidirectional LSTM
// (nn.LSTM) and a relu one (RecurrentLoop), their forward and backward states.
inline constexpr const char* kRecurrentStates = R"({"format": "strata.model/1", "name": "recurrent_states", "inputs": ["seq"],
  "outputs": ["dec", "head"], "layers": [
  {"name": "seq", "type": "Input", "config": {"shape": [6, 3]}},
  {"name": "enc", "type": "LSTM", "config": {"units": 4, "return_state": true, "go_backwards": true}, "inbound": ["seq"]},
  {"name": "dec", "type": "LSTM", "config": {"units": 4, "return_sequences": true}, "inbound": ["seq", "enc:1", "enc:2"]},
  {"name": "loop", "type": "GRU", "config": {"units": 4, "reset_after": false, "return_state": true}, "inbound": ["seq", "enc:1"]},
  {"name": "rnn", "type": "SimpleRNN", "config": {"units": 2, "return_state": true, "go_backwards": true, "return_sequences": true}, "inbound": ["seq"]},
  {"name": "bi", "type": "Bidirectional", "config": {"layer": {"type": "LSTM", "config": {"units": 2, "return_state": true}}}, "inbound": ["seq"]},
  {"name": "bi_loop", "type": "Bidirectional", "config": {"layer": {"type": "LSTM", "config": {"units": 2, "activation": "relu", "return_state": true}}}, "inbound": ["seq"]},
  {"name": "head", "type": "Concatenate", "inbound": ["loop:1", "rnn:1", "bi:2", "bi:3", "bi_loop:4", "bi_loop", "enc"]}]})";

// int32 token ids (0 to kMaxTokenId) -> Embedding -> LSTM (return_sequences) -> GRU -> Dense, and the
// embeddings into a Bidirectional GRU (sum).
inline constexpr const char* kEmbeddingRecurrent = R"({"format": "strata.model/1", "name": "embedding_recurrent", "inputs": ["tokens"],
  "outputs": ["probs", "bi"], "layers": [
  {"name": "tokens", "type": "Input", "config": {"shape": [7], "dtype": "int32"}},
  {"name": "embed", "type": "Embedding", "config": {"input_dim": 6, "output_dim": 4}, "inbound": ["tokens"]},
  {"name": "lstm", "type": "LSTM", "config": {"units": 5, "return_sequences": true}, "inbound": ["embed"]},
  {"name": "gru", "type": "GRU", "config": {"units": 3}, "inbound": ["lstm"]},
  {"name": "probs", "type": "Dense", "config": {"units": 2, "activation": "softmax"}, "inbound": ["gru"]},
  {"name": "bi", "type": "Bidirectional", "config": {"layer": {"type": "GRU", "config": {"units": 2}}, "merge_mode": "sum"}, "inbound": ["embed"]}]})";

} // namespace strata::torchtest
