// The PyTorch export table: one row per layer type, its model.py snippets (TorchSnippets.cpp,
// helpers first) and the function writing the expression that makes its submodule. Adding a layer
// type: one row here (and its snippet, if torch.nn has no class for it); tests/storage/
// tst_format_tables fails on a type the registry has and this table lacks.
#include "storage/torch/TorchLayerTable.h"

#include "engine/LayerRegistry.h"
#include "engine/layers/ActivationLayers.h"
#include "engine/layers/AttentionLayers.h"
#include "engine/layers/AugmentationLayers.h"
#include "engine/layers/FeatureNormalization.h"
#include "engine/layers/ImageResizeLayers.h"
#include "engine/layers/Block.h"
#include "engine/layers/ConvolutionLayers.h"
#include "engine/layers/PoolingLayers.h"
#include "engine/layers/RecurrentLayers.h"
#include "engine/layers/ResizingLayers.h"
#include "engine/layers/CoreLayers.h"
#include "engine/layers/DepthwiseLayers.h"
#include "engine/layers/EmbeddingLayers.h"
#include "engine/layers/MergeLayers.h"
#include "engine/layers/NormalizationLayers.h"
#include "engine/layers/SequenceLayers.h"
#include "engine/layers/ShapeLayers.h"
#include "storage/StorageError.h"
#include "storage/torch/TorchCode.h"

#include <cctype>
#include <map>

namespace strata::storage {

namespace {

using namespace layers;

std::string tuple(const std::vector<int64_t>& v) {
    std::string s = "(";
    for (std::size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + std::to_string(v[i]);
    return s + (v.size() == 1 ? ",)" : ")");
}

std::string number(double v) { return nlohmann::json(v).dump(); } // shortest text that reads back the same

std::string dense(const Layer& l, TorchModuleBuilder& b) {
    const auto& d = static_cast<const Dense&>(l);
    b.tensor("kernel", "weight", {1, 0});
    b.tensor("bias", "bias");
    std::string s = "Dense(" + std::to_string(l.buildInputShapes().at(0).back()) + ", " + std::to_string(d.units);
    if (!d.useBias) s += ", bias=False";
    if (d.activation != "linear") s += ", activation=" + pythonString(d.activation);
    return s + ")";
}

// Conv2D and Conv2DTranspose: both kernels permute (3, 2, 0, 1): Conv2D's HWIO to nn.Conv2d's OIHW,
// Conv2DTranspose's (kh, kw, filters, in_channels) to nn.ConvTranspose2d's (in_channels, filters, kh, kw).
std::string convolution(const Layer& l, TorchModuleBuilder& b) {
    const auto& c = static_cast<const ConvolutionLayer&>(l);
    b.tensor("kernel", "weight", {3, 2, 0, 1});
    b.tensor("bias", "bias");
    std::string s = l.type() + "(" + std::to_string(l.buildInputShapes().at(0)[3]) + ", " + std::to_string(c.filters) +
                    ", kernel_size=" + tuple(c.kernelSize) + ", strides=" + tuple(c.strides) + ", padding=" + pythonString(c.padding);
    if (c.dilation != std::vector<int64_t>{1, 1}) s += ", dilation_rate=" + tuple(c.dilation);
    if (!c.useBias) s += ", bias=False";
    if (c.activation != "linear") s += ", activation=" + pythonString(c.activation);
    if (const auto* conv = dynamic_cast<const Conv2D*>(&l); conv && conv->groups != 1) s += ", groups=" + std::to_string(conv->groups);
    return s + ")";
}

// DepthwiseConv2D and SeparableConv2D (model.py's classes, TorchConvSnippets.cpp): the depthwise
// kernel (kh, kw, in, dm) permutes (2, 3, 0, 1) to (in, dm, kh, kw), read as the grouped weight.
std::string depthwiseConvolution(const Layer& l, TorchModuleBuilder& b) {
    const auto& c = static_cast<const DepthwiseLayerBase&>(l);
    const bool separable = l.type() == "SeparableConv2D";
    b.tensor("depthwise_kernel", separable ? "depthwise.weight" : "weight", {2, 3, 0, 1});
    if (separable) b.tensor("pointwise_kernel", "pointwise.weight", {3, 2, 0, 1});
    b.tensor("bias", separable ? "pointwise.bias" : "bias");
    std::string s = l.type() + "(" + std::to_string(l.buildInputShapes().at(0)[3]);
    if (separable) s += ", " + std::to_string(static_cast<const SeparableConv2D&>(l).filters);
    s += ", kernel_size=" + tuple(c.kernelSize) + ", strides=" + tuple(c.strides) + ", padding=" + pythonString(c.padding);
    if (c.depthMultiplier != 1) s += ", depth_multiplier=" + std::to_string(c.depthMultiplier);
    if (c.dilation != std::vector<int64_t>{1, 1}) s += ", dilation_rate=" + tuple(c.dilation);
    if (!c.useBias) s += ", bias=False";
    if (c.activation != "linear") s += ", activation=" + pythonString(c.activation);
    return s + ")";
}

std::string pooling(const Layer& l, TorchModuleBuilder&) {
    const auto& p = static_cast<const Pooling2D&>(l);
    const std::string padding = p.explicitPads() ? "(" + tuple({p.pads[0], p.pads[1]}) + ", " + tuple({p.pads[2], p.pads[3]}) + ")"
                                                 : pythonString(p.padding);
    return l.type() + "(pool_size=" + tuple(p.poolSize) + ", strides=" + tuple(p.strides) + ", padding=" + padding +
           (p.ceilMode ? ", ceil_mode=True)" : ")");
}

std::string globalAveragePooling(const Layer& l, TorchModuleBuilder&) {
    return static_cast<const GlobalAveragePooling2D&>(l).keepDims ? "GlobalAveragePooling2D(keepdims=True)" : "GlobalAveragePooling2D()";
}

std::string globalMaxPooling(const Layer& l, TorchModuleBuilder&) {
    return static_cast<const GlobalMaxPooling2D&>(l).keepDims ? "GlobalMaxPooling2D(keepdims=True)" : "GlobalMaxPooling2D()";
}

// Conv1D: kernel (k, in, filters) permutes (2, 1, 0) to nn.Conv1d's (filters, in, k).
std::string conv1d(const Layer& l, TorchModuleBuilder& b) {
    const auto& c = static_cast<const Conv1D&>(l);
    b.tensor("kernel", "weight", {2, 1, 0});
    b.tensor("bias", "bias");
    std::string s = "Conv1D(" + std::to_string(l.buildInputShapes().at(0)[2]) + ", " + std::to_string(c.filters) +
                    ", kernel_size=" + std::to_string(c.kernelSize) + ", strides=" + std::to_string(c.strides) +
                    ", padding=" + pythonString(c.padding);
    if (c.dilation != 1) s += ", dilation_rate=" + std::to_string(c.dilation);
    if (!c.useBias) s += ", bias=False";
    if (c.activation != "linear") s += ", activation=" + pythonString(c.activation);
    return s + ")";
}

std::string pooling1d(const Layer& l, TorchModuleBuilder&) {
    const auto& p = static_cast<const Pooling1D&>(l);
    return l.type() + "(pool_size=" + std::to_string(p.poolSize) + ", strides=" + std::to_string(p.strides) +
           ", padding=" + pythonString(p.padding) + ")";
}

std::string globalPooling1d(const Layer& l, TorchModuleBuilder&) {
    return l.type() + (static_cast<const GlobalPooling1D&>(l).keepDims ? "(keepdims=True)" : "()");
}

// Embedding: nn.Embedding's weight is Strata's embeddings as they are.
std::string embedding(const Layer& l, TorchModuleBuilder& b) {
    const auto& e = static_cast<const Embedding&>(l);
    b.tensor("embeddings", "weight");
    return "Embedding(" + std::to_string(e.inputDim) + ", " + std::to_string(e.outputDim) + ")";
}

// A recurrent layer (alone, or one direction of a Bidirectional: `prefix` "forward_lstm/" with
// torch suffix "_l0", "backward_lstm/" with "_l0_reverse"): kernel (features, G * units) and
// recurrent_kernel (units, G * units) transposed to weight_ih and weight_hh, a GRU's gate blocks
// z, r, h reordered to torch's r, z, n; a GRU with reset_after has two bias rows, bias_ih and bias_hh.
void recurrentTensors(const RecurrentLayer& r, TorchModuleBuilder& b, const std::string& prefix, const std::string& suffix) {
    const std::vector<int64_t> order = r.isGru() ? std::vector<int64_t>{1, 0, 2} : std::vector<int64_t>{};
    b.gateTensor(prefix + "kernel", "weight_ih" + suffix, {1, 0}, -1, order);
    b.gateTensor(prefix + "recurrent_kernel", "weight_hh" + suffix, {1, 0}, -1, order);
    if (r.resetAfter()) {
        b.gateTensor(prefix + "bias", "bias_ih" + suffix, {}, 0, order);
        b.gateTensor(prefix + "bias", "bias_hh" + suffix, {}, 1, order);
    } else {
        b.gateTensor(prefix + "bias", "bias_ih" + suffix, {}, -1, order);
    }
}

// nn.LSTM, nn.GRU or nn.RNN (model.py's LSTM, GRU, SimpleRNN over them) where they compute the
// layer: tanh and sigmoid (SimpleRNN: tanh or relu), a GRU with reset_after; else RecurrentLoop.
std::string recurrentModule(const RecurrentLayer& r, TorchModuleBuilder& b, const std::string& directions) {
    const bool simple = !r.isLstm() && !r.isGru();
    const bool native = simple ? (r.activation == "tanh" || r.activation == "relu")
                               : r.activation == "tanh" && r.recurrentActivation == "sigmoid" && (!r.isGru() || r.resetAfter());
    const std::string type = r.type(), inputs = std::to_string(r.buildInputShapes().at(0)[2]);
    std::string s;
    if (native) {
        b.useSnippet(type);
        s = type + "(" + inputs + ", " + std::to_string(r.units);
        if (simple && r.activation != "tanh") s += ", activation=" + pythonString(r.activation);
    } else {
        b.useSnippet("RecurrentLoop");
        s = "RecurrentLoop(" + pythonString(type) + ", " + inputs + ", " + std::to_string(r.units) +
            ", activation=" + pythonString(r.activation);
        if (!simple) s += ", recurrent_activation=" + pythonString(r.recurrentActivation);
        if (r.isGru() && !r.resetAfter()) s += ", reset_after=False";
    }
    if (!r.useBias) s += ", bias=False";
    if (r.returnSequences) s += ", return_sequences=True";
    if (r.returnState) s += ", return_state=True";
    if (r.goBackwards) s += ", go_backwards=True";
    return s + directions + ")";
}

std::string recurrent(const Layer& l, TorchModuleBuilder& b) {
    const auto& r = static_cast<const RecurrentLayer&>(l);
    recurrentTensors(r, b, "", "_l0");
    return recurrentModule(r, b, "");
}

// Bidirectional: one module with both directions (torch's _reverse parameters are the backward
// copy's); the wrapped layer's go_backwards is the forward copy's.
std::string bidirectional(const Layer& l, TorchModuleBuilder& b) {
    const auto& bi = static_cast<const Bidirectional&>(l);
    recurrentTensors(bi.forwardLayer(), b, bi.forwardLayer().name() + "/", "_l0");
    recurrentTensors(bi.backwardLayer(), b, bi.backwardLayer().name() + "/", "_l0_reverse");
    return recurrentModule(bi.forwardLayer(), b, ", bidirectional=True, merge_mode=" + pythonString(bi.mergeMode));
}

// MultiHeadAttention: the Keras-layout variables as they are (query/kernel -> query_kernel, ...).
std::string multiHeadAttention(const Layer& l, TorchModuleBuilder& b) {
    const auto& a = static_cast<const MultiHeadAttention&>(l);
    for (const char* sub : {"query", "key", "value", "attention_output"})
        for (const char* var : {"kernel", "bias"}) b.tensor(std::string(sub) + "/" + var, std::string(sub) + "_" + var);
    const auto& in = l.buildInputShapes();
    const int64_t keyFeatures = in.size() > 2 ? in[2][2] : in.at(1)[2];
    return "MultiHeadAttention(" + std::to_string(in.at(0)[2]) + ", " + std::to_string(in.at(1)[2]) + ", " +
           std::to_string(keyFeatures) + ", num_heads=" + std::to_string(a.numHeads) + ", key_dim=" + std::to_string(a.keyDim) +
           ", value_dim=" + std::to_string(a.valueDim) + ", dropout=" + number(a.dropout) +
           (a.useBias ? "" : ", use_bias=False") + (a.causal ? ", use_causal_mask=True" : "") + ")";
}

std::string dot(const Layer& l, TorchModuleBuilder&) {
    const auto& d = static_cast<const Dot&>(l);
    const auto& in = l.buildInputShapes();
    const auto axes = d.axesFor(in.at(0).rank(), in.at(1).rank());
    return "Dot(axes=" + tuple({axes.first, axes.second}) + (d.normalize ? ", normalize=True" : "") + ")";
}

std::string upSampling(const Layer& l, TorchModuleBuilder&) {
    const auto& u = static_cast<const UpSampling2D&>(l);
    return "UpSampling2D(size=" + tuple(u.size) + ", interpolation=" + pythonString(u.interpolation) + ")";
}

std::string cropping(const Layer& l, TorchModuleBuilder&) {
    const auto& c = static_cast<const Cropping2D&>(l).cropping;
    return "Cropping2D(top=" + std::to_string(c[0]) + ", bottom=" + std::to_string(c[1]) + ", left=" + std::to_string(c[2]) +
           ", right=" + std::to_string(c[3]) + ")";
}

std::string flatten(const Layer&, TorchModuleBuilder&) { return "nn.Flatten()"; }

std::string reshape(const Layer& l, TorchModuleBuilder&) { return "Reshape(" + tuple(static_cast<const Reshape&>(l).targetShape) + ")"; }

std::string zeroPadding(const Layer& l, TorchModuleBuilder&) {
    const auto& zp = static_cast<const ZeroPadding2D&>(l);
    return "ZeroPadding2D(top=" + std::to_string(zp.top) + ", bottom=" + std::to_string(zp.bottom) + ", left=" + std::to_string(zp.left) +
           ", right=" + std::to_string(zp.right) + ")";
}

std::string dropout(const Layer& l, TorchModuleBuilder&) { return "nn.Dropout(p=" + number(static_cast<const Dropout&>(l).rate) + ")"; }

std::string normalization(const Layer& l, TorchModuleBuilder& b) {
    const auto& n = static_cast<const Normalization&>(l);
    const Shape& in = l.buildInputShapes().at(0);
    const std::size_t axis = n.axisFor(in.rank());
    if (axis != in.rank() - 1)
        throw StorageError("layer '" + torchLayerPath(l) + "' (" + l.type() + ") normalizes over axis " + std::to_string(n.axis) +
                           " of a rank-" + std::to_string(in.rank()) +
                           " input; the PyTorch export (like the engine) supports only the last axis");
    b.tensor("gamma", "weight");
    b.tensor("beta", "bias");
    b.tensor("moving_mean", "running_mean");
    b.tensor("moving_variance", "running_var");
    std::string s = l.type() + "(" + std::to_string(in[axis]) + ", epsilon=" + number(n.epsilon);
    if (n.isBatchNorm()) s += ", momentum=" + number(n.momentum);
    if (!n.center) s += ", center=False";
    if (!n.scale) s += ", scale=False";
    return s + ")";
}

std::string activation(const Layer& l, TorchModuleBuilder&) {
    return "Activation(" + pythonString(static_cast<const Activation&>(l).activation) + ")";
}

// Element-wise: any layout.
std::string leakyRelu(const Layer& l, TorchModuleBuilder&) {
    return "nn.LeakyReLU(negative_slope=" + number(static_cast<const LeakyReLU&>(l).alpha) + ")";
}

std::string elementwise(const Layer& l, TorchModuleBuilder&) { return static_cast<const ElementwiseMerge&>(l).isAdd() ? "Add()" : "Multiply()"; }

std::string concatenate(const Layer& l, TorchModuleBuilder&) {
    return "Concatenate(axis=" + std::to_string(static_cast<const Concatenate&>(l).axis) + ")";
}

// A keyword per config key: Python literals of the layer's (JSON) config.
std::string geometricAugmentation(const Layer& l, TorchModuleBuilder&) {
    std::string s = "GeometricAugmentation(" + pythonString(l.type());
    for (auto it = l.config().begin(); it != l.config().end(); ++it) {
        if (it.key() == kTrainableKey) continue;
        const auto& v = it.value();
        std::string text = v.is_null() ? "None" : v.is_string() ? pythonString(v.get<std::string>()) : v.dump();
        s += ", " + it.key() + "=" + text;
    }
    return s + ")";
}

std::string block(const Layer& l, TorchModuleBuilder& b) { return b.blockClass(static_cast<const Block&>(l)) + "()"; }

const std::map<std::string, TorchLayerRule>& table() {
    static const std::map<std::string, TorchLayerRule> rows = {
        {"Input", {{}, nullptr, {}}}, // an argument of forward()
        {"Block", {{}, &block, {}}},  // a nested class of its own
        {"Dense", {{"Dense"}, &dense, {}}},
        {"Activation", {{"Activation"}, &activation, {}}},
        {"LeakyReLU", {{}, &leakyRelu, {}}}, // nn.LeakyReLU
        {"ReLU", {{"ReLU"}, [](const Layer& l, TorchModuleBuilder&) { // element-wise: any layout
                      const auto& r = static_cast<const ReLU&>(l);
                      return "ReLU(max_value=" + (r.maxValue ? number(*r.maxValue) : std::string("None")) +
                             ", negative_slope=" + number(r.negativeSlope) + ", threshold=" + number(r.threshold) + ")";
                  }, {}}},
        {"Conv2D", {{"padding", "Conv2D"}, &convolution, {}}},
        {"Conv2DTranspose", {{"Conv2DTranspose"}, &convolution, {}}}, // crops instead of padding
        {"MaxPooling2D", {{"padding", "MaxPooling2D"}, &pooling, {}}},
        {"AveragePooling2D", {{"padding", "MaxPooling2D", "AveragePooling2D"}, &pooling, {}}},
        {"GlobalAveragePooling2D", {{"GlobalAveragePooling2D"}, &globalAveragePooling, {}}},
        {"ZeroPadding2D", {{"ZeroPadding2D"}, &zeroPadding, {}}},
        {"Flatten", {{}, &flatten, {}}}, // nn.Flatten, in NHWC order as Strata flattens
        {"Reshape", {{"Reshape"}, &reshape, {}}},
        {"Dropout", {{}, &dropout, {}}}, // nn.Dropout
        {"BatchNormalization", {{"BatchNormalization"}, &normalization, {}}},
        {"LayerNormalization", {{"LayerNormalization"}, &normalization, {}}},
        {"Add", {{"Add"}, &elementwise, {}}},
        {"Multiply", {{"Multiply"}, &elementwise, {}}},
        {"Concatenate", {{"Concatenate"}, &concatenate, {}}},
        {"Permute", {{"Permute"}, [](const Layer& l, TorchModuleBuilder&) { return "Permute(" + tuple(static_cast<const Permute&>(l).dims) + ")"; }, {}}},
        {"Slice", {{"Slice"}, [](const Layer& l, TorchModuleBuilder&) {
                       const auto& s = static_cast<const Slice&>(l);
                       return "Slice(axis=" + std::to_string(s.axis) + ", start=" + std::to_string(s.start) +
                              ", stop=" + (s.stop ? std::to_string(*s.stop) : std::string("None")) + ")";
                   }, {}}},
        {"DepthwiseConv2D", {{"padding", "DepthwiseConv2D"}, &depthwiseConvolution, {}}},
        {"SeparableConv2D", {{"padding", "Conv2D", "DepthwiseConv2D", "SeparableConv2D"}, &depthwiseConvolution, {}}},
        {"GlobalMaxPooling2D", {{"GlobalMaxPooling2D"}, &globalMaxPooling, {}}},
        {"UpSampling2D", {{"UpSampling2D"}, &upSampling, {}}},
        {"Conv1D", {{"padding", "Conv1D"}, &conv1d, {}}},
        {"MaxPooling1D", {{"padding", "MaxPooling1D"}, &pooling1d, {}}},
        {"AveragePooling1D", {{"padding", "MaxPooling1D", "AveragePooling1D"}, &pooling1d, {}}},
        {"GlobalAveragePooling1D", {{"GlobalAveragePooling1D"}, &globalPooling1d, {}}},
        {"GlobalMaxPooling1D", {{"GlobalMaxPooling1D"}, &globalPooling1d, {}}},
        {"Cropping2D", {{"Cropping2D"}, &cropping, {}}},
        {"Embedding", {{"Embedding"}, &embedding, {}}},
        {"SimpleRNN", {{"KerasRecurrent"}, &recurrent, {}, {"SimpleRNN", "RecurrentLoop"}}},
        {"LSTM", {{"KerasRecurrent"}, &recurrent, {}, {"LSTM", "RecurrentLoop"}}},
        {"GRU", {{"KerasRecurrent"}, &recurrent, {}, {"GRU", "RecurrentLoop"}}},
        {"Bidirectional", {{"KerasRecurrent"}, &bidirectional, {}, {"SimpleRNN", "LSTM", "GRU", "RecurrentLoop"}}},
        {"MultiHeadAttention", {{"MultiHeadAttention"}, &multiHeadAttention, {}}},
        {"Dot", {{"Dot"}, &dot, {}}},
        {"RepeatVector", {{"RepeatVector"}, [](const Layer& l, TorchModuleBuilder&) {
                              return "RepeatVector(" + std::to_string(static_cast<const RepeatVector&>(l).n) + ")";
                          }, {}}},
        {"PositionEmbedding", {{"PositionEmbedding"}, [](const Layer& l, TorchModuleBuilder& b) {
                                   b.tensor("embeddings", "embeddings");
                                   return "PositionEmbedding(" + std::to_string(static_cast<const PositionEmbedding&>(l).sequenceLength) +
                                          ", " + std::to_string(l.buildInputShapes().at(0)[2]) + ")";
                               }, {}}},
        {"Softmax", {{}, [](const Layer& l, TorchModuleBuilder&) { // nn.Softmax over the same (NHWC) axis
                         return "nn.Softmax(dim=" + std::to_string(static_cast<const Softmax&>(l).axis) + ")";
                     }, {}}},
        {"PReLU", {{"PReLU"}, [](const Layer& l, TorchModuleBuilder& b) { // alpha in Strata's layout
                       b.tensor("alpha", "alpha");
                       return "PReLU(" + tuple(static_cast<const PReLU&>(l).alphaShape(l.buildInputShapes().at(0)).dims()) + ")";
                   }, {}}},
        {"Rescaling", {{"Rescaling"}, [](const Layer& l, TorchModuleBuilder&) {
                           const auto& r = static_cast<const Rescaling&>(l);
                           return "Rescaling(scale=" + number(r.scale) + ", offset=" + number(r.offset) + ")";
                       }, {}}},
        // Keras 3's augmentations: in training, torch's generator draws (not Strata's Philox stream)
        {"RandomFlip", {{"RandomFlip"}, [](const Layer& l, TorchModuleBuilder&) {
                            const auto& f = static_cast<const RandomFlip&>(l);
                            return std::string("RandomFlip(horizontal=") + (f.horizontal() ? "True" : "False") +
                                   ", vertical=" + (f.vertical() ? "True" : "False") + ")";
                        }, {}}},
        // not reproduced in training (GeometricAugmentation's docstring says so): the identity
        {"Resizing", {{"Resizing"}, [](const Layer& l, TorchModuleBuilder&) {
                          const auto& r = static_cast<const Resizing&>(l);
                          return "Resizing(" + std::to_string(r.height) + ", " + std::to_string(r.width) +
                                 ", bilinear=" + (r.bilinear ? "True" : "False") +
                                 ", crop_to_aspect_ratio=" + (r.cropToAspectRatio ? "True" : "False") + ")";
                      }, {}}},
        {"RandomCrop", {{"Resizing", "RandomCrop"}, [](const Layer& l, TorchModuleBuilder&) {
                            const auto& c = static_cast<const RandomCrop&>(l);
                            return "RandomCrop(" + std::to_string(c.height) + ", " + std::to_string(c.width) + ")";
                        }, {}}},
        {"Normalization", {{"Normalization"}, [](const Layer& l, TorchModuleBuilder& b) {
                               const auto& n = static_cast<const FeatureNormalization&>(l);
                               b.tensor("mean", "mean");
                               b.tensor("variance", "variance");
                               const Shape& in = l.buildInputShapes().at(0);
                               return "Normalization(" + std::to_string(in[in.rank() - 1]) + (n.invert ? ", invert=True" : "") + ")";
                           }, {}}},
        {"RandomTranslation", {{"GeometricAugmentation"}, &geometricAugmentation, {}}},
        {"RandomRotation", {{"GeometricAugmentation"}, &geometricAugmentation, {}}},
        {"RandomZoom", {{"GeometricAugmentation"}, &geometricAugmentation, {}}},
        {"RandomContrast", {{"RandomContrast"}, [](const Layer& l, TorchModuleBuilder&) {
                                const auto& c = static_cast<const RandomContrast&>(l);
                                return "RandomContrast(" + number(c.lower) + ", " + number(c.upper) + ", low=" +
                                       number(c.valueRange[0]) + ", high=" + number(c.valueRange[1]) + ")";
                            }, {}}},
    };
    return rows;
}

} // namespace

const TorchLayerRule* torchLayerRule(const std::string& layerType) {
    const auto it = table().find(layerType);
    return it == table().end() ? nullptr : &it->second;
}

std::optional<LayerFormatSupport> torchExportSupport(const std::string& layerType) {
    const TorchLayerRule* rule = torchLayerRule(layerType);
    if (!rule) return std::nullopt;
    if (!rule->notExportable.empty()) return LayerFormatSupport{false, rule->notExportable};
    return LayerFormatSupport{true, {}};
}

std::vector<std::string> torchSnippetClassNames() {
    std::vector<std::string> names;
    for (const auto& [type, rule] : table())
        for (const auto* list : {&rule.snippets, &rule.optionalSnippets})
            for (const auto& s : *list)
                if (std::isupper(static_cast<unsigned char>(s[0]))) names.push_back(s); // "padding" is a helper, not a class
    return names;
}

std::string torchLayerPath(const Layer& l) {
    const std::string p = l.path();
    return p.rfind("model/", 0) == 0 ? p.substr(6) : p;
}

} // namespace strata::storage
