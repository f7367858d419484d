#include "storage/onnx/OnnxReader.h"
#include "engine/InputFiles.h"
#include "engine/Shape.h"

#include "storage/onnx/OnnxModelCheck.h"
#include "storage/StorageError.h"

#include <cstring>
#include <fstream>
#include <limits>

namespace strata::storage {

int64_t OnnxTensor::elementCount() const {
    int64_t n = 1;
    for (int64_t d : dims) n *= d;
    return n;
}

const OnnxAttribute* OnnxNode::attr(std::string_view n) const {
    for (const auto& a : attributes)
        if (a.name == n) return &a;
    return nullptr;
}

int64_t OnnxNode::intAttr(std::string_view n, int64_t fallback) const {
    const OnnxAttribute* a = attr(n);
    return a ? a->i : fallback;
}

float OnnxNode::floatAttr(std::string_view n, float fallback) const {
    const OnnxAttribute* a = attr(n);
    return a ? a->f : fallback;
}

std::vector<int64_t> OnnxNode::intsAttr(std::string_view n, std::vector<int64_t> fallback) const {
    const OnnxAttribute* a = attr(n);
    return a ? a->ints : fallback;
}

std::string OnnxNode::stringAttr(std::string_view n, std::string fallback) const {
    const OnnxAttribute* a = attr(n);
    return a ? a->s : fallback;
}

std::string OnnxNode::label() const {
    const std::string shown = !name.empty() ? name : !outputs.empty() ? outputs[0] : std::string("(unnamed)");
    return "node '" + shown + "' (" + opType + ")";
}

const std::string* OnnxModel::metadataValue(std::string_view key) const {
    for (const auto& [k, v] : metadata)
        if (k == key) return &v;
    return nullptr;
}

namespace {

constexpr int64_t kMaxElements = int64_t(1) << 31; // a sanity bound on one tensor (8 GiB of float32)

std::size_t elementSize(int dataType) {
    switch (dataType) {
    case kOnnxFloat:
    case kOnnxInt32: return 4;
    case kOnnxInt64:
    case kOnnxDouble: return 8;
    default: return 0;
    }
}

// Values of a TensorProto as floats or int64s. External data was refused by prepareOnnxModel.
OnnxTensor readTensor(const ::onnx::TensorProto& p, const std::string& source) {
    OnnxTensor t;
    t.name = p.name();
    t.dataType = p.data_type();
    t.dims.assign(p.dims().begin(), p.dims().end());
    const std::string what = source + ": tensor '" + t.name + "'";
    int64_t n = 1;
    for (int64_t d : t.dims) {
        if (d < 0) throw StorageError(what + " has a negative dimension " + std::to_string(d));
        if (d > 0 && n > kMaxElements / d) throw StorageError(what + " has more than 2^31 elements");
        n *= d;
    }
    const std::size_t size = elementSize(t.dataType);
    if (!size)
        throw StorageError(what + " has element type " + std::to_string(t.dataType) + " (only float32, float64, int32 and int64 are read)");
    if (p.has_raw_data()) {
        const std::string& raw = p.raw_data();
        if (raw.size() != std::size_t(n) * size)
            throw StorageError(what + " has " + std::to_string(raw.size()) + " bytes of raw_data, its shape needs " + std::to_string(std::size_t(n) * size));
        const char* at = raw.data();
        for (int64_t k = 0; k < n; ++k, at += size) {
            if (t.dataType == kOnnxFloat) { float v; std::memcpy(&v, at, 4); t.floats.push_back(v); }
            else if (t.dataType == kOnnxDouble) { double v; std::memcpy(&v, at, 8); t.floats.push_back(float(v)); }
            else if (t.dataType == kOnnxInt32) { int32_t v; std::memcpy(&v, at, 4); t.ints.push_back(v); }
            else { int64_t v; std::memcpy(&v, at, 8); t.ints.push_back(v); }
        }
        return t;
    }
    if (t.dataType == kOnnxFloat) t.floats.assign(p.float_data().begin(), p.float_data().end());
    else if (t.dataType == kOnnxDouble) t.floats.assign(p.double_data().begin(), p.double_data().end());
    else if (t.dataType == kOnnxInt32) t.ints.assign(p.int32_data().begin(), p.int32_data().end());
    else t.ints.assign(p.int64_data().begin(), p.int64_data().end());
    const std::size_t have = t.isFloat() ? t.floats.size() : t.ints.size();
    if (have != std::size_t(n)) throw StorageError(what + " has " + std::to_string(have) + " values, its shape needs " + std::to_string(n));
    return t;
}

OnnxNode readNode(const ::onnx::NodeProto& p, const std::string& source) {
    OnnxNode n;
    n.name = p.name();
    n.opType = p.op_type();
    n.domain = p.domain();
    n.inputs.assign(p.input().begin(), p.input().end());
    n.outputs.assign(p.output().begin(), p.output().end());
    for (const ::onnx::AttributeProto& q : p.attribute()) {
        OnnxAttribute& a = n.attributes.emplace_back();
        a.name = q.name();
        a.type = q.type();
        a.f = q.f();
        a.i = q.i();
        a.s = q.s();
        if (q.has_t()) a.t = readTensor(q.t(), source);
        a.floats.assign(q.floats().begin(), q.floats().end());
        a.ints.assign(q.ints().begin(), q.ints().end());
        a.strings.assign(q.strings().begin(), q.strings().end());
        a.hasGraph = q.has_g() || q.graphs_size() > 0;
    }
    return n;
}

// Dimensions outside [0, kMaxDim] were refused in declared shapes (prepareOnnxModel); one that
// shape inference computed out of range reads as unknown.
OnnxValueInfo readValueInfo(const ::onnx::ValueInfoProto& p) {
    OnnxValueInfo v;
    v.name = p.name();
    if (!p.type().has_tensor_type()) return v;
    const ::onnx::TypeProto_Tensor& tensor = p.type().tensor_type();
    v.elemType = tensor.elem_type();
    v.hasShape = tensor.has_shape();
    for (const auto& d : tensor.shape().dim()) {
        OnnxDim& dim = v.dims.emplace_back();
        if (d.has_dim_value() && d.dim_value() >= 0 && d.dim_value() <= kMaxDim) dim.value = d.dim_value();
        else if (d.has_dim_param()) dim.param = d.dim_param();
    }
    return v;
}

OnnxGraphProto readGraph(const ::onnx::GraphProto& p, const std::string& source) {
    OnnxGraphProto g;
    g.name = p.name();
    for (const auto& n : p.node()) g.nodes.push_back(readNode(n, source));
    for (const auto& t : p.initializer()) g.initializers.push_back(readTensor(t, source));
    for (const auto& v : p.input()) g.inputs.push_back(readValueInfo(v));
    for (const auto& v : p.output()) g.outputs.push_back(readValueInfo(v));
    for (const auto& v : p.value_info()) g.valueInfo.push_back(readValueInfo(v));
    return g;
}

} // namespace

OnnxModel parseOnnxModel(std::string_view bytes, const std::string& source) {
    if (bytes.empty()) throw StorageError(source + ": the file is empty, not an ONNX model");
    if (bytes.size() > uint64_t(std::numeric_limits<int>::max()))
        throw StorageError(source + ": " + std::to_string(bytes.size()) + " bytes is more than an ONNX model can hold (2 GiB)");
    ::onnx::ModelProto proto;
    if (!proto.ParseFromArray(bytes.data(), int(bytes.size())))
        throw StorageError(source + ": not an ONNX model: its " + std::to_string(bytes.size()) +
                           " bytes are no valid ModelProto (truncated, corrupt, or another format)");
    prepareOnnxModel(proto, source);
    OnnxModel m;
    m.irVersion = proto.ir_version();
    m.opset = defaultOnnxOpset(proto);
    m.producerName = proto.producer_name();
    m.producerVersion = proto.producer_version();
    for (const auto& e : proto.metadata_props()) m.metadata.emplace_back(e.key(), e.value());
    m.graph = readGraph(proto.graph(), source);
    m.hasGraph = true;
    return m;
}
OnnxModel readOnnxFile(const std::filesystem::path& file) {
    if (const std::string why = inputFileProblem(file, kMaxModelFileBytes); !why.empty() && std::filesystem::exists(file))
        throw StorageError(why);
    std::ifstream in(file, std::ios::binary);
    if (!in) throw StorageError(file.string() + ": cannot be opened" + (std::filesystem::exists(file) ? "" : " (no such file)"));
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (in.bad()) throw StorageError(file.string() + ": cannot be read");
    return parseOnnxModel(bytes, file.string());
}

} // namespace strata::storage
