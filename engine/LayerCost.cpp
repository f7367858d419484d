#include "engine/LayerCost.h"

#include "engine/DType.h"
#include "engine/Error.h"
#include "engine/layers/AttentionLayers.h"
#include "engine/layers/Block.h"
#include "engine/layers/ConvolutionLayers.h"
#include "engine/layers/CoreLayers.h"
#include "engine/layers/DepthwiseLayers.h"
#include "engine/layers/ImageResizeLayers.h"
#include "engine/layers/NormalizationLayers.h"
#include "engine/layers/PoolingLayers.h"
#include "engine/layers/ResizingLayers.h"
#include "engine/layers/EmbeddingLayers.h"
#include "engine/layers/RecurrentLayers.h"
#include "engine/layers/SequenceLayers.h"

#include <cstdio>
#include <functional>
#include <map>

namespace strata {

namespace {

constexpr int64_t kLimit = int64_t(1) << 62;

int64_t mul(int64_t a, int64_t b) {
    int64_t r = 0;
    if (__builtin_mul_overflow(a, b, &r) || r > kLimit) throw ShapeError("the cost overflows (more than 2^62 operations)");
    return r;
}

int64_t add(int64_t a, int64_t b) {
    int64_t r = 0;
    if (__builtin_add_overflow(a, b, &r) || r > kLimit) throw ShapeError("the cost overflows (more than 2^62 operations)");
    return r;
}

// Elements of one sample of `s` (batch dimension dropped).
int64_t perSample(const Shape& s) {
    const int64_t n = s.rank() == 0 ? 1 : s.numElementsFrom(1);
    if (n == kUnknownDim) throw ShapeError("the cost needs known dimensions, got " + s.toString());
    return n;
}

// Dimension `i` of `s`, which must be known.
int64_t dim(const Shape& s, std::size_t i) {
    if (i >= s.rank() || !s.isKnown(i)) throw ShapeError("the cost needs known dimensions, got " + s.toString());
    return s[i];
}

struct Io {
    const Layer& layer;
    const std::vector<Shape>& in;
    const Shape& out;
    int64_t outElements() const { return perSample(out); }
    int64_t inElements(std::size_t i = 0) const { return perSample(in.at(i)); }
    template <class T> const T& as() const { return dynamic_cast<const T&>(layer); }
};

// Cost of the arithmetic besides the weights: a bias add and an activation on every output.
int64_t biasAndActivation(const Io& io, bool useBias, const std::string& activation) {
    int64_t ops = 0;
    if (useBias) ops = add(ops, io.outElements());
    if (!activation.empty() && activation != "linear") ops = add(ops, io.outElements());
    return ops;
}

using Rule = std::function<LayerCost(const Io&)>;

// Every step: the input's and the state's products with the kernels (gates x units wide), then per
// gate unit a bias add and an activation, and the state update's few elementwise ops per unit.
LayerCost recurrentLayerCost(const layers::RecurrentLayer& r, const Shape& in) {
    const int64_t steps = dim(in, 1), width = mul(r.gates(), r.units);
    const int64_t macs = mul(steps, mul(add(dim(in, 2), r.units), width));
    const int64_t ops = mul(steps, add(mul(2, width), mul(r.isGru() ? 4 : r.isLstm() ? 5 : 0, r.units)));
    return LayerCost{macs, ops, 0};
}
LayerCost recurrentCost(const Io& io) { return recurrentLayerCost(io.as<layers::RecurrentLayer>(), io.in.at(0)); }

// The query, key and value projections, every head's scores and mix, the output projection; the
// bias adds, the query's scaling, the mask and the softmax (about 3 ops per score).
LayerCost attentionCost(const Io& io) {
    const auto& a = io.as<layers::MultiHeadAttention>();
    const Shape &q = io.in.at(0), &v = io.in.at(1), &k = io.in.size() > 2 ? io.in[2] : io.in.at(1);
    const int64_t t = dim(q, 1), s = dim(v, 1), h = a.numHeads, qk = mul(h, a.keyDim), hv = mul(h, a.valueDim);
    const int64_t scores = mul(h, mul(t, s));
    int64_t macs = add(mul(mul(t, dim(q, 2)), qk), mul(mul(s, dim(k, 2)), qk));
    macs = add(macs, add(mul(mul(s, dim(v, 2)), hv), mul(mul(t, hv), dim(q, 2))));
    macs = add(macs, add(mul(scores, a.keyDim), mul(scores, a.valueDim)));
    int64_t ops = add(mul(t, qk), mul(a.causal ? 4 : 3, scores));
    if (a.useBias) ops = add(ops, add(add(mul(t, qk), mul(s, qk)), add(mul(s, hv), mul(dim(q, 2), t))));
    return LayerCost{macs, ops, 0};
}

LayerCost none(const Io&) { return {}; }                      // data movement or identity at inference
LayerCost perElement(const Io& io) { return {0, io.outElements(), 0}; } // one op per output element

LayerCost blockCost(const Io& io) {
    const auto& block = io.as<layers::Block>();
    const InferenceResult& r = block.innerInference(io.in);
    const ModelSpec& spec = block.innerSpec();
    LayerCost sum;
    for (std::size_t i = 0; i < spec.layers.size(); ++i) {
        const LayerInference& li = r.layers[i];
        if (spec.layers[i].type == "Input") continue; // the block's inputs are its callers' outputs
        if (!li.layer || !li.outputShape) throw ShapeError("layer '" + spec.layers[i].name + "' of the block has no shape");
        sum += layerCost(*li.layer, li.inputShapes, *li.outputShape);
    }
    return sum;
}

const std::map<std::string, Rule>& rules() {
    static const std::map<std::string, Rule> table = {
        {"Input", none},
        {"Dense",
         [](const Io& io) {
             const auto& d = io.as<layers::Dense>();
             return LayerCost{mul(io.outElements(), dim(io.in.at(0), io.in.at(0).rank() - 1)),
                              biasAndActivation(io, d.useBias, d.activation), 0};
         }},
        {"Conv2D",
         [](const Io& io) {
             const auto& c = io.as<layers::Conv2D>();
             const int64_t window = mul(mul(c.kernelSize[0], c.kernelSize[1]), dim(io.in.at(0), 3) / c.groups);
             return LayerCost{mul(io.outElements(), window), biasAndActivation(io, c.useBias, c.activation), 0};
         }},
        {"Conv1D",
         [](const Io& io) { // each output step reads kernel_size x in_channels inputs
             const auto& c = io.as<layers::Conv1D>();
             return LayerCost{mul(io.outElements(), mul(c.kernelSize, dim(io.in.at(0), 2))),
                              biasAndActivation(io, c.useBias, c.activation), 0};
         }},
        {"Conv2DTranspose",
         [](const Io& io) { // every input cell scatters a kh x kw x filters window
             const auto& c = io.as<layers::Conv2DTranspose>();
             const int64_t window = mul(mul(c.kernelSize[0], c.kernelSize[1]), c.filters);
             return LayerCost{mul(io.inElements(), window), biasAndActivation(io, c.useBias, c.activation), 0};
         }},
        {"DepthwiseConv2D",
         [](const Io& io) {
             const auto& c = io.as<layers::DepthwiseConv2D>();
             return LayerCost{mul(io.outElements(), mul(c.kernelSize[0], c.kernelSize[1])),
                              biasAndActivation(io, c.useBias, c.activation), 0};
         }},
        {"SeparableConv2D",
         [](const Io& io) { // depthwise on (out_h, out_w, in*dm), then a 1x1 to filters
             const auto& c = io.as<layers::SeparableConv2D>();
             const int64_t spatial = mul(dim(io.out, 1), dim(io.out, 2));
             const int64_t mid = mul(spatial, mul(dim(io.in.at(0), 3), c.depthMultiplier));
             const int64_t depthwise = mul(mid, mul(c.kernelSize[0], c.kernelSize[1]));
             return LayerCost{add(depthwise, mul(mid, c.filters)), biasAndActivation(io, c.useBias, c.activation), 0};
         }},
        {"Activation", [](const Io& io) { return LayerCost{0, io.as<layers::Activation>().activation == "linear" ? 0 : io.outElements(), 0}; }},
        {"ReLU", perElement},
        {"LeakyReLU", perElement},
        {"Softmax", [](const Io& io) { return LayerCost{0, mul(3, io.outElements()), 0}; }}, // exp, sum, divide
        {"PReLU", [](const Io& io) { return LayerCost{io.outElements(), io.outElements(), 0}; }}, // alpha * x, the max
        {"Rescaling", perElement},                                                             // x * scale + offset
        {"Normalization", [](const Io& io) { return LayerCost{0, mul(2, io.outElements()), 0}; }}, // (x - mean) / std
        {"BatchNormalization",
         [](const Io& io) { // at inference one scale and shift per element, the statistics folded in
             const auto& n = io.as<layers::Normalization>();
             return LayerCost{n.scale ? io.outElements() : 0, n.center ? io.outElements() : 0, 0};
         }},
        {"LayerNormalization",
         [](const Io& io) { // mean, variance and normalize per element, then gamma and beta
             const auto& n = io.as<layers::Normalization>();
             return LayerCost{n.scale ? io.outElements() : 0, mul(n.center ? 4 : 3, io.outElements()), 0};
         }},
        {"Dropout", none}, // the identity at inference
        {"Add", [](const Io& io) { return LayerCost{0, mul(io.outElements(), int64_t(io.in.size()) - 1), 0}; }},
        {"Multiply", [](const Io& io) { return LayerCost{0, mul(io.outElements(), int64_t(io.in.size()) - 1), 0}; }},
        {"Concatenate", none},
        {"MaxPooling2D",
         [](const Io& io) {
             const auto& p = io.as<layers::Pooling2D>();
             return LayerCost{0, mul(io.outElements(), mul(p.poolSize[0], p.poolSize[1])), 0};
         }},
        {"AveragePooling2D",
         [](const Io& io) {
             const auto& p = io.as<layers::Pooling2D>();
             return LayerCost{0, mul(io.outElements(), mul(p.poolSize[0], p.poolSize[1])), 0};
         }},
        {"GlobalAveragePooling2D", [](const Io& io) { return LayerCost{0, io.inElements(), 0}; }},
        {"GlobalMaxPooling2D", [](const Io& io) { return LayerCost{0, io.inElements(), 0}; }},
        {"MaxPooling1D", [](const Io& io) { return LayerCost{0, mul(io.outElements(), io.as<layers::Pooling1D>().poolSize), 0}; }},
        {"AveragePooling1D", [](const Io& io) { return LayerCost{0, mul(io.outElements(), io.as<layers::Pooling1D>().poolSize), 0}; }},
        {"GlobalAveragePooling1D", [](const Io& io) { return LayerCost{0, io.inElements(), 0}; }},
        {"GlobalMaxPooling1D", [](const Io& io) { return LayerCost{0, io.inElements(), 0}; }},
        {"Embedding", // a one-hot row of input_dim times the table for each id
         [](const Io& io) { return LayerCost{mul(io.outElements(), io.as<layers::Embedding>().inputDim), 0, 0}; }},
        {"SimpleRNN", recurrentCost},
        {"LSTM", recurrentCost},
        {"GRU", recurrentCost},
        {"Bidirectional",
         [](const Io& io) {
             const auto& b = io.as<layers::Bidirectional>();
             LayerCost c = recurrentLayerCost(b.forwardLayer(), io.in.at(0));
             c += recurrentLayerCost(b.backwardLayer(), io.in.at(0));
             c.ops = add(c.ops, io.outElements()); // the merge
             return c;
         }},
        {"MultiHeadAttention", attentionCost},
        {"Dot", // a product over the contracted axis per output element; normalize: 3 ops per input element
         [](const Io& io) {
             const auto& d = io.as<layers::Dot>();
             const auto axes = d.axesFor(io.in.at(0).rank(), io.in.at(1).rank());
             const int64_t macs = mul(io.outElements(), dim(io.in[0], std::size_t(axes.first)));
             return LayerCost{macs, d.normalize ? mul(3, add(io.inElements(0), io.inElements(1))) : 0, 0};
         }},
        {"RepeatVector", none},
        {"PositionEmbedding", none}, // a copy of the table's rows
        {"UpSampling2D", // bilinear: four taps per output element; nearest copies
         [](const Io& io) {
             return LayerCost{0, io.as<layers::UpSampling2D>().interpolation == "bilinear" ? mul(4, io.outElements()) : 0, 0};
         }},
        {"Resizing", [](const Io& io) { return LayerCost{0, io.as<layers::Resizing>().bilinear ? mul(4, io.outElements()) : 0, 0}; }},
        {"Cropping2D", none},
        {"ZeroPadding2D", none},
        {"Flatten", none},
        {"Reshape", none},
        {"Permute", none},
        {"Slice", none},
        {"Block", blockCost},
        // Augmentations are the identity at inference (RandomCrop a centre crop).
        {"RandomFlip", none},
        {"RandomTranslation", none},
        {"RandomRotation", none},
        {"RandomZoom", none},
        {"RandomContrast", none},
        {"RandomCrop", none},
    };
    return table;
}

} // namespace

LayerCost& LayerCost::operator+=(const LayerCost& o) {
    macs = add(macs, o.macs);
    ops = add(ops, o.ops);
    activationBytes = add(activationBytes, o.activationBytes);
    return *this;
}

bool hasCostRule(const std::string& type) { return rules().count(type) > 0; }

LayerCost layerCost(const Layer& layer, const std::vector<Shape>& inputs, const Shape& output) {
    auto it = rules().find(layer.type());
    if (it == rules().end()) throw StrataError("no cost rule for layer type '" + layer.type() + "' (engine/LayerCost.cpp)");
    LayerCost c = it->second(Io{layer, inputs, output});
    // A block's activations are those of the layers inside it (its output is one of them).
    if (layer.type() != "Block") c.activationBytes = mul(perSample(output), int64_t(dtypeSize(DType::F32)));
    return c;
}

int optimizerSlotsPerVariable(const std::string& optimizer, double momentum, bool centered) {
    if (optimizer == "adam" || optimizer == "adamw") return 2;
    if (optimizer == "sgd") return momentum > 0 ? 1 : 0;
    if (optimizer == "rmsprop") return 1 + (momentum > 0 ? 1 : 0) + (centered ? 1 : 0);
    throw ConfigError("optimizer: unknown optimizer '" + optimizer + "' (known: sgd, adam, adamw, rmsprop)");
}

int64_t TrainingMemory::totalBytes() const { return add(add(weightBytes, gradientBytes), add(optimizerBytes, activationBytes)); }

TrainingMemory trainingMemory(const ParamCounts& params, int64_t activationBytesPerSample, int64_t batch, int slotsPerVariable) {
    TrainingMemory m;
    m.batch = batch;
    m.slotsPerVariable = slotsPerVariable;
    const int64_t f32 = int64_t(dtypeSize(DType::F32));
    m.weightBytes = mul(params.total(), f32);
    m.gradientBytes = mul(params.trainable, f32);
    m.optimizerBytes = mul(mul(params.trainable, slotsPerVariable), f32);
    m.activationBytes = mul(activationBytesPerSample, batch);
    (void)m.totalBytes(); // checks the sum
    return m;
}

const char* trainingMemoryAssumptions() {
    return "float32 throughout; weights: every parameter; gradients: one per trainable parameter; optimizer: its slots "
           "per trainable parameter (Adam 2, SGD with momentum 1, RMSprop 1 to 3); activations: every layer's output per "
           "sample times the batch, kept for the backward pass. Not counted: activation gradients in flight, backend "
           "workspace (im2col buffers), the data pipeline.";
}

std::string readableCount(int64_t n) {
    const char* units[] = {"", " K", " M", " G", " T", " P"};
    double v = double(n);
    int u = 0;
    while ((v >= 1000.0 || v <= -1000.0) && u < 5) v /= 1000.0, ++u;
    char buf[48];
    if (u == 0) std::snprintf(buf, sizeof buf, "%lld", static_cast<long long>(n));
    else std::snprintf(buf, sizeof buf, "%.2f%s", v, units[u]);
    return buf;
}

} // namespace strata
