#include "engine/layers/AttentionLayers.h"

#include "engine/Error.h"
#include "engine/Initializers.h"
#include "engine/LayerRegistry.h"
#include "engine/Masks.h"
#include "engine/ir/Optimizers.h"

#include <algorithm>
#include <cmath>

namespace strata::layers {

namespace {

const char* kSequenceShape = "(batch, steps, features)";

// A submodule that only holds variables: MultiHeadAttention's query, key, value and
// attention_output (Keras' EinsumDense sublayers), so paths read ".../query/kernel".
class VariableGroup : public Module {
public:
    using Module::Module;
    Variable& add(const VariableSpec& s) { return addVariable(s.name, s.shape, DType::F32, s.trainable, s.initializer); }
};

// Keras' compute_fans for a kernel of rank >= 2: the leading axes are a receptive field.
std::pair<int64_t, int64_t> fans(const Shape& s) {
    int64_t field = 1;
    for (std::size_t i = 0; i + 2 < s.rank(); ++i) field *= s[i];
    return {s[s.rank() - 2] * field, s.back() * field};
}

// x (B, L, d) through a (d, heads, width) kernel and (heads, width) bias -> (B * heads, L, width).
ir::ValueId project(ir::Graph& g, ir::ValueId x, ir::ValueId kernel, ir::ValueId bias, int64_t heads, int64_t width) {
    const Shape& xs = g.shape(x);
    const int64_t batch = xs[0], steps = xs[1], d = xs[2];
    ir::ValueId y = g.matmul(g.reshape(x, Shape{batch * steps, d}), g.reshape(kernel, Shape{d, heads * width}));
    if (bias != ir::kNoValue) y = g.add(y, g.reshape(bias, Shape{heads * width}));
    y = g.transpose(g.reshape(y, Shape{batch, steps, heads, width}), {0, 2, 1, 3});
    return g.reshape(y, Shape{batch * heads, steps, width});
}

} // namespace

MultiHeadAttention::MultiHeadAttention(const LayerTypeInfo& info, std::string name, nlohmann::json config)
    : Layer(info, std::move(name), std::move(config)), numHeads(intConfig("num_heads", 1)), keyDim(intConfig("key_dim", 1)),
      valueDim(cfg("value_dim").is_null() ? keyDim : intConfig("value_dim", 1)), dropout(cfg("dropout").get<double>()),
      useBias(cfg("use_bias").get<bool>()), causal(cfg("use_causal_mask").get<bool>()),
      kernelInit_(initializerConfig("kernel_initializer")), biasInit_(initializerConfig("bias_initializer")) {
    if (!(dropout >= 0.0 && dropout < 1.0)) configError("dropout", "must be in [0, 1), got " + cfg("dropout").dump());
    if (!cfg("output_shape").is_null()) configError("output_shape", "only null (the query's features) is supported");
    if (!cfg("attention_axes").is_null()) configError("attention_axes", "only null (attention over the steps) is supported");
    if (const auto& s = cfg("seed"); !s.is_null()) {
        if (!s.is_number_integer() || s.get<int64_t>() < 0) configError("seed", "must be a non-negative integer or null, got " + s.dump());
        seed_ = s.get<int64_t>();
    }
}

Shape MultiHeadAttention::outputShape(const std::vector<Shape>& inputs) const {
    if (inputs.size() < 2 || inputs.size() > 3)
        throw ShapeError("expects query, value and optionally key, got " + std::to_string(inputs.size()) + " inputs");
    const char* names[] = {"query", "value", "key"};
    for (std::size_t i = 0; i < inputs.size(); ++i) {
        requireRank(inputs[i], 3, kSequenceShape);
        if (!inputs[i].isKnown(2)) throw ShapeError(std::string("needs known ") + names[i] + " features, got " + inputs[i].toString());
    }
    const Shape& q = inputs[0];
    const Shape& v = inputs[1];
    if (inputs.size() == 3) {
        const Shape& k = inputs[2];
        if (k.isKnown(1) && v.isKnown(1) && k[1] != v[1])
            throw ShapeError("key and value need the same steps, got key " + k.toString() + " and value " + v.toString());
    }
    return q;
}

std::vector<VariableSpec> MultiHeadAttention::variableSpecs(const std::vector<Shape>& inputs) const {
    const int64_t dq = inputs.at(0)[2], dv = inputs.at(1)[2], dk = inputs.size() > 2 ? inputs[2][2] : dv;
    std::vector<VariableSpec> out;
    auto add = [&](const std::string& sub, Shape kernel, Shape bias) {
        (void)kernel.numElements(); // checked: too large to count is an error
        const auto [fanIn, fanOut] = fans(kernel);
        out.push_back({sub + "/kernel", kernel, true, kernelInit_, fanIn, fanOut});
        if (useBias) out.push_back({sub + "/bias", std::move(bias), true, biasInit_, fanIn, fanOut});
    };
    add("query", Shape{dq, numHeads, keyDim}, Shape{numHeads, keyDim});
    add("key", Shape{dk, numHeads, keyDim}, Shape{numHeads, keyDim});
    add("value", Shape{dv, numHeads, valueDim}, Shape{numHeads, valueDim});
    add("attention_output", Shape{numHeads, valueDim, dq}, Shape{dq});
    return out;
}

void MultiHeadAttention::buildVariables(const std::vector<Shape>& inputs, uint64_t seed) {
    for (const VariableSpec& spec : variableSpecs(inputs)) {
        const auto slash = spec.name.find('/');
        const std::string group = spec.name.substr(0, slash);
        Module* owner = nullptr;
        for (Module* c : children())
            if (c->name() == group) owner = c;
        if (!owner) owner = &addSubmodule(std::make_unique<VariableGroup>(group));
        VariableSpec own = spec;
        own.name = spec.name.substr(slash + 1);
        Variable& v = static_cast<VariableGroup*>(owner)->add(own);
        initializeTensor(v.value(), spec.initializer, spec.fanIn, spec.fanOut, seed, v.path());
    }
}

LayerOutput MultiHeadAttention::call(CallContext& ctx, const std::vector<ir::ValueId>& in) const {
    ir::Graph& g = ctx.graph();
    const ir::ValueId query = in.at(0), value = in.at(1), key = in.size() > 2 ? in[2] : in.at(1);
    auto var = [&](const char* path) { return ctx.variable(*this, path); };
    auto bias = [&](const char* path) { return useBias ? ctx.variable(*this, path) : ir::kNoValue; };
    const Shape qs = g.shape(query);
    const int64_t batch = qs[0], t = qs[1], dq = qs[2], s = g.shape(value)[1];
    ir::ValueId q = project(g, query, var("query/kernel"), bias("query/bias"), numHeads, keyDim);
    const ir::ValueId k = project(g, key, var("key/kernel"), bias("key/bias"), numHeads, keyDim);
    const ir::ValueId v = project(g, value, var("value/kernel"), bias("value/bias"), numHeads, valueDim);
    q = g.mul(q, g.scalar(float(1.0 / std::sqrt(double(keyDim))))); // Keras scales the query
    ir::ValueId scores = g.batchMatmul(q, k, false, true);        // (B * heads, T, S)
    const ir::ValueId allowed = attentionMask(ctx, in);
    if (allowed != ir::kNoValue) {
        // Keras: where(mask, scores, large negative), as scores * M + (M - 1) * 1e9 (exact for 0/1).
        const ir::ValueId m = g.reshape(allowed, Shape{batch, 1, t, s});
        const ir::ValueId byHead = g.reshape(scores, Shape{batch, numHeads, t, s});
        scores = g.add(g.mul(byHead, m), g.mul(g.sub(m, g.scalar(1.0f)), g.scalar(1e9f)));
        scores = g.reshape(scores, Shape{batch * numHeads, t, s});
    } else if (causal) { // Keras: query step i sees value steps j <= i
        Tensor mask(Shape{t, s});
        for (int64_t i = 0; i < t; ++i)
            for (int64_t j = 0; j < s; ++j) mask.f32()[i * s + j] = j <= i ? 0.0f : -1e9f;
        scores = g.add(scores, g.constant(std::move(mask)));
    }
    ir::ValueId probs = g.softmax(scores);
    if (allowed != ir::kNoValue && dropout > 0.0) { // Keras' Softmax layer path zeroes the masked probabilities
        const ir::ValueId m = g.reshape(allowed, Shape{batch, 1, t, s});
        probs = g.reshape(g.mul(g.reshape(probs, Shape{batch, numHeads, t, s}), m), Shape{batch * numHeads, t, s});
    }
    if (ctx.training() && dropout > 0.0) {
        const ir::ValueId step = g.variable(ir::kIterationsPath, Shape{}, DType::I32);
        probs = g.dropout(probs, step, dropout, seed_ >= 0 ? uint64_t(seed_) : hashString(path(), ctx.seed()));
    }
    ir::ValueId heads = g.batchMatmul(probs, v); // (B * heads, T, value_dim)
    heads = g.transpose(g.reshape(heads, Shape{batch, numHeads, t, valueDim}), {0, 2, 1, 3});
    ir::ValueId y = g.matmul(g.reshape(heads, Shape{batch * t, numHeads * valueDim}),
                             g.reshape(var("attention_output/kernel"), Shape{numHeads * valueDim, dq}));
    if (useBias) y = g.add(y, bias("attention_output/bias"));
    return {g.reshape(y, Shape{batch, t, dq})};
}

// Keras' _compute_attention_mask: query mask (B, T, 1) & value mask (B, 1, S) & key mask (B, 1, S)
// & the causal (T, S), as a (B, T, S) 0/1 value; kNoValue when no input has a mask.
ir::ValueId MultiHeadAttention::attentionMask(CallContext& ctx, const std::vector<ir::ValueId>& in) const {
    ir::Graph& g = ctx.graph();
    const ir::ValueId qm = ctx.inputMask(0), vm = ctx.inputMask(1), km = in.size() > 2 ? ctx.inputMask(2) : ir::kNoValue;
    if (qm == ir::kNoValue && vm == ir::kNoValue && km == ir::kNoValue) return ir::kNoValue;
    const int64_t batch = g.shape(in[0])[0], t = g.shape(in[0])[1], s = g.shape(in[1])[1];
    Tensor ones(Shape{batch, t, s});
    ones.fill(1.0f);
    ir::ValueId m = g.constant(std::move(ones));
    const char* names[] = {"MultiHeadAttention's query", "MultiHeadAttention's value", "MultiHeadAttention's key"};
    for (std::size_t i = 0; i < 3; ++i) {
        const ir::ValueId mi = i == 0 ? qm : i == 1 ? vm : km;
        if (mi == ir::kNoValue) continue;
        masks::requireSequenceMask(g, mi, in[i], names[i]);
        m = g.mul(m, g.reshape(mi, i == 0 ? Shape{batch, t, 1} : Shape{batch, 1, s}));
    }
    if (causal) {
        Tensor lower(Shape{t, s});
        for (int64_t i = 0; i < t; ++i)
            for (int64_t j = 0; j < s; ++j) lower.f32()[i * s + j] = j <= i ? 1.0f : 0.0f;
        m = g.mul(m, g.constant(std::move(lower)));
    }
    return m;
}

std::string MultiHeadAttention::maskEffect(const std::vector<bool>& masked) const {
    return std::find(masked.begin(), masked.end(), true) != masked.end()
               ? "masked query, value and key steps are left out of the attention" : "";
}

std::string MultiHeadAttention::keyConfigText() const {
    return std::to_string(numHeads) + "x" + std::to_string(keyDim) + (causal ? " causal" : "");
}

Dot::Dot(const LayerTypeInfo& info, std::string name, nlohmann::json config)
    : Layer(info, std::move(name), std::move(config)), normalize(cfg("normalize").get<bool>()) {
    const auto& a = cfg("axes");
    auto axis = [&](const nlohmann::json& v) {
        if (!v.is_number_integer() || v.get<int64_t>() == 0 || v.get<int64_t>() < -3 || v.get<int64_t>() > 2)
            configError("axes", "each axis must be 1 or 2 (or -1, -2; 0 is the batch), got " + a.dump());
        return v.get<int64_t>();
    };
    if (a.is_array()) {
        if (a.size() != 2) configError("axes", "must be an integer or a list of two, got " + a.dump());
        ax_ = axis(a[0]), ay_ = axis(a[1]);
    } else {
        ax_ = ay_ = axis(a);
    }
}

std::pair<int64_t, int64_t> Dot::axesFor(std::size_t rankX, std::size_t rankY) const {
    const int64_t x = ax_ < 0 ? ax_ + int64_t(rankX) : ax_, y = ay_ < 0 ? ay_ + int64_t(rankY) : ay_;
    return {x, y};
}

Shape Dot::outputShape(const std::vector<Shape>& inputs) const {
    if (inputs.size() != 2) throw ShapeError("expects 2 inputs, got " + std::to_string(inputs.size()));
    const Shape &x = inputs[0], &y = inputs[1];
    for (const Shape* s : {&x, &y})
        if (s->rank() != 2 && s->rank() != 3)
            throw ShapeError("expects inputs of rank 2 or 3 (batch first), got " + shapesText(inputs));
    const auto [ax, ay] = axesFor(x.rank(), y.rank());
    if (ax < 1 || ax >= int64_t(x.rank()) || ay < 1 || ay >= int64_t(y.rank()))
        throw ShapeError("axes " + cfg("axes").dump() + " are out of range for " + shapesText(inputs));
    if (x.isKnown(std::size_t(ax)) && y.isKnown(std::size_t(ay)) && x[std::size_t(ax)] != y[std::size_t(ay)])
        throw ShapeError("the dot axes differ in size: " + x.toString() + " axis " + std::to_string(ax) + " and " + y.toString() +
                         " axis " + std::to_string(ay));
    std::vector<int64_t> out{x[0]};
    for (std::size_t i = 1; i < x.rank(); ++i)
        if (int64_t(i) != ax) out.push_back(x[i]);
    for (std::size_t i = 1; i < y.rank(); ++i)
        if (int64_t(i) != ay) out.push_back(y[i]);
    if (out.size() == 1) out.push_back(1);
    return Shape(std::move(out));
}

LayerOutput Dot::call(CallContext& ctx, const std::vector<ir::ValueId>& in) const {
    ir::Graph& g = ctx.graph();
    ir::ValueId x = in.at(0), y = in.at(1);
    const Shape out = outputShape({g.shape(x), g.shape(y)}); // checks the axes against these ranks
    const std::size_t rx = g.shape(x).rank(), ry = g.shape(y).rank();
    auto [ax, ay] = axesFor(rx, ry);
    auto l2normalize = [&](ir::ValueId v, int64_t axis) { // Keras 3 ops.normalize: v / max(norm(v), 1e-7)
        const ir::ValueId ss = g.reduceSum(g.square(v), {axis}, true);
        return g.div(v, g.sqrt(g.clip(ss, 1e-14, 3.0e38)));
    };
    if (normalize) x = l2normalize(x, ax), y = l2normalize(y, ay);
    // Rank 2 (B, d) becomes (B, 1, d): one free axis of size 1, dropped from the output again.
    if (rx == 2) x = g.reshape(x, Shape{g.shape(x)[0], 1, g.shape(x)[1]}), ax = 2;
    if (ry == 2) y = g.reshape(y, Shape{g.shape(y)[0], 1, g.shape(y)[1]}), ay = 2;
    const ir::ValueId z = g.batchMatmul(x, y, ax == 1, ay == 2); // (B, x's free, y's free)
    return {g.reshape(z, out)};
}

std::string Dot::keyConfigText() const { return "axes " + cfg("axes").dump() + (normalize ? " normalized" : ""); }

RepeatVector::RepeatVector(const LayerTypeInfo& info, std::string name, nlohmann::json config)
    : Layer(info, std::move(name), std::move(config)), n(intConfig("n", 1)) {}

Shape RepeatVector::outputShape(const std::vector<Shape>& inputs) const {
    const Shape& in = inputs.at(0);
    requireRank(in, 2, "(batch, features)");
    return Shape{in[0], n, in[1]};
}

LayerOutput RepeatVector::call(CallContext& ctx, const std::vector<ir::ValueId>& in) const {
    ir::Graph& g = ctx.graph();
    const Shape s = g.shape(in.at(0));
    return {g.broadcastTo(g.reshape(in[0], Shape{s[0], 1, s[1]}), Shape{s[0], n, s[1]})};
}

PositionEmbedding::PositionEmbedding(const LayerTypeInfo& info, std::string name, nlohmann::json config)
    : Layer(info, std::move(name), std::move(config)), sequenceLength(intConfig("sequence_length", 1)),
      init_(initializerConfig("initializer")) {}

Shape PositionEmbedding::outputShape(const std::vector<Shape>& inputs) const {
    const Shape& in = inputs.at(0);
    requireRank(in, 3, kSequenceShape);
    if (!in.isKnown(2)) throw ShapeError("needs a known number of features, got " + in.toString());
    if (in.isKnown(1) && in[1] > sequenceLength)
        throw ShapeError("has " + std::to_string(in[1]) + " steps, more than sequence_length " + std::to_string(sequenceLength) +
                         ": " + in.toString());
    return in;
}

std::vector<VariableSpec> PositionEmbedding::variableSpecs(const std::vector<Shape>& inputs) const {
    const int64_t d = inputs.at(0)[2];
    return {{"embeddings", Shape{sequenceLength, d}, true, init_, sequenceLength, d}};
}

LayerOutput PositionEmbedding::call(CallContext& ctx, const std::vector<ir::ValueId>& in) const {
    ir::Graph& g = ctx.graph();
    const Shape s = g.shape(in.at(0));
    ir::ValueId table = ctx.variable(*this, "embeddings");
    if (s[1] < sequenceLength) table = g.slice(table, 0, 0, s[1]);
    return {g.broadcastTo(g.reshape(table, Shape{1, s[1], s[2]}), s)};
}

void registerAttentionLayers(std::vector<LayerTypeInfo>& out) {
    out.push_back({"MultiHeadAttention", "Attention",
                   "Scaled dot-product attention of the query over the value (and key; the value when not given) with "
                   "num_heads heads; use_causal_mask is a config key here (a call argument in Keras)",
                   {{"num_heads", 2},
                    {"key_dim", 16},
                    {"value_dim", nullptr},
                    {"dropout", 0.0},
                    {"use_bias", true},
                    {"output_shape", nullptr},
                    {"attention_axes", nullptr},
                    {"kernel_initializer", "glorot_uniform"},
                    {"bias_initializer", "zeros"},
                    {"use_causal_mask", false},
                    {"seed", nullptr}},
                   2, 3, {}, makeLayer<MultiHeadAttention>});
    out.push_back({"Dot", "Attention",
                   "Dot product of two samples along axes (an integer or [ax, ay]); normalize: of their L2-normalized "
                   "values (cosine similarity)",
                   {{"axes", -1}, {"normalize", false}}, 2, 2, {}, makeLayer<Dot>});
    out.push_back({"RepeatVector", "Attention", "Repeats each (batch, features) sample n times: (batch, n, features)",
                   {{"n", 2}}, 1, 1, {}, makeLayer<RepeatVector>});
    out.push_back({"PositionEmbedding", "Attention",
                   "A learned position embedding (sequence_length, features); outputs its first steps rows for each "
                   "sample, to Add to the input. A Strata addition following Keras-NLP's PositionEmbedding",
                   {{"sequence_length", 128}, {"initializer", "glorot_uniform"}}, 1, 1, {}, makeLayer<PositionEmbedding>});
}

} // namespace strata::layers
