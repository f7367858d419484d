// The ONNX import table: every ONNX op type the graph import handles, the OnnxGraphImport member
// that translates it (OnnxImportOps.cpp and beside) and the Strata layer types it can produce; and
// beside it, the layer types no ONNX op produces, each with its reason. Adding a layer type: a
// row here (an op that produces it, or why none does) and one in OnnxExportTable.cpp;
// tests/storage/tst_format_tables fails on a registered type that neither table covers.
#include "storage/onnx/OnnxGraphImport.h"
#include "storage/onnx/OnnxImportAttention.h"
#include "storage/onnx/OnnxLayerTable.h"

#include <algorithm>
#include <cmath>

namespace strata::storage {

const std::vector<OnnxGraphImport::OpRow>& OnnxGraphImport::importTable() {
    using G = OnnxGraphImport;
    using N = OnnxNode;
    // Activations: fused into the Dense, Conv2D or Conv2DTranspose before them when that is their
    // only consumer, else an Activation layer.
    static const std::vector<std::string> act = {"Activation"};
    // Shape arithmetic (x.view(x.size(0), -1)) folds into constants that a Reshape reads
    // (OnnxImportShapes.cpp); on a computed tensor these ops have no Strata layer.
    static const Handler shapeOp = [](G& g, const N& n) {
        if (!g.foldShapeArithmetic(n))
            g.fail(n, n.opType + " of a computed tensor has no Strata layer (only " + n.opType + " of constants and shapes, which is folded)");
    };
    static const std::vector<OpRow> table = {
        {"Constant", [](G& g, const N& n) { g.constantNode(n); }, {}, true},
        {"Identity", [](G& g, const N& n) { g.passThrough(n); }, {}, true},
        {"Dropout", [](G& g, const N& n) { g.passThrough(n); }, {}, true}, // inference graphs: dropped
        {"Gemm", [](G& g, const N& n) { g.gemm(n); }, {"Dense"}, false},
        {"MatMul", [](G& g, const N& n) { g.matMul(n); }, {"Dense"}, false}, // + Add of a constant: its bias
        // of a constant: the bias of the layer before, or of a scalar a Rescaling (an Add folds into one before)
        {"Add", [](G& g, const N& n) { if (!g.foldShapeArithmetic(n)) g.merge(n); }, {"Add", "Rescaling"}, false},
        {"Mul", [](G& g, const N& n) { if (!g.foldShapeArithmetic(n)) g.merge(n); }, {"Multiply", "Rescaling"}, false},
        {"Concat", [](G& g, const N& n) { if (!g.foldShapeArithmetic(n)) g.concat(n); }, {"Concatenate"}, false},
        {"Conv", [](G& g, const N& n) { g.conv(n); }, {"Conv2D", "ZeroPadding2D", "DepthwiseConv2D", "Conv1D"}, false}, // rank 3: Conv1D; pads neither valid nor same: ZeroPadding2D first; group == in channels: DepthwiseConv2D
        {"ConvTranspose", [](G& g, const N& n) { g.convTranspose(n); }, {"Conv2DTranspose"}, false},
        {"MaxPool", [](G& g, const N& n) { g.pool(n); }, {"MaxPooling2D", "MaxPooling1D"}, false},
        {"AveragePool", [](G& g, const N& n) { g.pool(n); }, {"AveragePooling2D", "AveragePooling1D"}, false},
        {"GlobalAveragePool", [](G& g, const N& n) { g.globalAveragePool(n); }, {"GlobalAveragePooling2D", "GlobalAveragePooling1D"}, false},
        {"ReduceMean", [](G& g, const N& n) { g.reduceMean(n); }, {"GlobalAveragePooling2D", "GlobalAveragePooling1D"}, false}, // over H, W, or the steps W of (N, C, W)
        {"Flatten", [](G& g, const N& n) { g.flatten(n); }, {"Flatten"}, false},
        {"Reshape", [](G& g, const N& n) { if (!g.foldShapeArithmetic(n)) g.reshape(n); }, {"Reshape", "Flatten", "Permute"}, false}, // Permute first where the order differs
        {"Transpose", [](G& g, const N& n) { if (!g.foldShapeArithmetic(n)) g.transpose(n); }, {"Permute"}, false}, // a layout only; a Permute where a graph output needs it
        {"BatchNormalization", [](G& g, const N& n) { g.batchNorm(n); }, {"BatchNormalization"}, false},
        {"Pad", [](G& g, const N& n) { g.pad(n); }, {"ZeroPadding2D"}, false}, // zeros around H and W
        {"Shape", shapeOp, {}, false},
        // of constants and shapes: folded; ids into a constant table: Embedding; one index of a computed tensor: Slice + reshape
        {"Gather", [](G& g, const N& n) { if (!g.foldShapeArithmetic(n)) g.gather(n); }, {"Embedding", "Slice", "Reshape", "Permute"}, false},
        // torch's batch_first layers: the time-major input's Transpose and the output's Squeeze / Transpose + Reshape are views
        {"LSTM", [](G& g, const N& n) { g.recurrent(n); }, {"LSTM", "Bidirectional", "Reshape"}, true},
        {"GRU", [](G& g, const N& n) { g.recurrent(n); }, {"GRU", "Bidirectional", "Reshape"}, true},
        {"RNN", [](G& g, const N& n) { g.recurrent(n); }, {"SimpleRNN", "Bidirectional", "Reshape"}, true},
        {"Unsqueeze", [](G& g, const N& n) { if (!g.foldShapeArithmetic(n)) g.unsqueeze(n); }, {"Reshape", "Permute"}, false},
        {"Relu", [](G& g, const N& n) { g.activation(n, "relu"); }, act, false},
        {"Sigmoid", [](G& g, const N& n) { g.activation(n, "sigmoid"); }, act, false},
        {"Tanh", [](G& g, const N& n) { g.activation(n, "tanh"); }, act, false},
        {"Softmax", [](G& g, const N& n) { g.softmax(n); }, {"Activation", "Softmax"}, false}, // another axis: a Softmax layer
        {"LogSoftmax", [](G& g, const N& n) { g.activation(n, "log_softmax"); }, act, false},
        {"Elu", [](G& g, const N& n) { g.activation(n, "elu"); }, act, false},
        {"Selu", [](G& g, const N& n) { g.activation(n, "selu"); }, act, false},
        {"Softplus", [](G& g, const N& n) { g.activation(n, "softplus"); }, act, false},
        {"Softsign", [](G& g, const N& n) { g.activation(n, "softsign"); }, act, false},
        {"Exp", [](G& g, const N& n) { g.activation(n, "exponential"); }, act, false},
        // alpha 0.2 is the activation leaky_relu (fused or an Activation); any other a LeakyReLU layer
        {"LeakyRelu", [](G& g, const N& n) { g.activation(n, "leaky_relu"); }, {"LeakyReLU", "Activation"}, false},
        {"Clip", [](G& g, const N& n) { g.clip(n); }, {"Activation", "ReLU"}, false}, // [0, 6] relu6, [0, inf) relu, [0, m] ReLU(max_value=m)
        // Shape arithmetic over constants (folded; OnnxImportShapes.cpp); Squeeze of a computed tensor is a reshape.
        {"Squeeze", [](G& g, const N& n) { if (!g.foldShapeArithmetic(n)) g.squeeze(n); }, {"Reshape", "Permute"}, false},
        {"Sub", [](G& g, const N& n) { if (!g.foldShapeArithmetic(n)) g.channelNormalization(n); }, {"Normalization"}, false},
        {"Div", [](G& g, const N& n) { if (!g.foldShapeArithmetic(n)) g.channelNormalization(n); }, {"Normalization"}, false},
        {"ConstantOfShape", shapeOp, {}, false},
        {"Cast", [](G& g, const N& n) { if (!g.foldShapeArithmetic(n)) g.castIds(n); }, {}, false}, // of ids for an Embedding: a view
        {"Range", shapeOp, {}, false},
        {"Equal", shapeOp, {}, false}, // torch's expand(n, -1, -1): Where(Equal(shape, -1), 1, shape)
        {"Where", shapeOp, {}, false},
        // Expand of a constant to the batch (vit's class token): joined to a sequence by a Concat
        {"Expand", [](G& g, const N& n) { if (!g.batchExpand(n)) shapeOp(g, n); }, {"PositionEmbedding", "Slice"}, false},
        {"GlobalMaxPool", [](G& g, const N& n) { g.globalMaxPool(n); }, {"GlobalMaxPooling2D", "GlobalMaxPooling1D"}, false},
        {"ReduceMax", [](G& g, const N& n) { // over the steps of a sequence only
             if (!g.reduceOverSteps(n, true)) g.fail(n, "only a maximum over the steps of a sequence (GlobalMaxPooling1D) is supported");
         }, {"GlobalMaxPooling1D"}, false},
        {"Resize", [](G& g, const N& n) { g.resize(n); }, {"UpSampling2D", "Resizing"}, false}, // whole factors: UpSampling2D; sizes: Resizing
        {"Upsample", [](G& g, const N& n) { g.resize(n); }, {"UpSampling2D"}, false}, // opset 7-9
        {"Slice", [](G& g, const N& n) { if (!g.foldShapeArithmetic(n)) g.slice(n); }, {"Cropping2D", "Slice"}, false}, // of an image: crops; of another axis: Slice
        // alpha 1/6, beta 1/2 (torch, Keras 3): hard_sigmoid; others Rescaling then ReLU(max_value 1)
        {"HardSigmoid", [](G& g, const N& n) { g.hardSigmoid(n); }, {"Activation", "Rescaling", "ReLU"}, false},
        {"PRelu", [](G& g, const N& n) { g.prelu(n); }, {"PReLU"}, false},
        {"ThresholdedRelu", [](G& g, const N& n) { g.thresholdedRelu(n); }, {"ReLU"}, false},
        // Opset 14+ ops, and what OnnxImportPatterns.cpp makes of their decomposed opset-13 forms:
        {"HardSwish", [](G& g, const N& n) { g.activation(n, "hard_silu"); }, act, false},
        {"Mish", [](G& g, const N& n) { g.activation(n, "mish"); }, act, false},
        {"Swish", [](G& g, const N& n) { // x * sigmoid(alpha x): silu for alpha 1
             if (std::abs(n.floatAttr("alpha", 1.0f) - 1.0f) > 1e-6f) g.fail(n, "only alpha 1 (SiLU) is supported");
             g.activation(n, "silu");
         }, act, false},
        {"Gelu", [](G& g, const N& n) { g.gelu(n); }, act, false}, // approximate none: gelu, tanh: gelu_tanh
        {"LayerNormalization", [](G& g, const N& n) { g.layerNorm(n); }, {"LayerNormalization"}, false},
        // torch 1.13's nn.MultiheadAttention (batch_first), fused by OnnxImportAttention.cpp
        {kFusedAttentionOp, [](G& g, const N& n) { g.torchAttention(n); }, {"MultiHeadAttention"}, false},
    };
    return table;
}

const std::map<std::string, LayerFormatSupport>& OnnxGraphImport::layerTypeRows() {
    static const std::map<std::string, LayerFormatSupport> rows = {
        {"Input", {true, {}}}, // each graph input (not an initializer) is an Input layer
        {"Dropout", {false, "an inference graph has no dropout (a Dropout node is dropped on import)"}},
        {"Block", {false, "a Block is exported inlined, so it imports as its layers"}},
        {"RandomFlip", {false, "an inference graph has no augmentation (RandomFlip exports as the identity)"}},
        {"RandomContrast", {false, "an inference graph has no augmentation (RandomContrast exports as the identity)"}},
        {"RandomTranslation", {false, "an inference graph has no augmentation (RandomTranslation exports as the identity)"}},
        {"RandomRotation", {false, "an inference graph has no augmentation (RandomRotation exports as the identity)"}},
        {"RandomZoom", {false, "an inference graph has no augmentation (RandomZoom exports as the identity)"}},
        {"RandomCrop", {false, "exported as its inference form (a Slice and a Resize), which is not imported"}},
        {"SeparableConv2D",
         {false, "exported as a depthwise Conv and a 1x1 Conv, which import as DepthwiseConv2D and Conv2D (the same "
                 "computation; a file Strata wrote imports it through its embedded spec)"}},
        {"Dot", {false, "no import of a MatMul of two graph tensors yet; a file Strata wrote imports it through its embedded spec"}},
        {"RepeatVector", {false, "no import of Expand yet; a file Strata wrote imports it through its embedded spec"}},
    };
    return rows;
}

std::optional<LayerFormatSupport> onnxImportSupport(const std::string& layerType) {
    for (const auto& row : OnnxGraphImport::importTable())
        if (std::find(row.produces.begin(), row.produces.end(), layerType) != row.produces.end()) return LayerFormatSupport{true, {}};
    const auto& rows = OnnxGraphImport::layerTypeRows();
    if (const auto it = rows.find(layerType); it != rows.end()) return it->second;
    return std::nullopt;
}

std::vector<std::string> onnxImportOps() {
    std::vector<std::string> ops;
    for (const auto& row : OnnxGraphImport::importTable()) ops.push_back(row.op);
    return ops;
}

} // namespace strata::storage
