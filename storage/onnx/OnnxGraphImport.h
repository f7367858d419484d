// Translating an ONNX graph node by node into Strata layers (the route of OnnxImport for files
// Strata did not write). Every ONNX tensor maps to the output of one Strata layer and a layout
// saying how its axes relate to that layer's (NHWC) output:
//
//   Same           the same axes (2-D features, or NHWC images as Strata itself exports them)
//   ChannelsFirst  an NCHW image whose Strata tensor is NHWC (PyTorch's convolutions)
//   FlatChw        a flattened NCHW image: Strata flattens (H, W, C); a Dense that reads it gets
//                  its kernel rows permuted from (C, H, W) to (H, W, C) order
//   Permuted       any other order: ONNX axis i is axis perm[i] of the Strata tensor (a Transpose
//                  of a Transpose, a channel shuffle's 5-D view; OnnxImportLayout.cpp)
//
// Transposes between NHWC and NCHW only change the layout. Activations are fused into the Dense,
// Conv2D or Conv2DTranspose before them when that is their only consumer (LeakyRelu only with alpha 0.2, the
// activation leaky_relu; otherwise it is a LeakyReLU layer); MatMul + Add (a constant) is one Dense;
// Dropout and Identity are dropped. Which member handles which ONNX op, and the layer types each
// can produce, is the import table (importTable(), OnnxImportTable.cpp). Per op: OnnxImportOps.cpp.
#pragma once

#include "storage/LayerFormatSupport.h"
#include "storage/onnx/OnnxImport.h"
#include "storage/onnx/OnnxReader.h"

#include <limits>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace strata::storage {

class OnnxGraphImport {
public:
    // inputLayout: "nchw", "nhwc" or "" (OnnxImportOptions::inputLayout).
    OnnxGraphImport(const OnnxModel& model, std::string source, std::string inputLayout = {})
        : m_(model), source_(std::move(source)), inputLayout_(std::move(inputLayout)) {}
    ImportedModel run(const std::string& modelName);

    // Translates node n (the handler of one row of the import table).
    using Handler = void (*)(OnnxGraphImport& self, const OnnxNode& n);
    // A row of the import table: an ONNX op type, its handler and the Strata layer types it can
    // produce (an activation fused into the layer before it adds none).
    struct OpRow {
        std::string op;
        Handler handle = nullptr;
        std::vector<std::string> produces;
        bool ownOutputs = false; // handles the outputs after the first itself (else they must be unused)
    };
    static const std::vector<OpRow>& importTable(); // OnnxImportTable.cpp
    // The rows for layer types no ONNX op produces: supported for Input (a graph input), else
    // why not (OnnxImportTable.cpp, beside the import table).
    static const std::map<std::string, LayerFormatSupport>& layerTypeRows();

private:
    enum class Layout { Same, ChannelsFirst, FlatChw, Permuted };
    struct Value {
        int layer = -1;
        Layout layout = Layout::Same;
        std::vector<int64_t> shape; // the ONNX tensor's shape, batch first; -1 unknown
        std::vector<int64_t> chw;   // FlatChw: the (C, H, W) it was flattened from
        std::vector<int64_t> perm;  // Permuted: ONNX axis i is axis perm[i] of the Strata tensor
    };
    struct PendingLayer {
        std::string type;
        nlohmann::json config = nlohmann::json::object();
        std::vector<int> inbound;
        std::map<std::string, Tensor> weights;
        std::string nameHint;     // a node or graph input name
        std::string outputTensor; // the ONNX tensor its output is now (changes when an activation is fused)
        // A state of a recurrent layer with return_state: not a layer of its own but output `output`
        // of layer `stateOf`, which its consumers name "NAME:K" (ModelSpec.h, OutputRef).
        int stateOf = -1;
        int output = 0;
    };

    void declareInputs();
    // Looks up the node's op in importTable() and runs its handler.
    void translate(const OnnxNode& n);
    [[noreturn]] void unsupportedOp(const OnnxNode& n) const; // names the ops the table handles
    void constantNode(const OnnxNode& n);
    void passThrough(const OnnxNode& n); // Identity, Dropout
    void pad(const OnnxNode& n);
    // Per op (OnnxImportOps.cpp).
    void gemm(const OnnxNode& n);
    void matMul(const OnnxNode& n);
    // A Dense layer of kernel [in, units] (rows permuted when x is FlatChw) and an optional bias.
    void matMulLayer(const OnnxNode& n, const Value& x, int64_t in, int64_t units, std::vector<float> kernel,
                     const std::vector<float>* bias);
    // A Clip node: relu6 for [0, 6], relu for [0, inf), and Relu then Clip to [lo <= 0, 6] (how
    // PyTorch writes F.relu6) turns that relu into relu6; other bounds fail by name.
    void clip(const OnnxNode& n);
    // A Pad of zeros around the height and width of an image: a ZeroPadding2D layer; anything
    // else (other axes, another mode or value, negative pads) fails by name.
    void zeroPadding(const OnnxNode& n, const std::vector<int64_t>& pads);
    void conv(const OnnxNode& n);
    void convTranspose(const OnnxNode& n); // OnnxImportConvTranspose.cpp
    // What Conv and ConvTranspose check alike: an NCHW input x, a constant 2-D weight of group 1
    // whose axis `inputAxis` (1 for Conv's OIHW, 0 for ConvTranspose's IOHW) matches x's channels,
    // and kernel_shape, if given, equal to its spatial dims (returned in `kernel`).
    const OnnxTensor& convWeight(const OnnxNode& n, const Value& x, std::size_t inputAxis, std::vector<int64_t>& kernel);
    // Pools, global pools, Resize and Upsample (OnnxImportPools.cpp).
    void pool(const OnnxNode& n);
    void globalAveragePool(const OnnxNode& n);
    void globalMaxPool(const OnnxNode& n);
    void resize(const OnnxNode& n); // Resize (opset 11+) and Upsample (opset 7-9): UpSampling2D
    void slice(const OnnxNode& n);  // of an NCHW image's height and width: Cropping2D
    // The integer constant that is input k of n (Slice's starts, Resize's sizes); fails by name.
    std::vector<int64_t> integers(const OnnxNode& n, std::size_t k, const std::string& what) const;
    void reduceMean(const OnnxNode& n);
    // Rank-3 (N, C, W) tensors, PyTorch's sequences (OnnxImportSequence.cpp): Conv is Conv1D,
    // MaxPool/AveragePool the 1-D pools, the global pools and ReduceMean over W the global 1-D pools.
    void conv1d(const OnnxNode& n);
    void pool1d(const OnnxNode& n);
    void globalPool1d(const OnnxNode& n, bool isMax, bool keepDims);
    // ReduceMean (isMax false) or ReduceMax over the steps of a sequence, held (N, C, W) or
    // (N, W, C): the global 1-D pool; false (nothing added) for any other reduction.
    bool reduceOverSteps(const OnnxNode& n, bool isMax);
    // x as an (N, C, W) tensor whose Strata tensor is (N, W, C) (a Permute layer where needed).
    Value sequenceChannelsFirst(const OnnxNode& n, const Value& x);
    // A layer for n whose Strata output (N, W', C') is n's ONNX output of `shape` (N, C', W').
    void addSequenceLayer(const OnnxNode& n, const std::string& type, nlohmann::json config, int inbound, std::vector<int64_t> shape);
    std::string sequencePadding(const OnnxNode& n, int64_t in, int64_t span, int64_t stride, bool causalAllowed);
    // RNN, LSTM and GRU (SimpleRNN, LSTM, GRU, Bidirectional), and Gather of a computed tensor:
    // Embedding for ids into a constant table, else one step (OnnxImportRecurrent.cpp).
    void recurrent(const OnnxNode& n);
    // The (N, units) Strata layer of a recurrent op's computed initial state, input k ([1, N, u]).
    int initialState(const OnnxNode& n, std::size_t k, int64_t units);
    void gather(const OnnxNode& n);
    // n's output is x without its size-1 ONNX axes `drop` (not the batch): a Reshape layer of the
    // Strata tensor, the view keeping the other axes' order; false (nothing added) when it cannot.
    bool dropUnitAxes(const OnnxNode& n, const Value& x, const std::vector<int64_t>& drop);
    void castIds(const OnnxNode& n); // Cast of ids for an Embedding's Gather: a view
    void flatten(const OnnxNode& n);
    void reshape(const OnnxNode& n);
    void transpose(const OnnxNode& n);
    void batchNorm(const OnnxNode& n);
    void merge(const OnnxNode& n);
    void concat(const OnnxNode& n);
    void activation(const OnnxNode& n, const std::string& name);
    // Transformers (OnnxImportTransformer.cpp): the fused attention node of OnnxImportAttention.h
    // as a MultiHeadAttention layer; Expand of a constant to the batch (remembered, no layer: true
    // when n is one); a Concat joining such constants to a sequence along the steps
    // (PositionEmbedding layers over its first steps); Add of a (steps, features) constant to a
    // sequence (PositionEmbedding + Add; false, nothing added, when x and the table do not fit).
    void torchAttention(const OnnxNode& n);
    bool batchExpand(const OnnxNode& n);
    void concatWithBatchConstants(const OnnxNode& n);
    bool positionAdd(const OnnxNode& n, const Value& x, const OnnxTensor& table, const std::string& tableName);
    // Constant folding (OnnxImportShapes.cpp): Shape of a computed tensor, and Gather, Unsqueeze,
    // Squeeze, Concat, Slice, Add, Sub, Mul, Div, ConstantOfShape, Cast, Range, Expand whose inputs
    // are all constants; false: an input is computed (the caller translates the node, or fails).
    bool foldShapeArithmetic(const OnnxNode& n);
    static constexpr int64_t kBatchDim = std::numeric_limits<int64_t>::min(); // the batch size in a folded shape

    // Activations and small layers (OnnxImportActivations.cpp): HardSigmoid (Keras' hard_sigmoid
    // for alpha 1/6, beta 1/2, else Rescaling + ReLU(max_value 1)), PRelu (a PReLU layer, the
    // slope's size-1 axes shared), ThresholdedRelu (ReLU's threshold), Softmax over any axis
    // (a Softmax layer where it is not the channels'), Gelu, LayerNormalization over the last
    // axis, and a Mul or Add of a scalar constant (Rescaling; an Add folds into the Rescaling before).
    void hardSigmoid(const OnnxNode& n);
    void prelu(const OnnxNode& n);
    void thresholdedRelu(const OnnxNode& n);
    void softmax(const OnnxNode& n);
    void gelu(const OnnxNode& n);
    void layerNorm(const OnnxNode& n);
    // x - c (c a constant of the last axis' size, or one number) on a channels-last value: a
    // Normalization with mean c and variance 1; a Div by such a constant right after it (its only
    // use) folds in as variance = divisor^2 (Strata's Normalization export).
    void channelNormalization(const OnnxNode& n);
    void resizeTo(const OnnxNode& n, const Value& x, std::vector<int64_t> sizes, const std::string& mode, const std::string& coords,
                  const std::string& nearestMode);
    void scalarAffine(const OnnxNode& n, const Value& x, float value, bool add);
    // x * a per-channel constant on an image: a 1x1 DepthwiseConv2D (false when `scale` is not one).
    bool channelScale(const OnnxNode& n, const Value& x, const OnnxTensor& scale);
    // Clip(lo <= 0, hi) after a rectifier, as Strata writes ReLU(max_value): folded into a ReLU
    // layer (a LeakyReLU becomes one, lo -inf), or a ReLU layer after a relu; false: not that case.
    bool reluCap(const OnnxNode& n, float lo, float hi);

    [[noreturn]] void fail(const OnnxNode& n, const std::string& why) const;
    const Value& input(const OnnxNode& n, std::size_t k) const;  // a computed tensor (not a constant)
    const OnnxTensor* constant(const std::string& name) const;    // nullptr when not a constant
    const OnnxTensor& requireConstant(const OnnxNode& n, std::size_t k, const std::string& what) const;
    bool isConstant(const OnnxNode& n, std::size_t k) const { return k < n.inputs.size() && constant(n.inputs[k]); }
    // Adds a layer whose output is n.outputs[0]; returns its index.
    int addLayer(const OnnxNode& n, const std::string& type, nlohmann::json config, std::vector<int> inbound,
                 Layout layout, std::vector<int64_t> shape);
    void alias(const OnnxNode& n, const Value& v) { values_[n.outputs.at(0)] = v; }
    // Whether `tensor`, the output of a Dense, Conv2D or Conv2DTranspose with a linear activation, has no other use
    // (so an activation or bias after it can become part of the layer).
    bool fusable(const std::string& tensor, bool needNoBias) const;
    std::vector<std::string> layerNames() const;

    // Layouts (OnnxImportLayout.cpp). The Strata axis of each ONNX axis of v (FlatChw: identity).
    static std::vector<int64_t> strataAxes(const Value& v);
    // v with the layout whose Strata axes are `axes` (Same, ChannelsFirst or Permuted).
    static Value withAxes(Value v, const std::vector<int64_t>& axes);
    // v in ONNX order (layout Same): a Permute layer unless it is already; made for node n.
    Value materialize(const OnnxNode& n, const Value& v);
    // A layer for node n that is not its output (a Permute before a Reshape); returns its index.
    int addInnerLayer(const OnnxNode& n, const std::string& type, nlohmann::json config, std::vector<int> inbound);
    // n's output is x reshaped to `out` (batch first, every other dim known when x is not Same):
    // a Reshape in Strata's order when the ONNX reshape keeps its element order, else a Permute to
    // ONNX order first; `flattenLayer` names it a Flatten when the result is (batch, features). A
    // rank-4 result is made an NCHW image (a Permute after, where needed) unless only Transposes
    // to NCHW read it.
    void reshapeTo(const OnnxNode& n, const Value& x, std::vector<int64_t> out, bool flattenLayer);
    // reshapeTo without the final Permute that makes a wanted image NCHW.
    void reshapeInOrder(const OnnxNode& n, const Value& x, std::vector<int64_t> out, bool flattenLayer, bool wantNchw);
    void squeeze(const OnnxNode& n);   // of a computed tensor: a reshape
    void unsqueeze(const OnnxNode& n); // of a computed tensor: a reshape
    // Whether every node reading `tensor` is a Gemm or MatMul (so a flattened NCHW image can stay
    // in Strata's order and the Dense kernel rows be permuted instead).
    bool onlyMatMulsRead(const std::string& tensor) const;
    std::map<std::string, std::vector<const OnnxNode*>> consumers_;

    const OnnxModel& m_;
    std::string source_;
    std::string inputLayout_;
    std::map<std::string, const OnnxTensor*> consts_;
    std::map<std::string, OnnxTensor> nodeConsts_; // Constant nodes' values
    std::map<std::string, Value> values_;
    std::map<std::string, int> uses_;
    std::set<std::string> batchZeros_; // ConstantOfShape zeros of a shape holding the batch (a recurrent op's initial state)
    std::map<std::string, std::string> batchExpanded_; // Expand of a constant to the batch: the constant's name
    std::map<std::string, std::string> shapeOf_;       // a folded Shape: the computed tensor it is the shape of
    std::map<std::string, std::string> firstRowsOf_;   // a folded Slice of an initializer's first rows: the initializer
    std::set<std::string> handled_;    // outputs of nodes a recurrent op already translated (torch's views of its output)
    // A recurrent op's final states as ONNX gives them ([D, N, u] Y_h, Y_c, or a state unsqueezed
    // to [1, N, u]): per direction, the Strata layer (or state, "NAME:K") whose (N, u) output it
    // is. An initial state and torch's h[d] read them directly; other readers get a view.
    struct StateParts {
        std::vector<int> layers;
        int64_t batch = -1, units = 0;
    };
    std::map<std::string, StateParts> stateParts_;
    // Whether a reader of state tensor `tensor` needs it as a tensor (a view) rather than its parts.
    bool needsStateView(const std::string& tensor) const;
    // An integer constant, also one from a Constant node not translated yet (torch writes those late);
    // `scalar`, when given, says whether it has no dims.
    std::vector<int64_t> laterInts(const std::string& name, bool* scalar = nullptr) const;
    std::set<std::string> graphOutputs_;
    std::vector<PendingLayer> layers_;
    std::vector<int> inputLayers_;
    std::vector<std::string> notes_;
};

// The largest kernel, stride, dilation, pad or output padding a window op may have: far beyond
// any real model, and small enough that no product of them overflows.
inline constexpr int64_t kMaxWindowAttr = 1 << 16;

// "NAME [v,...] out of range (LO to 65536)" when a value is outside [lo, kMaxWindowAttr], else "".
std::string windowAttrRangeProblem(const std::string& name, const std::vector<int64_t>& v, int64_t lo);

// Every window attribute of a node checked before any arithmetic uses it (a stride of 0 divided by
// zero; huge values overflowed): kernel, strides and dilations in [1, 65536] and two each, pads
// (when given) four in [0, 65536]; `fail` reports the first that is not.
void requireWindowAttrs(const std::vector<int64_t>& k, const std::vector<int64_t>& s, const std::vector<int64_t>& d,
                        const std::vector<int64_t>* pads, const std::function<void(const std::string&)>& fail);

// The float's value as the shortest decimal that reads back as the same float (0.01f -> 0.01, not
// 0.009999999776482582), so an imported spec shows the number the exporter was given.
double shortestDecimal(float v);

// Tensor helpers shared by the import code.
Tensor importedTensor(const std::vector<int64_t>& dims, const std::vector<float>& values);
// OIHW (ONNX) -> HWIO (Keras) for a convolution kernel of dims {O, I, H, W}.
Tensor kernelOihwToHwio(const std::vector<int64_t>& dims, const std::vector<float>& values);
// (filters, in, k) (ONNX's 1-D Conv weight) -> (k, in, filters) (Keras' Conv1D kernel, the only
// rank-3 variable named "kernel").
Tensor kernelOiwToWio(const std::vector<int64_t>& dims, const std::vector<float>& values);

} // namespace strata::storage
