#include "storage/onnx/OnnxGraph.h"

#include "storage/onnx/OnnxProto.h"
#include "storage/StorageError.h"

#include <bit>
#include <cstring>

namespace strata::storage {

static_assert(std::endian::native == std::endian::little, "ONNX raw_data is little-endian; tensors are copied as they are");

OnnxAttr OnnxAttr::integer(std::string name, int64_t v) {
    OnnxAttr a;
    a.name = std::move(name);
    a.type = onnx::kAttrTypeInt;
    a.i = v;
    return a;
}

OnnxAttr OnnxAttr::real(std::string name, float v) {
    OnnxAttr a;
    a.name = std::move(name);
    a.type = onnx::kAttrTypeFloat;
    a.f = v;
    return a;
}

OnnxAttr OnnxAttr::text(std::string name, std::string v) {
    OnnxAttr a;
    a.name = std::move(name);
    a.type = onnx::kAttrTypeString;
    a.s = std::move(v);
    return a;
}

OnnxAttr OnnxAttr::integers(std::string name, std::vector<int64_t> v) {
    OnnxAttr a;
    a.name = std::move(name);
    a.type = onnx::kAttrTypeInts;
    a.ints = std::move(v);
    return a;
}

std::string OnnxGraph::fresh(const std::string& base) {
    std::string name = base.empty() ? std::string("t") : base;
    for (int k = 1; used_.count(name) || reserved_.count(name); ++k) name = base + "_" + std::to_string(k);
    used_.insert(name);
    return name;
}

void OnnxGraph::reserve(const std::string& name) {
    if (used_.count(name)) throw StorageError("ONNX tensor name '" + name + "' is already used");
    reserved_.insert(name);
}

std::string OnnxGraph::claim(const std::string& name) {
    if (!reserved_.count(name) || used_.count(name))
        throw StorageError("ONNX tensor name '" + name + "' is not reserved or is already used");
    used_.insert(name);
    return name;
}

void OnnxGraph::node(const std::string& opType, const std::vector<std::string>& inputs, const std::string& output,
                     std::vector<OnnxAttr> attrs) {
    nodes_.push_back({opType, inputs, output, std::move(attrs)});
}

const std::string& OnnxGraph::lastOutput() const {
    static const std::string none;
    return nodes_.empty() ? none : nodes_.back().output;
}

void OnnxGraph::renameLastOutput(const std::string& name) { nodes_.back().output = name; }

std::string OnnxGraph::initializer(const std::string& base, const std::vector<int64_t>& dims, const float* values) {
    int64_t n = 1;
    for (int64_t d : dims) n *= d;
    Init init{fresh(base), onnx::kFloat, dims, std::string(std::size_t(n) * sizeof(float), '\0')};
    if (n) std::memcpy(init.raw.data(), values, init.raw.size());
    inits_.push_back(std::move(init));
    return inits_.back().name;
}

std::string OnnxGraph::initializer(const std::string& base, const std::vector<int64_t>& dims, const std::vector<float>& values) {
    int64_t n = 1;
    for (int64_t d : dims) n *= d;
    if (n != int64_t(values.size())) throw StorageError("ONNX initializer '" + base + "': value count does not match its shape");
    return initializer(base, dims, values.data());
}

std::string OnnxGraph::int64Initializer(const std::string& base, const std::vector<int64_t>& values) {
    Init init{fresh(base), onnx::kInt64, {int64_t(values.size())}, std::string(values.size() * sizeof(int64_t), '\0')};
    if (!values.empty()) std::memcpy(init.raw.data(), values.data(), init.raw.size());
    inits_.push_back(std::move(init));
    return inits_.back().name;
}

std::string OnnxGraph::scalar(const std::string& base, float value) { return initializer(base, {}, &value); }

void OnnxGraph::input(const std::string& name, int elemType, const std::vector<OnnxDim>& dims) {
    inputs_.push_back({name, elemType, dims});
}

void OnnxGraph::output(const std::string& name, int elemType, const std::vector<OnnxDim>& dims) {
    outputs_.push_back({name, elemType, dims});
}

namespace {

ProtoWriter valueInfo(const std::string& name, int elemType, const std::vector<OnnxDim>& dims) {
    ProtoWriter shape;
    for (const OnnxDim& d : dims) {
        ProtoWriter dim;
        if (!d.param.empty()) dim.string(onnx::kDimParam, d.param);
        else if (d.value >= 0) dim.int64(onnx::kDimValue, d.value);
        shape.message(onnx::kShapeDim, dim);
    }
    ProtoWriter tensorType;
    tensorType.int64(onnx::kTensorTypeElemType, elemType);
    tensorType.message(onnx::kTensorTypeShape, shape);
    ProtoWriter type;
    type.message(onnx::kTypeTensorType, tensorType);
    ProtoWriter info;
    info.string(onnx::kValueInfoName, name);
    info.message(onnx::kValueInfoType, type);
    return info;
}

ProtoWriter attribute(const OnnxAttr& a) {
    ProtoWriter w;
    w.string(onnx::kAttrName, a.name);
    switch (a.type) {
    case onnx::kAttrTypeInt: w.int64(onnx::kAttrI, a.i); break;
    case onnx::kAttrTypeFloat: w.float32(onnx::kAttrF, a.f); break;
    case onnx::kAttrTypeString: w.string(onnx::kAttrS, a.s); break;
    case onnx::kAttrTypeInts: w.int64s(onnx::kAttrInts, a.ints); break;
    default: throw StorageError("ONNX attribute '" + a.name + "' has an unsupported type");
    }
    w.int64(onnx::kAttrType, a.type);
    return w;
}

} // namespace

std::string OnnxGraph::modelBytes(const OnnxModelInfo& info) const {
    ProtoWriter graph;
    for (const Node& n : nodes_) {
        ProtoWriter node;
        for (const auto& in : n.inputs) node.string(onnx::kNodeInput, in);
        node.string(onnx::kNodeOutput, n.output);
        node.string(onnx::kNodeName, n.output);
        node.string(onnx::kNodeOpType, n.op);
        for (const auto& a : n.attrs) node.message(onnx::kNodeAttribute, attribute(a));
        graph.message(onnx::kGraphNode, node);
    }
    graph.string(onnx::kGraphName, name_);
    for (const Init& i : inits_) {
        ProtoWriter t;
        t.int64s(onnx::kTensorDims, i.dims);
        t.int64(onnx::kTensorDataType, i.dataType);
        t.string(onnx::kTensorName, i.name);
        t.string(onnx::kTensorRawData, i.raw);
        graph.message(onnx::kGraphInitializer, t);
    }
    for (const Io& io : inputs_) graph.message(onnx::kGraphInput, valueInfo(io.name, io.elemType, io.dims));
    for (const Io& io : outputs_) graph.message(onnx::kGraphOutput, valueInfo(io.name, io.elemType, io.dims));

    ProtoWriter model;
    model.int64(onnx::kModelIrVersion, info.irVersion);
    model.string(onnx::kModelProducerName, info.producerName);
    model.string(onnx::kModelProducerVersion, info.producerVersion);
    if (!info.docString.empty()) model.string(onnx::kModelDocString, info.docString);
    model.message(onnx::kModelGraph, graph);
    ProtoWriter opset;
    opset.string(onnx::kOpsetDomain, "");
    opset.int64(onnx::kOpsetVersion, info.opset);
    model.message(onnx::kModelOpsetImport, opset);
    for (const auto& [k, v] : info.metadata) {
        ProtoWriter e;
        e.string(onnx::kEntryKey, k);
        e.string(onnx::kEntryValue, v);
        model.message(onnx::kModelMetadataProps, e);
    }
    return model.bytes();
}

} // namespace strata::storage
