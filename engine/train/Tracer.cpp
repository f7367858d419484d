#include "engine/train/Tracer.h"

#include "engine/Error.h"
#include "engine/Initializers.h"
#include "engine/ir/Composite.h"
#include "engine/ir/Optimizers.h"
#include "engine/ir/ScopeGuard.h"
#include "engine/layers/Block.h"
#include "engine/layers/ConvolutionLayers.h"
#include "engine/layers/CoreLayers.h"
#include "engine/layers/MergeLayers.h"
#include "engine/layers/NormalizationLayers.h"
#include "engine/layers/ShapeLayers.h"

namespace strata::train {

bool Signature::operator<(const Signature& o) const {
    if (training != o.training) return training < o.training;
    if (inputs.size() != o.inputs.size()) return inputs.size() < o.inputs.size();
    for (std::size_t i = 0; i < inputs.size(); ++i)
        if (inputs[i].dims() != o.inputs[i].dims()) return inputs[i].dims() < o.inputs[i].dims();
    return false;
}

std::string Signature::toString() const {
    std::string s = "[";
    for (std::size_t i = 0; i < inputs.size(); ++i) s += (i ? ", " : "") + inputs[i].toString();
    return s + "]" + (training ? " training" : " inference");
}

namespace {

using ir::ValueId;

struct Traced {
    ValueId value = ir::kNoValue;
    ValueId preActivation = ir::kNoValue; // before the layer's own activation
    std::string activation = "linear";
};

class GraphTracer {
public:
    GraphTracer(ir::Graph& g, bool training, uint64_t seed) : g_(g), training_(training), seed_(seed) {}

    ValueId variable(const Layer& layer, const std::string& name) {
        Variable* v = layer.findVariable(name);
        if (!v) throw StrataError("layer '" + layer.name() + "' has no variable '" + name + "' (is it built?)");
        return g_.variable(v->path(), v->shape(), v->dtype());
    }
    ValueId maybeVariable(const Layer& layer, const std::string& name) {
        Variable* v = layer.findVariable(name);
        return v ? g_.variable(v->path(), v->shape(), v->dtype()) : ir::kNoValue;
    }
    Traced activate(ValueId x, const std::string& act) {
        return {act == "linear" ? x : ir::activation(g_, act, x), x, act};
    }

    Traced layer(const Layer& l, const std::vector<ValueId>& in) {
        using namespace layers;
        if (auto* d = dynamic_cast<const Dense*>(&l)) {
            ValueId y = ir::dense(g_, in[0], variable(l, "kernel"), d->useBias ? variable(l, "bias") : ir::kNoValue);
            return activate(y, d->activation);
        }
        if (auto* c = dynamic_cast<const ConvolutionLayer*>(&l)) {
            ir::Conv2DParams p;
            p.strideH = c->strides[0], p.strideW = c->strides[1];
            p.dilationH = c->dilation[0], p.dilationW = c->dilation[1];
            p.padding = ir::parsePadding(c->padding);
            // A transposed convolution is the input gradient of the Conv2D that maps its output
            // back onto its input.
            ValueId y = dynamic_cast<const Conv2DTranspose*>(&l)
                            ? g_.conv2dBackpropInput(in[0], variable(l, "kernel"), l.outputShape({g_.shape(in[0])}), p)
                            : g_.conv2d(in[0], variable(l, "kernel"), p);
            if (c->useBias) y = g_.add(y, variable(l, "bias"));
            return activate(y, c->activation);
        }
        if (auto* p = dynamic_cast<const Pooling2D*>(&l)) {
            ir::Pool2DParams pp;
            pp.poolH = p->poolSize[0], pp.poolW = p->poolSize[1];
            pp.strideH = p->strides[0], pp.strideW = p->strides[1];
            pp.padding = ir::parsePadding(p->padding);
            return {p->isMax() ? g_.maxPool2d(in[0], pp) : g_.avgPool2d(in[0], pp)};
        }
        if (auto* gap = dynamic_cast<const GlobalAveragePooling2D*>(&l)) return {g_.reduceMean(in[0], {1, 2}, gap->keepDims)};
        if (dynamic_cast<const Flatten*>(&l) || dynamic_cast<const Reshape*>(&l)) {
            Shape out = l.outputShape({g_.shape(in[0])});
            return {g_.reshape(in[0], out)};
        }
        if (auto* d = dynamic_cast<const Dropout*>(&l)) {
            if (!training_ || d->rate == 0.0) return {in[0]};
            ValueId step = g_.variable(ir::kIterationsPath, Shape{}, DType::I32);
            const uint64_t seed = d->seed >= 0 ? uint64_t(d->seed) : hashString(l.path(), seed_);
            return {g_.dropout(in[0], step, d->rate, seed)};
        }
        if (auto* n = dynamic_cast<const Normalization*>(&l)) {
            const std::size_t axis = n->axisFor(g_.shape(in[0]).rank());
            if (axis != g_.shape(in[0]).rank() - 1)
                throw StrataError("layer '" + l.name() + "': normalizing over an axis other than the last is not supported yet");
            ValueId gamma = maybeVariable(l, "gamma"), beta = maybeVariable(l, "beta");
            if (!n->isBatchNorm()) return {ir::layerNorm(g_, in[0], gamma, beta, n->epsilon)};
            if (!training_)
                return {ir::batchNormInference(g_, in[0], gamma, beta, variable(l, "moving_mean"),
                                               variable(l, "moving_variance"), n->epsilon)};
            ir::BatchNormOutputs bn = ir::batchNormTraining(g_, in[0], gamma, beta, n->epsilon);
            ir::updateMovingAverage(g_, l.findVariable("moving_mean")->path(), bn.mean, n->momentum);
            ir::updateMovingAverage(g_, l.findVariable("moving_variance")->path(), bn.variance, n->momentum);
            return {bn.y};
        }
        if (auto* a = dynamic_cast<const Activation*>(&l)) return activate(in[0], a->activation);
        if (auto* lr = dynamic_cast<const LeakyReLU*>(&l)) return {g_.leakyRelu(in[0], lr->alpha)};
        if (auto* zp = dynamic_cast<const ZeroPadding2D*>(&l)) { // zeros concatenated around: rows, then columns
            ValueId y = in[0];
            auto zerosLike = [&](ValueId v, std::size_t axis, int64_t n) {
                std::vector<int64_t> d = g_.shape(v).dims();
                d[axis] = n;
                return g_.constant(Tensor(Shape(std::move(d))));
            };
            for (std::size_t axis : {std::size_t(1), std::size_t(2)}) {
                const int64_t before = axis == 1 ? zp->top : zp->left, after = axis == 1 ? zp->bottom : zp->right;
                std::vector<ValueId> parts;
                if (before > 0) parts.push_back(zerosLike(y, axis, before));
                parts.push_back(y);
                if (after > 0) parts.push_back(zerosLike(y, axis, after));
                if (parts.size() > 1) y = g_.concat(parts, int64_t(axis));
            }
            return {y};
        }
        if (auto* m = dynamic_cast<const ElementwiseMerge*>(&l)) {
            ValueId y = in[0];
            for (std::size_t i = 1; i < in.size(); ++i) y = m->isAdd() ? g_.add(y, in[i]) : g_.mul(y, in[i]);
            return {y};
        }
        if (auto* c = dynamic_cast<const Concatenate*>(&l)) return {g_.concat(in, int64_t(c->axisFor(g_.shape(in[0]).rank())))};
        if (auto* b = dynamic_cast<const Block*>(&l)) return block(*b, in);
        throw StrataError("layer '" + l.name() + "' of type " + l.type() + " cannot be traced");
    }

    // Traces a graph of layers (a model's or a block's) given its inputs' values.
    std::vector<Traced> graph(const std::vector<Layer*>& layers, const std::vector<int>& order,
                              const std::function<const std::vector<int>&(int)>& inbound,
                              const std::vector<int>& inputIndices, const std::vector<ValueId>& inputValues) {
        std::vector<Traced> out(layers.size());
        for (std::size_t k = 0; k < inputIndices.size(); ++k) out[inputIndices[k]] = {inputValues[k]};
        for (int i : order) {
            if (layers[i]->type() == "Input") continue;
            std::vector<ValueId> in;
            for (int j : inbound(i)) in.push_back(out[j].value);
            try {
                ir::ScopeGuard scope(g_, layers[i]->path());
                out[i] = layer(*layers[i], in);
            } catch (const StrataError& e) {
                const std::string msg = e.what();
                if (msg.rfind("layer '", 0) == 0) throw;
                throw StrataError("layer '" + layers[i]->name() + "': " + msg);
            }
        }
        return out;
    }

    Traced block(const layers::Block& b, const std::vector<ValueId>& in) {
        std::vector<Shape> shapes;
        for (ValueId v : in) shapes.push_back(g_.shape(v));
        const InferenceResult& r = b.innerInference(shapes);
        const ModelSpec& spec = b.innerSpec();
        std::vector<int> inputIdx;
        for (const auto& n : spec.inputs) inputIdx.push_back(spec.indexOf(n));
        auto inner = graph(b.innerLayers(), r.order, [&](int i) -> const std::vector<int>& { return r.layers[i].inbound; },
                           inputIdx, in);
        return inner[spec.indexOf(spec.outputs[0])];
    }

private:
    ir::Graph& g_;
    bool training_;
    uint64_t seed_;
};

} // namespace

TracedModel traceModel(const Model& model, const Signature& sig, uint64_t seed) {
    if (!model.built()) throw StrataError("model '" + model.name() + "' must be built before it is traced");
    const auto inputs = model.inputIndices();
    if (sig.inputs.size() != inputs.size())
        throw ShapeError("model '" + model.name() + "' has " + std::to_string(inputs.size()) + " inputs, got " +
                         std::to_string(sig.inputs.size()) + " input shapes");
    TracedModel t;
    t.signature = sig;
    std::vector<ValueId> inputValues;
    for (std::size_t k = 0; k < inputs.size(); ++k) {
        const int i = inputs[k];
        const Shape& declared = model.outputShape(i);
        if (!sig.inputs[k].isFullyKnown() || !sig.inputs[k].isCompatibleWith(declared))
            throw ShapeError("input '" + model.layers()[i]->name() + "' expects " + declared.toString() + ", got " +
                             sig.inputs[k].toString());
        const auto* in = static_cast<const layers::InputLayer*>(model.layers()[i]);
        t.inputNames.push_back(model.layers()[i]->name());
        ir::ScopeGuard scope(t.graph, model.layers()[i]->path());
        inputValues.push_back(t.graph.placeholder(t.inputNames.back(), sig.inputs[k], in->dtype()));
    }
    GraphTracer tracer(t.graph, sig.training, seed);
    auto values = tracer.graph(model.layers(), model.order(), [&](int i) -> const std::vector<int>& { return model.inbound(i); },
                               inputs, inputValues);
    for (int o : model.outputIndices()) {
        t.outputs.push_back(values[o].value);
        t.logits.push_back(values[o].preActivation == ir::kNoValue ? values[o].value : values[o].preActivation);
        t.outputActivations.push_back(values[o].preActivation == ir::kNoValue ? "linear" : values[o].activation);
    }
    return t;
}

const TracedModel& TraceCache::get(const Signature& sig) {
    auto it = traces_.find(sig);
    if (it == traces_.end())
        it = traces_.emplace(sig, std::make_unique<TracedModel>(traceModel(model_, sig, seed_))).first;
    return *it->second;
}

} // namespace strata::train
