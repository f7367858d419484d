// Lowering a built Model to an ONNX graph (opset 13), layer by layer in topological order, with
// the inference-mode semantics of engine/train/Tracer.cpp. Tensors stay in the model's own NHWC
// layout; convolutions and pools run on an NCHW copy (ONNX's layout), made by a Transpose when
// first needed and turned back only when a layer needs NHWC, so Conv -> BatchNorm -> relu ->
// MaxPool chains stay in NCHW. Block layers are inlined; their tensors are named "block/layer".
// Which member lowers which layer type is the export table (exportTable(), OnnxExportTable.cpp).
#pragma once

#include "engine/Model.h"
#include "storage/onnx/OnnxGraph.h"
#include "storage/StorageError.h"

#include <functional>
#include <map>
#include <string>
#include <vector>

namespace strata::storage {

// "layer 'NAME' (TYPE) cannot be exported to ONNX: WHY"
StorageError onnxLayerError(const std::string& layer, const std::string& type, const std::string& why);

class OnnxLowering {
public:
    explicit OnnxLowering(OnnxGraph& graph) : g_(graph) {}

    // Declares the model's inputs and outputs (named after its Input and output layers, batch
    // dimension "batch") and adds every layer. Throws StorageError naming the layer and its type
    // when a layer cannot be expressed.
    void lowerModel(const Model& model);

    // Where a layer's tensors get their names.
    struct Site {
        std::string base, exact;
    };
    // Lowers one layer given its input value ids and output shape; returns its value id.
    // A member function (OnnxLayers.cpp) or a lambda written in the row itself.
    using Rule = std::function<int(OnnxLowering&, const Layer& l, const std::vector<int>& in, const Shape& outShape, const Site& site)>;
    // A row of the export table: the rule, or (rule empty) why the layer type cannot be exported.
    struct ExportRow {
        Rule rule;
        std::string notExportable;
    };
    // The export table, keyed by layer type (OnnxExportTable.cpp): one row per layer type.
    static const std::map<std::string, ExportRow>& exportTable();

private:
    // A tensor in NHWC (the model's layout) and/or NCHW form; at least one name is set.
    struct Value {
        std::string nhwc, nchw;
        Shape shape;       // NHWC, batch dimension first (unknown)
        std::string base;  // name of the layer that made it: derived tensors are named after it
        std::string exact; // the graph output name its NHWC form must have, if any
    };
    enum class Layout { Nhwc, Nchw };
    using Inbound = std::function<const std::vector<int>&(int)>;
    using ShapeOf = std::function<const Shape&(int)>;

    // Lowers layers[order] given the values of the Input layers (by index); returns each layer's value id.
    // `inboundOutputs`: which output of each inbound layer an argument is (a state: output K > 0,
    // the value the layer's rule put in extra_).
    std::vector<int> lowerLayers(const std::vector<Layer*>& layers, const std::vector<int>& order, const Inbound& inbound,
                                 const Inbound& inboundOutputs, const ShapeOf& shapeOf,
                                 const std::vector<std::pair<int, int>>& inputValues, const std::string& prefix,
                                 const std::vector<std::string>& exactNames);
    // Looks up the layer's row in exportTable() and applies its rule.
    int lowerLayer(const Layer& l, const std::vector<int>& in, const Shape& outShape, const Site& site);
    // Values in NCHW when each input has that form and one lacks NHWC (e.g. two conv branches).
    bool preferNchw(const std::vector<int>& in) const;

    // NHWC / NCHW names of a value, adding the Transpose on first use.
    std::string nhwc(int v);
    std::string nchw(int v);
    bool hasNchw(int v) const { return !values_[std::size_t(v)].nchw.empty(); }
    // A new value whose tensor is the output of the node just added: renamed to the layer's name.
    int result(const std::string& tensor, Layout layout, const Shape& shape, const Site& site);
    std::string tmp(const Site& s, const std::string& what) { return g_.fresh(s.base + "/" + what); }
    // `view`: the dims the variable is read as before `order` permutes them (same element count).
    std::string weight(const Layer& l, const std::string& name, const std::vector<int64_t>& order = {},
                       const std::vector<int64_t>& view = {});

    // Activation by Keras name on `x` in the given layout; returns the tensor (x itself for linear).
    std::string activation(const std::string& name, const std::string& x, Layout layout, const Site& site);
    // The rules of the export table (OnnxLayers.cpp; input and block in OnnxLowering.cpp), each a Rule.
    int input(const Layer& l, const std::vector<int>& in, const Shape& outShape, const Site& site);
    int block(const Layer& l, const std::vector<int>& in, const Shape& outShape, const Site& site); // inlined
    int identity(const Layer& l, const std::vector<int>& in, const Shape& outShape, const Site& site);
    int dense(const Layer& l, const std::vector<int>& in, const Shape& outShape, const Site& site);
    int activationLayer(const Layer& l, const std::vector<int>& in, const Shape& outShape, const Site& site);
    int leakyRelu(const Layer& l, const std::vector<int>& in, const Shape& outShape, const Site& site);
    int conv(const Layer& l, const std::vector<int>& in, const Shape& outShape, const Site& site);
    int depthwiseConv(const Layer& l, const std::vector<int>& in, const Shape& outShape, const Site& site); // + SeparableConv2D
    int convTranspose(const Layer& l, const std::vector<int>& in, const Shape& outShape, const Site& site);
    int pool(const Layer& l, const std::vector<int>& in, const Shape& outShape, const Site& site);
    int globalAveragePool(const Layer& l, const std::vector<int>& in, const Shape& outShape, const Site& site);
    int zeroPadding(const Layer& l, const std::vector<int>& in, const Shape& outShape, const Site& site);
    int flatten(const Layer& l, const std::vector<int>& in, const Shape& outShape, const Site& site);
    int reshape(const Layer& l, const std::vector<int>& in, const Shape& outShape, const Site& site);
    int normalization(const Layer& l, const std::vector<int>& in, const Shape& outShape, const Site& site);
    int elementwise(const Layer& l, const std::vector<int>& in, const Shape& outShape, const Site& site); // Add, Multiply
    int concatenate(const Layer& l, const std::vector<int>& in, const Shape& outShape, const Site& site);
    // GlobalMaxPooling2D, UpSampling2D, Cropping2D, Slice (OnnxResizeLayers.cpp).
    int globalMaxPool(const Layer& l, const std::vector<int>& in, const Shape& outShape, const Site& site);
    int upSampling(const Layer& l, const std::vector<int>& in, const Shape& outShape, const Site& site);
    int imageResize(const Layer& l, const std::vector<int>& in, const Shape& outShape, const Site& site); // Resizing, RandomCrop
    int cropping(const Layer& l, const std::vector<int>& in, const Shape& outShape, const Site& site);
    int slice(const Layer& l, const std::vector<int>& in, const Shape& outShape, const Site& site);
    // Conv1D, MaxPooling1D, AveragePooling1D, GlobalAveragePooling1D, GlobalMaxPooling1D on NCW
    // (OnnxSequenceLayers.cpp).
    int conv1d(const Layer& l, const std::vector<int>& in, const Shape& outShape, const Site& site);
    int pool1d(const Layer& l, const std::vector<int>& in, const Shape& outShape, const Site& site);
    int globalPool1d(const Layer& l, const std::vector<int>& in, const Shape& outShape, const Site& site);
    // Embedding (Gather), SimpleRNN, LSTM, GRU (RNN, LSTM, GRU) and Bidirectional (OnnxRecurrentLayers.cpp).
    int embedding(const Layer& l, const std::vector<int>& in, const Shape& outShape, const Site& site);
    int recurrent(const Layer& l, const std::vector<int>& in, const Shape& outShape, const Site& site);
    int bidirectional(const Layer& l, const std::vector<int>& in, const Shape& outShape, const Site& site);
    struct CellWeights {
        std::string w, r, b;
    };
    CellWeights cellWeights(const Layer& cell, const Site& site);
    // The operator's Y, Y_h and Y_c (LSTM; empty for the others) tensors.
    struct RecurrentOutputs {
        std::string y, yh, yc;
    };
    RecurrentOutputs recurrentOp(const Layer& l, const std::vector<const Layer*>& cells, const std::string& direction,
                                 const std::vector<int>& in, const Site& site);
    // A layer's output K > 0 (a state, (N, units)) from `tensor`, recorded in extra_.
    void extraOutput(const std::string& tensor, const Shape& shape, const Site& site, const std::string& what);
    std::string sequenceOutput(const std::string& y, bool reverse, const Site& site);
    std::string mergeDirections(const std::string& mode, const std::string& f, const std::string& b, const Site& site);
    // MultiHeadAttention, Dot, RepeatVector, PositionEmbedding (OnnxAttentionLayers.cpp).
    int multiHeadAttention(const Layer& l, const std::vector<int>& in, const Shape& outShape, const Site& site);
    int dot(const Layer& l, const std::vector<int>& in, const Shape& outShape, const Site& site);
    int repeatVector(const Layer& l, const std::vector<int>& in, const Shape& outShape, const Site& site);
    int positionEmbedding(const Layer& l, const std::vector<int>& in, const Shape& outShape, const Site& site);
    // ReLU, Softmax, PReLU, Rescaling (OnnxActivationLayers.cpp).
    int relu(const Layer& l, const std::vector<int>& in, const Shape& outShape, const Site& site);
    int softmax(const Layer& l, const std::vector<int>& in, const Shape& outShape, const Site& site);
    int prelu(const Layer& l, const std::vector<int>& in, const Shape& outShape, const Site& site);
    int rescaling(const Layer& l, const std::vector<int>& in, const Shape& outShape, const Site& site);

    OnnxGraph& g_;
    std::vector<Value> values_;
    std::size_t layerStart_ = 0; // node count when the current layer began
    std::vector<int> extra_;     // the current layer's outputs 1, 2, ... (value ids), set by its rule
};

} // namespace strata::storage
