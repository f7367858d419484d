#include "storage/onnx/OnnxGraphImport.h"
#include "storage/onnx/OnnxImportAttention.h"
#include "storage/onnx/OnnxImportPatterns.h"

#include "engine/LayerRegistry.h"
#include "storage/StorageError.h"
#include "storage/VariableSource.h"

#include <algorithm>
#include <cctype>
#include <utility>

namespace strata::storage {

using nlohmann::json;

Tensor importedTensor(const std::vector<int64_t>& dims, const std::vector<float>& values) {
    return Tensor::fromVector(Shape(dims), values);
}

Tensor kernelOihwToHwio(const std::vector<int64_t>& d, const std::vector<float>& v) {
    const int64_t o = d.at(0), in = d.at(1), h = d.at(2), w = d.at(3);
    std::vector<float> out(v.size());
    for (int64_t a = 0; a < o; ++a)
        for (int64_t b = 0; b < in; ++b)
            for (int64_t y = 0; y < h; ++y)
                for (int64_t x = 0; x < w; ++x)
                    out[std::size_t(((y * w + x) * in + b) * o + a)] = v[std::size_t(((a * in + b) * h + y) * w + x)];
    return importedTensor({h, w, in, o}, out);
}

namespace {

// The layer a node name speaks of: "/fc1/Gemm" (PyTorch) -> "fc1", "dense_1/gemm" (Strata) -> "dense_1".
std::string layerPart(const std::string& nodeName) {
    std::vector<std::string> parts;
    std::string part;
    for (char c : nodeName + "/") {
        if (c != '/') part += c;
        else if (!part.empty()) parts.push_back(std::exchange(part, {}));
    }
    if (parts.empty()) return nodeName;
    return parts.size() >= 2 ? parts[parts.size() - 2] : parts[0];
}

// A layer name made of letters, digits and underscores ("/conv1/Conv" -> "conv1_Conv").
std::string layerNameFrom(const std::string& s) {
    std::string out;
    for (char c : s) {
        const bool ok = std::isalnum(static_cast<unsigned char>(c)) || c == '_';
        if (ok) out += c;
        else if (!out.empty() && out.back() != '_') out += '_';
    }
    while (!out.empty() && out.back() == '_') out.pop_back();
    if (!out.empty() && std::isdigit(static_cast<unsigned char>(out[0]))) out = "t_" + out;
    return out;
}

} // namespace

void OnnxGraphImport::fail(const OnnxNode& n, const std::string& why) const {
    throw StorageError(source_ + ": " + n.label() + ": " + why);
}

const OnnxTensor* OnnxGraphImport::constant(const std::string& name) const {
    const auto it = consts_.find(name);
    return it == consts_.end() ? nullptr : it->second;
}

const OnnxGraphImport::Value& OnnxGraphImport::input(const OnnxNode& n, std::size_t k) const {
    if (k >= n.inputs.size() || n.inputs[k].empty()) fail(n, "input " + std::to_string(k + 1) + " is missing");
    const auto it = values_.find(n.inputs[k]);
    if (it != values_.end()) return it->second;
    if (constant(n.inputs[k])) fail(n, "input '" + n.inputs[k] + "' is a constant where a computed tensor is supported only");
    fail(n, "input '" + n.inputs[k] + "' is made by no earlier node and is no graph input (are the nodes out of order?)");
}

const OnnxTensor& OnnxGraphImport::requireConstant(const OnnxNode& n, std::size_t k, const std::string& what) const {
    if (k >= n.inputs.size() || n.inputs[k].empty()) fail(n, "the " + what + " (input " + std::to_string(k + 1) + ") is missing");
    const OnnxTensor* t = constant(n.inputs[k]);
    if (!t) fail(n, "the " + what + " '" + n.inputs[k] + "' is computed in the graph; only constants (initializers) are supported");
    if (!t->isFloat() && what != "shape") fail(n, "the " + what + " '" + n.inputs[k] + "' is not a float tensor");
    return *t;
}

int OnnxGraphImport::addLayer(const OnnxNode& n, const std::string& type, json config, std::vector<int> inbound, Layout layout,
                              std::vector<int64_t> shape) {
    PendingLayer l;
    l.type = type;
    l.config = std::move(config);
    l.inbound = std::move(inbound);
    l.nameHint = n.name.empty() ? n.outputs.at(0) : n.name;
    l.outputTensor = n.outputs.at(0);
    layers_.push_back(std::move(l));
    Value v{int(layers_.size()) - 1, layout, std::move(shape), {}, {}};
    if (layout == Layout::Permuted) v.perm = input(n, 0).perm; // an elementwise layer keeps its input's order
    values_[n.outputs.at(0)] = std::move(v);
    return int(layers_.size()) - 1;
}

bool OnnxGraphImport::fusable(const std::string& tensor, bool needNoBias) const {
    const auto it = values_.find(tensor);
    if (it == values_.end() || it->second.layer < 0) return false;
    const PendingLayer& l = layers_[std::size_t(it->second.layer)];
    if (l.type != "Dense" && l.type != "Conv2D" && l.type != "Conv2DTranspose" && l.type != "DepthwiseConv2D" &&
        l.type != "Conv1D")
        return false;
    if (l.outputTensor != tensor || graphOutputs_.count(tensor)) return false;
    if (l.config.value("activation", std::string("linear")) != "linear") return false;
    if (needNoBias && l.config.value("use_bias", true)) return false;
    const auto u = uses_.find(tensor);
    return u != uses_.end() && u->second == 1;
}

void OnnxGraphImport::declareInputs() {
    std::set<std::string> initializers;
    for (const auto& t : m_.graph.initializers) initializers.insert(t.name);
    for (const OnnxValueInfo& in : m_.graph.inputs) {
        if (initializers.count(in.name)) continue; // an old-style graph input with a default: a constant
        const std::string where = source_ + ": graph input '" + in.name + "'";
        const bool ids = in.elemType == kOnnxInt64 || in.elemType == kOnnxInt32; // token ids (an Embedding reads them)
        if (in.elemType != 1 && !ids)
            throw StorageError(where + " has element type " + std::to_string(in.elemType) + "; only float32, int64 and int32 inputs are supported");
        if (!in.hasShape || in.dims.size() < 2) throw StorageError(where + " needs a known rank of at least 2 (batch first)");
        std::vector<int64_t> shape;
        for (const OnnxDim& d : in.dims) shape.push_back(d.value >= 0 ? d.value : -1);
        Layout layout = Layout::Same;
        if (shape.size() == 4 && inputLayout_ == "nchw") layout = Layout::ChannelsFirst;
        if (shape.size() == 4 && inputLayout_.empty()) { // NCHW (PyTorch) unless it is first transposed to NCHW (NHWC, as TF exports)
            layout = Layout::ChannelsFirst;
            for (const OnnxNode& n : m_.graph.nodes)
                if (n.opType == "Transpose" && !n.inputs.empty() && n.inputs[0] == in.name && n.intsAttr("perm") == std::vector<int64_t>{0, 3, 1, 2})
                    layout = Layout::Same;
        }
        json dims = json::array();
        auto dim = [&](int64_t v) { dims.push_back(v < 0 ? json(nullptr) : json(v)); };
        if (layout == Layout::ChannelsFirst) {
            dim(shape[2]), dim(shape[3]), dim(shape[1]);
            notes_.push_back("input '" + in.name + "' is NCHW in the ONNX file; the Strata model takes it as NHWC " + dims.dump());
        } else {
            for (std::size_t k = 1; k < shape.size(); ++k) dim(shape[k]);
        }
        PendingLayer l;
        l.type = "Input";
        l.config = {{"shape", dims}};
        if (ids) {
            l.config["dtype"] = "int32";
            if (in.elemType == kOnnxInt64) notes_.push_back("input '" + in.name + "' holds int64 ids in the ONNX file; the Strata model reads them as int32");
        }
        l.nameHint = in.name;
        l.outputTensor = in.name;
        layers_.push_back(std::move(l));
        inputLayers_.push_back(int(layers_.size()) - 1);
        values_[in.name] = Value{int(layers_.size()) - 1, layout, shape, {}, {}};
    }
    if (inputLayers_.empty()) throw StorageError(source_ + ": the graph has no inputs besides its initializers");
}

void OnnxGraphImport::translate(const OnnxNode& n) {
    if (!n.domain.empty() && n.domain != "ai.onnx") fail(n, "operators of domain '" + n.domain + "' are not supported");
    if (n.outputs.empty() || n.outputs[0].empty()) fail(n, "the node has no output");
    if (handled_.count(n.outputs[0])) return;
    const auto& table = importTable();
    const auto row = std::find_if(table.begin(), table.end(), [&](const OpRow& r) { return r.op == n.opType; });
    if ((row == table.end() || !row->ownOutputs) && n.outputs.size() > 1)
        for (std::size_t k = 1; k < n.outputs.size(); ++k)
            if (!n.outputs[k].empty() && uses_.count(n.outputs[k])) fail(n, "its output " + std::to_string(k + 1) + " is used; only the first is supported");
    if (row == table.end()) unsupportedOp(n);
    row->handle(*this, n);
}

void OnnxGraphImport::unsupportedOp(const OnnxNode& n) const {
    std::string ops;
    for (const OpRow& r : importTable()) ops += (ops.empty() ? "" : ", ") + r.op;
    fail(n, "the operator " + n.opType + " has no Strata layer (supported: " + ops + ")");
}

void OnnxGraphImport::constantNode(const OnnxNode& n) {
    OnnxTensor t;
    if (const OnnxAttribute* a = n.attr("value")) t = a->t;
    else if (const OnnxAttribute* f = n.attr("value_float")) t.dataType = 1, t.floats = {f->f};
    else if (const OnnxAttribute* fs = n.attr("value_floats")) t.dataType = 1, t.dims = {int64_t(fs->floats.size())}, t.floats = fs->floats;
    else if (const OnnxAttribute* i = n.attr("value_int")) t.dataType = 7, t.ints = {i->i};
    else if (const OnnxAttribute* is = n.attr("value_ints")) t.dataType = 7, t.dims = {int64_t(is->ints.size())}, t.ints = is->ints;
    else fail(n, "only value, value_float(s) and value_int(s) constants are supported");
    t.name = n.outputs[0];
    consts_[n.outputs[0]] = &(nodeConsts_[n.outputs[0]] = std::move(t));
}

void OnnxGraphImport::passThrough(const OnnxNode& n) {
    if (n.opType == "Dropout" && n.outputs.size() > 1 && uses_.count(n.outputs[1])) fail(n, "its mask output is used");
    if (const OnnxTensor* c = constant(n.inputs.empty() ? std::string() : n.inputs[0])) return void(consts_[n.outputs[0]] = c);
    const Value& in = input(n, 0);
    if (!graphOutputs_.count(n.outputs[0]) || layers_[std::size_t(in.layer)].type != "Input") return alias(n, in);
    // A graph input passed straight to a graph output: a model needs one layer, so the node stays,
    // as a Dropout (of the node's ratio; 0 for an Identity), the identity at inference.
    double rate = 0;
    if (n.opType == "Dropout") {
        rate = n.floatAttr("ratio", 0.5f); // before opset 12
        if (n.inputs.size() > 1 && !n.inputs[1].empty()) {
            const OnnxTensor& r = requireConstant(n, 1, "ratio");
            if (r.floats.size() != 1) fail(n, "its ratio is not one number");
            rate = r.floats[0];
        }
        if (!(rate >= 0 && rate < 1)) fail(n, "its ratio " + std::to_string(rate) + " is not in [0, 1)");
    }
    addLayer(n, "Dropout", {{"rate", rate}}, {in.layer}, in.layout, in.shape);
}

// PyTorch writes a Pad of zeros before an AveragePool; F.pad / nn.ZeroPad2d pad images.
void OnnxGraphImport::pad(const OnnxNode& n) {
    std::vector<int64_t> pads = n.intsAttr("pads");
    if (n.inputs.size() > 1 && !n.inputs[1].empty()) pads = requireConstant(n, 1, "shape").ints;
    if (std::all_of(pads.begin(), pads.end(), [](int64_t p) { return p == 0; })) return alias(n, input(n, 0));
    zeroPadding(n, pads);
}

std::vector<std::string> OnnxGraphImport::layerNames() const {
    std::vector<std::string> names(layers_.size());
    std::set<std::string> taken;
    std::map<std::string, int> nextSuffix; // per base: 20,000 nodes of one name take linear time, not quadratic
    auto unique = [&](std::string base, const std::string& type) {
        if (base.empty()) base = defaultLayerName(type);
        int& k = nextSuffix[base];
        std::string name = k == 0 ? base : base + "_" + std::to_string(k);
        while (taken.count(name)) name = base + "_" + std::to_string(++k);
        ++k;
        taken.insert(name);
        return name;
    };
    for (std::size_t i = 0; i < layers_.size(); ++i) // graph inputs and outputs keep their names
        if (layers_[i].stateOf < 0 && (layers_[i].type == "Input" || graphOutputs_.count(layers_[i].outputTensor)))
            names[i] = unique(layerNameFrom(layers_[i].type == "Input" ? layers_[i].nameHint : layers_[i].outputTensor), layers_[i].type);
    for (std::size_t i = 0; i < layers_.size(); ++i)
        if (names[i].empty() && layers_[i].stateOf < 0) names[i] = unique(layerNameFrom(layerPart(layers_[i].nameHint)), layers_[i].type);
    for (std::size_t i = 0; i < layers_.size(); ++i) // a state is its layer's output K: "NAME:K"
        if (layers_[i].stateOf >= 0) names[i] = outputRefText(names[std::size_t(layers_[i].stateOf)], layers_[i].output);
    return names;
}

ImportedModel OnnxGraphImport::run(const std::string& modelName) {
    for (const OnnxTensor& t : m_.graph.initializers) consts_[t.name] = &t;
    for (const OnnxValueInfo& o : m_.graph.outputs) ++uses_[o.name], graphOutputs_.insert(o.name);
    // Decomposed GELU, SiLU, hard swish, mish and LayerNorm become one node each (OnnxImportPatterns.h).
    // torch's nn.MultiheadAttention becomes one node (OnnxImportAttention.h).
    const auto lookup = [this](const std::string& t) { return constant(t); };
    const std::vector<OnnxNode> nodes = fuseOnnxPatterns(fuseTorchAttention(m_.graph.nodes, lookup, graphOutputs_, source_), lookup, graphOutputs_);
    for (const OnnxNode& n : nodes)
        if (n.opType != "Shape") // reads no values: an activation before it can still be fused
            for (const auto& in : n.inputs) ++uses_[in];
    for (const OnnxNode& n : nodes) // after fusing: the nodes translated
        for (const auto& in : n.inputs) consumers_[in].push_back(&n);
    declareInputs();
    for (const OnnxNode& n : nodes) translate(n);

    if (m_.graph.outputs.empty()) throw StorageError(source_ + ": the graph has no outputs");
    std::vector<int> outputLayers;
    for (const OnnxValueInfo& o : m_.graph.outputs) {
        const std::string where = source_ + ": graph output '" + o.name + "'";
        const auto it = values_.find(o.name);
        if (it == values_.end()) throw StorageError(where + (constant(o.name) ? " is a constant" : " is made by no node"));
        Value v = it->second;
        if (v.layout == Layout::Permuted) { // in ONNX order, as the file's users read it
            OnnxNode last;
            last.name = o.name;
            last.outputs = {o.name};
            last.inputs = {o.name};
            v = materialize(last, v);
            layers_[std::size_t(v.layer)].outputTensor = o.name;
        }
        PendingLayer& l = layers_[std::size_t(v.layer)];
        if (l.type == "Input") throw StorageError(where + " is a graph input passed through unchanged");
        if (l.stateOf >= 0) throw StorageError(where + " is a recurrent layer's final state; a model output is a layer's first output");
        if (v.layout == Layout::FlatChw)
            throw StorageError(where + " is a flattened NCHW tensor; Strata flattens NHWC, so its order would differ");
        if (v.layout == Layout::ChannelsFirst) notes_.push_back("output '" + o.name + "' is NCHW in the ONNX file and NHWC in the Strata model");
        if (l.outputTensor != o.name && graphOutputs_.count(l.outputTensor))
            throw StorageError(where + " is the same tensor as output '" + l.outputTensor + "'");
        l.outputTensor = o.name;
        outputLayers.push_back(v.layer);
    }

    const std::vector<std::string> names = layerNames();
    ImportedModel out;
    out.spec.name = modelName;
    for (int i : inputLayers_) out.spec.inputs.push_back(names[std::size_t(i)]);
    for (int o : outputLayers) out.spec.outputs.push_back(names[std::size_t(o)]);
    for (std::size_t i = 0; i < layers_.size(); ++i) {
        const PendingLayer& p = layers_[i];
        if (p.stateOf >= 0) continue; // consumers name it "NAME:K"
        LayerSpec l;
        l.name = names[i];
        l.type = p.type;
        l.config = p.config;
        for (int j : p.inbound) l.inbound.push_back(names[std::size_t(j)]);
        l.inboundGiven = p.type != "Input";
        out.spec.layers.push_back(std::move(l));
        for (const auto& [var, value] : p.weights) out.variables["model/" + names[i] + "/" + var + kValueSuffix] = value;
    }
    out.notes = notes_;
    return out;
}

} // namespace strata::storage
