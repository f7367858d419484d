#include "storage/onnx/OnnxLowering.h"

#include "engine/Masks.h"
#include "engine/layers/Block.h"
#include "engine/layers/ConvolutionLayers.h"
#include "engine/layers/CoreLayers.h"
#include "engine/layers/MergeLayers.h"
#include "engine/layers/NormalizationLayers.h"
#include "engine/layers/ShapeLayers.h"
#include "storage/StorageError.h"

#include <cmath>
#include <numbers>

namespace strata::storage {

namespace {

// Images (N, H, W, C) <-> (N, C, H, W); sequences (N, W, C) <-> (N, C, W), the same swap both ways.
const std::vector<int64_t> kToNchw = {0, 3, 1, 2}, kToNhwc = {0, 2, 3, 1}, kSwapSequence = {0, 2, 1};

} // namespace

void OnnxLowering::lowerModel(const Model& model) {
    if (!model.built()) throw StorageError("model '" + model.spec().name + "' must be built before it is exported to ONNX");
    // Masks (Embedding mask_zero) are not lowered: refuse a model whose masks change a layer's output.
    if (const auto effects = masks::maskEffects(model); !effects.empty())
        throw StorageError(effects.front() + " (a mask from an Embedding with mask_zero); the ONNX export does not carry "
                           "masks: set mask_zero false, or drop the mask before that layer");
    const auto& layers = model.layers();
    const std::vector<int> inputs = model.inputIndices(), outputs = model.outputIndices();
    std::vector<std::string> exact(layers.size());
    for (int i : inputs) g_.reserve(layers[i]->name());
    for (int o : outputs)
        if (layers[o]->type() != "Input") g_.reserve(exact[o] = layers[o]->name());

    std::vector<std::pair<int, int>> bound;
    for (int i : inputs) {
        const auto* in = dynamic_cast<const layers::InputLayer*>(layers[i]);
        const std::string name = g_.claim(layers[i]->name());
        const Shape& s = model.outputShape(i);
        std::vector<OnnxDim> dims;
        for (std::size_t d = 0; d < s.rank(); ++d)
            dims.push_back(d == 0 ? OnnxDim{-1, "batch"} : s.isKnown(d) ? OnnxDim{s[d], {}} : OnnxDim{-1, name + "_dim" + std::to_string(d)});
        const bool isInt = in && in->dtype() == DType::I32;
        g_.input(name, isInt ? kOnnxInt32 : kOnnxFloat, dims);
        Value v{name, {}, s, name, {}};
        if (isInt) { // the engine computes in float32 from here on
            v.nhwc = g_.fresh(name + "/float");
            g_.node("Cast", {name}, v.nhwc, {OnnxAttr::integer("to", kOnnxFloat)});
        }
        values_.push_back(std::move(v));
        bound.push_back({i, int(values_.size()) - 1});
    }

    const auto ids = lowerLayers(
        layers, model.order(), [&](int i) -> const std::vector<int>& { return model.inbound(i); },
        [&](int i) -> const std::vector<int>& { return model.inboundOutput(i); },
        [&](int i) -> const Shape& { return model.outputShape(i); }, bound, "", exact);

    for (int o : outputs) {
        const std::string& name = layers[o]->name();
        if (layers[o]->type() != "Input") {
            const int v = ids[std::size_t(o)];
            const std::string tensor = nhwc(v); // claims `name` when this value is the output layer's own
            if (tensor != name) g_.node("Identity", {tensor}, g_.claim(name));
        }
        const Shape& s = model.outputShape(o);
        std::vector<OnnxDim> dims;
        for (std::size_t d = 0; d < s.rank(); ++d) dims.push_back(d == 0 ? OnnxDim{-1, "batch"} : OnnxDim{s[d], {}});
        g_.output(name, kOnnxFloat, dims);
    }
}

std::vector<int> OnnxLowering::lowerLayers(const std::vector<Layer*>& layers, const std::vector<int>& order,
                                           const Inbound& inbound, const Inbound& inboundOutputs, const ShapeOf& shapeOf,
                                           const std::vector<std::pair<int, int>>& inputValues, const std::string& prefix,
                                           const std::vector<std::string>& exactNames) {
    std::vector<int> ids(layers.size(), -1);
    std::vector<std::vector<int>> extraIds(layers.size());
    for (auto [layer, value] : inputValues) ids[std::size_t(layer)] = value;
    for (int i : order) {
        const Layer& l = *layers[std::size_t(i)];
        const Site site{prefix + l.name(), exactNames.empty() ? std::string() : exactNames[std::size_t(i)]};
        if (ids[std::size_t(i)] >= 0) continue; // an Input bound to a graph (or block) input
        std::vector<int> in;
        const std::vector<int>& from = inbound(i);
        const std::vector<int>& outputs = inboundOutputs(i);
        for (std::size_t a = 0; a < from.size(); ++a) {
            const int j = from[a], k = a < outputs.size() ? outputs[a] : 0;
            if (j < 0 || ids[std::size_t(j)] < 0) throw onnxLayerError(site.base, l.type(), "an inbound layer is not available");
            if (k > 0 && std::size_t(k) > extraIds[std::size_t(j)].size())
                throw onnxLayerError(site.base, l.type(), "output " + std::to_string(k) + " of layer '" + layers[std::size_t(j)]->name() +
                                                               "' has no ONNX form");
            in.push_back(k == 0 ? ids[std::size_t(j)] : extraIds[std::size_t(j)][std::size_t(k - 1)]);
        }
        try {
            layerStart_ = g_.nodeCount();
            extra_.clear();
            ids[std::size_t(i)] = lowerLayer(l, in, shapeOf(i), site);
            extraIds[std::size_t(i)] = std::move(extra_);
            extra_.clear();
        } catch (const StrataError& e) {
            if (std::string(e.what()).rfind("layer '", 0) == 0) throw; // names its (inner) layer already
            throw onnxLayerError(site.base, l.type(), e.what());
        }
    }
    return ids;
}

int OnnxLowering::lowerLayer(const Layer& l, const std::vector<int>& in, const Shape& outShape, const Site& site) {
    const auto& table = exportTable();
    const auto row = table.find(l.type());
    if (row == table.end()) throw onnxLayerError(site.base, l.type(), "no ONNX form is known for this layer type");
    if (!row->second.rule) throw onnxLayerError(site.base, l.type(), row->second.notExportable);
    return row->second.rule(*this, l, in, outShape, site);
}

// An Input layer is a graph input, declared by lowerModel (or a block's input, bound to the block's
// inbound value); one that is neither has nothing to read.
int OnnxLowering::input(const Layer& l, const std::vector<int>&, const Shape&, const Site& site) {
    throw onnxLayerError(site.base, l.type(), "an Input layer that is not a model input");
}

// A Block is inlined: its layers are lowered in place, their tensors named "block/layer".
int OnnxLowering::block(const Layer& l, const std::vector<int>& in, const Shape&, const Site& site) {
    const std::string prefix = site.base + "/";
    const auto& b = static_cast<const layers::Block&>(l);
    std::vector<Shape> shapes;
    for (int v : in) shapes.push_back(values_[std::size_t(v)].shape);
    const InferenceResult& r = b.innerInference(shapes);
    const ModelSpec& spec = b.innerSpec();
    std::vector<std::pair<int, int>> bound;
    for (std::size_t k = 0; k < spec.inputs.size() && k < in.size(); ++k) bound.push_back({spec.indexOf(spec.inputs[k]), in[k]});
    const auto ids = lowerLayers(
        b.innerLayers(), r.order, [&](int i) -> const std::vector<int>& { return r.layers[std::size_t(i)].inbound; },
        [&](int i) -> const std::vector<int>& { return r.layers[std::size_t(i)].inboundOutput; },
        [&](int i) -> const Shape& { return *r.layers[std::size_t(i)].outputShape; }, bound, prefix, {});
    return ids[std::size_t(spec.indexOf(spec.outputs.at(0)))];
}

std::string OnnxLowering::nhwc(int id) {
    Value& v = values_[std::size_t(id)];
    if (v.nhwc.empty()) {
        v.nhwc = v.exact.empty() ? g_.fresh(v.base) : g_.claim(v.exact);
        g_.node("Transpose", {v.nchw}, v.nhwc, {OnnxAttr::integers("perm", v.shape.rank() == 3 ? kSwapSequence : kToNhwc)});
    }
    return v.nhwc;
}

std::string OnnxLowering::nchw(int id) {
    Value& v = values_[std::size_t(id)];
    if (v.nchw.empty()) {
        if (v.shape.rank() != 4 && v.shape.rank() != 3)
            throw StorageError("'" + v.base + "' is not a 4D (NHWC) or 3D (NWC) tensor");
        v.nchw = g_.fresh(v.base + "/nchw");
        g_.node("Transpose", {v.nhwc}, v.nchw, {OnnxAttr::integers("perm", v.shape.rank() == 3 ? kSwapSequence : kToNchw)});
    }
    return v.nchw;
}

int OnnxLowering::result(const std::string& tensor, Layout layout, const Shape& shape, const Site& site) {
    Value v{{}, {}, shape, site.base, site.exact};
    std::string name = tensor;
    if (g_.nodeCount() > layerStart_ && g_.lastOutput() == tensor) { // made by this layer: name it after the layer
        name = layout == Layout::Nchw ? g_.fresh(site.base + "/nchw") : site.exact.empty() ? g_.fresh(site.base) : g_.claim(site.exact);
        g_.renameLastOutput(name);
    }
    (layout == Layout::Nchw ? v.nchw : v.nhwc) = name;
    values_.push_back(std::move(v));
    return int(values_.size()) - 1;
}

std::string OnnxLowering::weight(const Layer& l, const std::string& name, const std::vector<int64_t>& perm,
                                 const std::vector<int64_t>& view) {
    const Variable* var = l.findVariable(name);
    if (!var) throw StorageError("has no variable '" + name + "' (is the model built?)");
    if (var->dtype() != DType::F32) throw StorageError("variable '" + name + "' is not float32");
    const Tensor& t = var->value();
    if (perm.empty()) return g_.initializer(var->path(), t.shape().dims(), t.f32());
    // A 4-D transpose (HWIO -> OIHW for convolution kernels): out[i] = in[perm applied]. A 3-D one
    // (Conv1D's (k, in, filters) -> (filters, in, k)) is the 4-D one with a leading axis of 1.
    std::vector<int64_t> d = view.empty() ? t.shape().dims() : view;
    if (Shape(d).numElements() != t.size()) throw StorageError("variable '" + name + "' cannot be read as " + Shape(d).toString());
    std::vector<int64_t> p = perm;
    const bool threeD = perm.size() == 3;
    if (threeD) {
        if (d.size() != 3) throw StorageError("variable '" + name + "' is not 3-D");
        d.insert(d.begin(), 1), p = {0, perm[0] + 1, perm[1] + 1, perm[2] + 1};
    }
    std::vector<int64_t> outDims(4), inStride = {d[1] * d[2] * d[3], d[2] * d[3], d[3], 1};
    for (int k = 0; k < 4; ++k) outDims[k] = d[std::size_t(p[k])];
    std::vector<float> out(std::size_t(t.size()));
    std::size_t at = 0;
    for (int64_t a = 0; a < outDims[0]; ++a)
        for (int64_t b = 0; b < outDims[1]; ++b)
            for (int64_t c = 0; c < outDims[2]; ++c)
                for (int64_t e = 0; e < outDims[3]; ++e)
                    out[at++] = t.f32()[a * inStride[p[0]] + b * inStride[p[1]] + c * inStride[p[2]] + e * inStride[p[3]]];
    if (threeD) outDims.erase(outDims.begin());
    return g_.initializer(var->path(), outDims, out);
}

std::string OnnxLowering::activation(const std::string& name, const std::string& x, Layout layout, const Site& site) {
    if (name.empty() || name == "linear") return x;
    const std::string y = tmp(site, name);
    auto unary = [&](const char* op, std::vector<OnnxAttr> attrs = {}) {
        g_.node(op, {x}, y, std::move(attrs));
        return y;
    };
    const int64_t lastAxis = layout == Layout::Nchw ? 1 : -1; // the channel axis
    if (name == "relu") return unary("Relu");
    if (name == "sigmoid") return unary("Sigmoid");
    if (name == "tanh") return unary("Tanh");
    if (name == "softmax") return unary("Softmax", {OnnxAttr::integer("axis", lastAxis)});
    if (name == "log_softmax") return unary("LogSoftmax", {OnnxAttr::integer("axis", lastAxis)});
    if (name == "elu") return unary("Elu", {OnnxAttr::real("alpha", 1.0f)});
    if (name == "selu") return unary("Selu", {OnnxAttr::real("alpha", 1.67326324f), OnnxAttr::real("gamma", 1.05070098f)});
    if (name == "softplus") return unary("Softplus");
    if (name == "softsign") return unary("Softsign");
    if (name == "leaky_relu") return unary("LeakyRelu", {OnnxAttr::real("alpha", 0.2f)});
    if (name == "exponential") return unary("Exp");
    if (name == "relu6") { // opset 13: the bounds are inputs
        g_.node("Clip", {x, g_.scalar(site.base + "/zero", 0.0f), g_.scalar(site.base + "/six", 6.0f)}, y);
        return y;
    }
    if (name == "swish" || name == "silu") {
        const std::string s = tmp(site, "sigmoid");
        g_.node("Sigmoid", {x}, s);
        g_.node("Mul", {x, s}, y);
        return y;
    }
    if (name == "gelu") { // exact: 0.5 x (1 + erf(x / sqrt 2)); opset 13 has no Gelu
        const std::string scaled = tmp(site, "gelu_scaled"), erf = tmp(site, "gelu_erf"), plus = tmp(site, "gelu_1p"),
                          prod = tmp(site, "gelu_x");
        g_.node("Mul", {x, g_.scalar(site.base + "/inv_sqrt2", float(std::numbers::sqrt2 / 2))}, scaled);
        g_.node("Erf", {scaled}, erf);
        g_.node("Add", {erf, g_.scalar(site.base + "/one", 1.0f)}, plus);
        g_.node("Mul", {x, plus}, prod);
        g_.node("Mul", {prod, g_.scalar(site.base + "/half", 0.5f)}, y);
        return y;
    }
    if (name == "hard_sigmoid") return unary("HardSigmoid", {OnnxAttr::real("alpha", 1.0f / 6.0f), OnnxAttr::real("beta", 0.5f)});
    if (name == "hard_silu" || name == "hard_swish") { // opset 13 has no HardSwish: x * HardSigmoid(x), as torch writes it
        const std::string s = tmp(site, "hard_sigmoid");
        g_.node("HardSigmoid", {x}, s, {OnnxAttr::real("alpha", 1.0f / 6.0f), OnnxAttr::real("beta", 0.5f)});
        g_.node("Mul", {x, s}, y);
        return y;
    }
    if (name == "mish") { // opset 13 has no Mish: x * tanh(softplus(x))
        const std::string sp = tmp(site, "softplus"), t = tmp(site, "tanh");
        g_.node("Softplus", {x}, sp);
        g_.node("Tanh", {sp}, t);
        g_.node("Mul", {x, t}, y);
        return y;
    }
    if (name == "gelu_tanh") { // 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))), in the order torch writes it
        const std::string sq = tmp(site, "gelu_x2"), cube = tmp(site, "gelu_x3"), k = tmp(site, "gelu_kx3"), sum = tmp(site, "gelu_sum"),
                          inner = tmp(site, "gelu_inner"), th = tmp(site, "gelu_tanh"), plus = tmp(site, "gelu_1p"), prod = tmp(site, "gelu_x");
        g_.node("Mul", {x, x}, sq);
        g_.node("Mul", {x, sq}, cube);
        g_.node("Mul", {g_.scalar(site.base + "/kappa", 0.044715f), cube}, k);
        g_.node("Add", {x, k}, sum);
        g_.node("Mul", {g_.scalar(site.base + "/beta", float(std::sqrt(2.0 / std::numbers::pi))), sum}, inner);
        g_.node("Tanh", {inner}, th);
        g_.node("Add", {g_.scalar(site.base + "/one", 1.0f), th}, plus);
        g_.node("Mul", {x, plus}, prod);
        g_.node("Mul", {g_.scalar(site.base + "/half", 0.5f), prod}, y);
        return y;
    }
    throw StorageError("activation '" + name + "' has no ONNX form");
}

} // namespace strata::storage
