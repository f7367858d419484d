#include "storage/onnx/OnnxGraph.h"

#include "storage/StorageError.h"

#include <onnx/onnx_pb.h>

#include <bit>
#include <cstring>

namespace strata::storage {

namespace {
using AttrType = ::onnx::AttributeProto;
} // namespace

static_assert(kOnnxFloat == ::onnx::TensorProto::FLOAT && kOnnxInt32 == ::onnx::TensorProto::INT32 &&
              kOnnxInt64 == ::onnx::TensorProto::INT64 && kOnnxDouble == ::onnx::TensorProto::DOUBLE);

static_assert(std::endian::native == std::endian::little, "ONNX raw_data is little-endian; tensors are copied as they are");

OnnxAttr OnnxAttr::integer(std::string name, int64_t v) {
    OnnxAttr a;
    a.name = std::move(name);
    a.type = AttrType::INT;
    a.i = v;
    return a;
}

OnnxAttr OnnxAttr::real(std::string name, float v) {
    OnnxAttr a;
    a.name = std::move(name);
    a.type = AttrType::FLOAT;
    a.f = v;
    return a;
}

OnnxAttr OnnxAttr::text(std::string name, std::string v) {
    OnnxAttr a;
    a.name = std::move(name);
    a.type = AttrType::STRING;
    a.s = std::move(v);
    return a;
}

OnnxAttr OnnxAttr::integers(std::string name, std::vector<int64_t> v) {
    OnnxAttr a;
    a.name = std::move(name);
    a.type = AttrType::INTS;
    a.ints = std::move(v);
    return a;
}

OnnxAttr OnnxAttr::reals(std::string name, std::vector<float> v) {
    OnnxAttr a;
    a.name = std::move(name);
    a.type = AttrType::FLOATS;
    a.floats = std::move(v);
    return a;
}

OnnxAttr OnnxAttr::texts(std::string name, std::vector<std::string> v) {
    OnnxAttr a;
    a.name = std::move(name);
    a.type = AttrType::STRINGS;
    a.strings = std::move(v);
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
    nodes_.push_back({opType, inputs, output, std::move(attrs), {}});
}

void OnnxGraph::node(const std::string& opType, const std::vector<std::string>& inputs, const std::vector<std::string>& outputs,
                     std::vector<OnnxAttr> attrs) {
    if (outputs.empty()) throw StorageError("ONNX node '" + opType + "' has no output");
    nodes_.push_back({opType, inputs, outputs[0], std::move(attrs), {outputs.begin() + 1, outputs.end()}});
}

const std::string& OnnxGraph::lastOutput() const {
    static const std::string none;
    return nodes_.empty() ? none : nodes_.back().output;
}

void OnnxGraph::renameLastOutput(const std::string& name) { nodes_.back().output = name; }

std::string OnnxGraph::initializer(const std::string& base, const std::vector<int64_t>& dims, const float* values) {
    int64_t n = 1;
    for (int64_t d : dims) n *= d;
    Init init{fresh(base), kOnnxFloat, dims, std::string(std::size_t(n) * sizeof(float), '\0')};
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
    Init init{fresh(base), kOnnxInt64, {int64_t(values.size())}, std::string(values.size() * sizeof(int64_t), '\0')};
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

void setValueInfo(::onnx::ValueInfoProto& info, const std::string& name, int elemType, const std::vector<OnnxDim>& dims) {
    info.set_name(name);
    ::onnx::TypeProto_Tensor& tensor = *info.mutable_type()->mutable_tensor_type();
    tensor.set_elem_type(elemType);
    ::onnx::TensorShapeProto& shape = *tensor.mutable_shape();
    for (const OnnxDim& d : dims) {
        ::onnx::TensorShapeProto_Dimension& dim = *shape.add_dim();
        if (!d.param.empty()) dim.set_dim_param(d.param);
        else if (d.value >= 0) dim.set_dim_value(d.value);
    }
}

void setAttribute(::onnx::AttributeProto& w, const OnnxAttr& a) {
    w.set_name(a.name);
    switch (a.type) {
    case AttrType::INT: w.set_i(a.i); break;
    case AttrType::FLOAT: w.set_f(a.f); break;
    case AttrType::STRING: w.set_s(a.s); break;
    case AttrType::INTS: w.mutable_ints()->Add(a.ints.begin(), a.ints.end()); break;
    case AttrType::FLOATS: w.mutable_floats()->Add(a.floats.begin(), a.floats.end()); break;
    case AttrType::STRINGS:
        for (const std::string& s : a.strings) w.add_strings(s);
        break;
    default: throw StorageError("ONNX attribute '" + a.name + "' has an unsupported type");
    }
    w.set_type(AttrType::AttributeType(a.type));
}

} // namespace

std::string OnnxGraph::modelBytes(const OnnxModelInfo& info) const {
    ::onnx::ModelProto model;
    model.set_ir_version(info.irVersion);
    model.set_producer_name(info.producerName);
    model.set_producer_version(info.producerVersion);
    if (!info.docString.empty()) model.set_doc_string(info.docString);
    ::onnx::GraphProto& graph = *model.mutable_graph();
    for (const Node& n : nodes_) {
        ::onnx::NodeProto& node = *graph.add_node();
        for (const auto& in : n.inputs) node.add_input(in);
        node.add_output(n.output);
        for (const std::string& o : n.moreOutputs) node.add_output(o);
        node.set_name(n.output);
        node.set_op_type(n.op);
        for (const auto& a : n.attrs) setAttribute(*node.add_attribute(), a);
    }
    graph.set_name(name_);
    for (const Init& i : inits_) {
        ::onnx::TensorProto& t = *graph.add_initializer();
        t.mutable_dims()->Add(i.dims.begin(), i.dims.end());
        t.set_data_type(i.dataType);
        t.set_name(i.name);
        t.set_raw_data(i.raw);
    }
    for (const Io& io : inputs_) setValueInfo(*graph.add_input(), io.name, io.elemType, io.dims);
    for (const Io& io : outputs_) setValueInfo(*graph.add_output(), io.name, io.elemType, io.dims);
    ::onnx::OperatorSetIdProto& opset = *model.add_opset_import();
    opset.set_domain("");
    opset.set_version(info.opset);
    for (const auto& [k, v] : info.metadata) {
        ::onnx::StringStringEntryProto& e = *model.add_metadata_props();
        e.set_key(k);
        e.set_value(v);
    }
    std::string bytes;
    if (!model.SerializeToString(&bytes)) throw StorageError("the ONNX model of graph '" + name_ + "' cannot be serialized (over 2 GiB?)");
    return bytes;
}

} // namespace strata::storage
