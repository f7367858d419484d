// The ONNX export table: every layer type and the rule that writes its ONNX nodes (an OnnxLowering
// member in OnnxLayers.cpp or OnnxLowering.cpp, or a lambda in the row), or why the type cannot be
// exported. Adding a layer type:
// one row here (and one in OnnxImportTable.cpp); tests/storage/tst_format_tables fails on a type
// the registry has and this table lacks.
#include "engine/Variable.h"
#include "engine/layers/CoreLayers.h"
#include "engine/layers/FeatureNormalization.h"
#include "engine/layers/ShapeLayers.h"
#include "storage/onnx/OnnxLayerTable.h"
#include "storage/onnx/OnnxLowering.h"

#include <algorithm>
#include <cmath>

namespace strata::storage {

const std::map<std::string, OnnxLowering::ExportRow>& OnnxLowering::exportTable() {
    using L = OnnxLowering;
    static const std::map<std::string, ExportRow> table = {
        {"Input", {&L::input, {}}},     // graph inputs: declared by lowerModel
        {"Block", {&L::block, {}}},     // inlined: its layers, tensors named "block/layer"
        {"Dense", {&L::dense, {}}},     // Gemm (rank 2) or MatMul + Add
        {"Activation", {&L::activationLayer, {}}},
        {"LeakyReLU", {&L::leakyRelu, {}}},
        {"ReLU", {&L::relu, {}}}, // Relu / LeakyRelu / ThresholdedRelu, then Clip to max_value
        {"Conv2D", {&L::conv, {}}},     // Conv on NCHW
        {"Conv2DTranspose", {&L::convTranspose, {}}},
        {"MaxPooling2D", {&L::pool, {}}},
        {"AveragePooling2D", {&L::pool, {}}},
        {"GlobalAveragePooling2D", {&L::globalAveragePool, {}}}, // ReduceMean
        {"ZeroPadding2D", {&L::zeroPadding, {}}},                // Pad of zeros on NCHW
        {"Flatten", {&L::flatten, {}}},
        {"Reshape", {&L::reshape, {}}},
        {"Dropout", {&L::identity, {}}}, // the identity at inference
        {"BatchNormalization", {&L::normalization, {}}},
        {"LayerNormalization", {&L::normalization, {}}}, // ReduceMean/Sub/.../Div (not in opset 13)
        {"Add", {&L::elementwise, {}}},
        {"Multiply", {&L::elementwise, {}}},
        {"Concatenate", {&L::concatenate, {}}},
        {"Permute", {[](L& lo, const Layer& l, const std::vector<int>& in, const Shape& outShape, const Site& site) {
             // Transpose of the NHWC tensor: perm [0, dims...] (dims are 1-based, the batch stays).
             const auto& p = static_cast<const layers::Permute&>(l);
             std::vector<int64_t> perm = {0};
             perm.insert(perm.end(), p.dims.begin(), p.dims.end());
             const std::string y = lo.tmp(site, "permute");
             lo.g_.node("Transpose", {lo.nhwc(in.at(0))}, y, {OnnxAttr::integers("perm", perm)});
             return lo.result(y, Layout::Nhwc, outShape, site);
         }, {}}},
        {"DepthwiseConv2D", {&L::depthwiseConv, {}}}, // Conv, group = in channels
        {"SeparableConv2D", {&L::depthwiseConv, {}}}, // depthwise Conv, then a 1x1 Conv
        {"GlobalMaxPooling2D", {&L::globalMaxPool, {}}}, // GlobalMaxPool (+ Flatten)
        {"UpSampling2D", {&L::upSampling, {}}},          // Resize on NCHW
        {"Cropping2D", {&L::cropping, {}}},              // Slice on NCHW
        {"Slice", {&L::slice, {}}},                      // Slice of one axis (NCHW when the image is)
        {"Conv1D", {&L::conv1d, {}}},                 // Conv on NCW; causal: pads [(k-1)*d, 0]
        {"MaxPooling1D", {&L::pool1d, {}}},           // MaxPool on NCW
        {"AveragePooling1D", {&L::pool1d, {}}},       // AveragePool on NCW, count_include_pad 0
        {"GlobalAveragePooling1D", {&L::globalPool1d, {}}}, // ReduceMean over the steps
        {"GlobalMaxPooling1D", {&L::globalPool1d, {}}},     // ReduceMax over the steps
        {"Embedding", {&L::embedding, {}}},         // Gather of the table by the ids cast to int64
        {"SimpleRNN", {&L::recurrent, {}}},         // RNN on the time-major sequence
        {"LSTM", {&L::recurrent, {}}},              // LSTM, gates reordered to i, o, f, c
        {"GRU", {&L::recurrent, {}}},               // GRU, linear_before_reset = reset_after
        {"Bidirectional", {&L::bidirectional, {}}}, // the operator with direction "bidirectional"
        {"MultiHeadAttention", {&L::multiHeadAttention, {}}}, // MatMul, Transpose, Reshape, Softmax axis -1
        {"Dot", {&L::dot, {}}},                               // MatMul of rank 3
        {"RepeatVector", {&L::repeatVector, {}}},             // Reshape + Expand
        {"PositionEmbedding", {&L::positionEmbedding, {}}},   // Slice of the table by the steps, Expand
        {"Softmax", {&L::softmax, {}}},     // Softmax over the axis (NHWC)
        {"PReLU", {&L::prelu, {}}},         // PRelu, slope alpha [input[1:]] on NHWC
        {"Rescaling", {&L::rescaling, {}}}, // Mul, Add of scalars
        {"RandomFlip", {&L::identity, {}}},     // the identity at inference
        {"RandomContrast", {&L::identity, {}}}, // the identity at inference
        {"RandomTranslation", {&L::identity, {}}},
        {"RandomRotation", {&L::identity, {}}},
        {"RandomZoom", {&L::identity, {}}},
        {"Resizing", {&L::imageResize, {}}},   // Slice (crop_to_aspect_ratio), Resize to sizes on NCHW
        {"RandomCrop", {&L::imageResize, {}}}, // at inference: the centred crop, resized
        {"Normalization", {[](L& lo, const Layer& l, const std::vector<int>& in, const Shape& outShape, const Site& site) {
             // (x - mean) / sd or x * sd + mean on the channels (NHWC), sd = sqrt(max(variance, 1e-14)) written out.
             const auto& n = static_cast<const layers::FeatureNormalization&>(l);
             const Tensor& var = l.findVariable("variance")->value();
             std::vector<float> sd(std::size_t(var.size()));
             for (std::size_t i = 0; i < sd.size(); ++i) sd[i] = std::sqrt(std::max(var.f32()[i], 1e-14f));
             const std::string sdName = lo.g_.initializer(site.base + "/stddev", {int64_t(sd.size())}, sd);
             lo.weight(l, "variance"); // the variable itself too (no node reads it): the embedded spec restores it
             const std::string x = lo.nhwc(in.at(0)), t = lo.tmp(site, "scaled"), y = lo.tmp(site, "normalized");
             if (n.invert) {
                 lo.g_.node("Mul", {x, sdName}, t);
                 lo.g_.node("Add", {t, lo.weight(l, "mean")}, y);
             } else {
                 lo.g_.node("Sub", {x, lo.weight(l, "mean")}, t);
                 lo.g_.node("Div", {t, sdName}, y);
             }
             return lo.result(y, Layout::Nhwc, outShape, site);
         }, {}}},
    };
    return table;
}

std::optional<LayerFormatSupport> onnxExportSupport(const std::string& layerType) {
    const auto& table = OnnxLowering::exportTable();
    const auto row = table.find(layerType);
    if (row == table.end()) return std::nullopt;
    if (!row->second.rule) return LayerFormatSupport{false, row->second.notExportable};
    return LayerFormatSupport{true, {}};
}

} // namespace strata::storage
