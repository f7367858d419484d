#include "storage/onnx/OnnxReader.h"
#include "engine/InputFiles.h"
#include "engine/Shape.h"

#include "storage/onnx/OnnxProto.h"
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
    case onnx::kFloat:
    case onnx::kInt32: return 4;
    case onnx::kInt64:
    case onnx::kDouble: return 8;
    default: return 0;
    }
}

OnnxTensor readTensor(ProtoReader r) {
    OnnxTensor t;
    std::string_view raw;
    bool hasRaw = false, external = false;
    std::size_t start = 0;
    std::vector<double> doubles;
    ProtoField f;
    while (r.next(f)) {
        if (!start) start = f.offset;
        switch (f.field) {
        case onnx::kTensorDims: r.int64s(f, t.dims); break;
        case onnx::kTensorDataType: t.dataType = int(r.int64(f)); break;
        case onnx::kTensorName: t.name = r.string(f); break;
        case onnx::kTensorRawData:
            if (f.wireType != 2) r.fail(f.offset, "raw_data is not length-delimited");
            raw = f.bytes, hasRaw = true;
            break;
        case onnx::kTensorFloatData: r.float32s(f, t.floats); break;
        case onnx::kTensorInt32Data:
        case onnx::kTensorInt64Data: r.int64s(f, t.ints); break;
        case onnx::kTensorDoubleData: r.float64s(f, doubles); break;
        case onnx::kTensorExternalData: external = true; break;
        case onnx::kTensorDataLocation: external = external || r.int64(f) == 1; break;
        default: break;
        }
    }
    const std::string what = "tensor '" + t.name + "'";
    if (external) r.fail(start, what + " keeps its data in an external file, which is not supported");
    int64_t n = 1;
    for (int64_t d : t.dims) {
        if (d < 0) r.fail(start, what + " has a negative dimension " + std::to_string(d));
        if (d > 0 && n > kMaxElements / d) r.fail(start, what + " has more than 2^31 elements");
        n *= d;
    }
    const std::size_t size = elementSize(t.dataType);
    if (!size) r.fail(start, what + " has element type " + std::to_string(t.dataType) + " (only float32, float64, int32 and int64 are read)");
    if (hasRaw) {
        if (raw.size() != std::size_t(n) * size)
            r.fail(start, what + " has " + std::to_string(raw.size()) + " bytes of raw_data, its shape needs " + std::to_string(std::size_t(n) * size));
        const char* p = raw.data();
        for (int64_t k = 0; k < n; ++k, p += size) {
            if (t.dataType == onnx::kFloat) { float v; std::memcpy(&v, p, 4); t.floats.push_back(v); }
            else if (t.dataType == onnx::kDouble) { double v; std::memcpy(&v, p, 8); t.floats.push_back(float(v)); }
            else if (t.dataType == onnx::kInt32) { int32_t v; std::memcpy(&v, p, 4); t.ints.push_back(v); }
            else { int64_t v; std::memcpy(&v, p, 8); t.ints.push_back(v); }
        }
        return t;
    }
    for (double d : doubles) t.floats.push_back(float(d));
    if (t.dataType == onnx::kInt32)
        for (int64_t& v : t.ints) v = int64_t(int32_t(v)); // int32_data holds sign-extended varints
    const std::size_t have = t.isFloat() ? t.floats.size() : t.ints.size();
    if (have != std::size_t(n))
        r.fail(start, what + " has " + std::to_string(have) + " values, its shape needs " + std::to_string(n));
    return t;
}

OnnxAttribute readAttribute(ProtoReader r) {
    OnnxAttribute a;
    ProtoField f;
    while (r.next(f)) {
        switch (f.field) {
        case onnx::kAttrName: a.name = r.string(f); break;
        case onnx::kAttrF: a.f = r.float32(f); break;
        case onnx::kAttrI: a.i = r.int64(f); break;
        case onnx::kAttrS: a.s = r.string(f); break;
        case onnx::kAttrT: a.t = readTensor(r.sub(f, "TensorProto")); break;
        case onnx::kAttrG: a.hasGraph = true; break;
        case onnx::kAttrFloats: r.float32s(f, a.floats); break;
        case onnx::kAttrInts: r.int64s(f, a.ints); break;
        case onnx::kAttrType: a.type = int(r.int64(f)); break;
        default: break;
        }
    }
    return a;
}

OnnxNode readNode(ProtoReader r) {
    OnnxNode n;
    ProtoField f;
    while (r.next(f)) {
        switch (f.field) {
        case onnx::kNodeInput: n.inputs.push_back(r.string(f)); break;
        case onnx::kNodeOutput: n.outputs.push_back(r.string(f)); break;
        case onnx::kNodeName: n.name = r.string(f); break;
        case onnx::kNodeOpType: n.opType = r.string(f); break;
        case onnx::kNodeDomain: n.domain = r.string(f); break;
        case onnx::kNodeAttribute: n.attributes.push_back(readAttribute(r.sub(f, "AttributeProto"))); break;
        default: break;
        }
    }
    return n;
}

void readShape(ProtoReader r, OnnxValueInfo& v) {
    v.hasShape = true;
    ProtoField f;
    while (r.next(f)) {
        if (f.field != onnx::kShapeDim) continue;
        ProtoReader dim = r.sub(f, "TensorShapeProto.Dimension");
        OnnxDim d;
        ProtoField g;
        while (dim.next(g)) {
            if (g.field == onnx::kDimValue) {
                d.value = dim.int64(g);
                if (d.value < 0 || d.value > kMaxDim) // bounded, so the importer's shape arithmetic cannot overflow
                    dim.fail(g.offset, "a dimension of value '" + v.name + "' is " + std::to_string(d.value) + ", outside 0 to " +
                                    std::to_string(kMaxDim));
            }
            else if (g.field == onnx::kDimParam) d.param = dim.string(g);
        }
        v.dims.push_back(d);
    }
}

OnnxValueInfo readValueInfo(ProtoReader r) {
    OnnxValueInfo v;
    ProtoField f;
    while (r.next(f)) {
        if (f.field == onnx::kValueInfoName) v.name = r.string(f);
        if (f.field != onnx::kValueInfoType) continue;
        ProtoReader type = r.sub(f, "TypeProto");
        ProtoField g;
        while (type.next(g)) {
            if (g.field != onnx::kTypeTensorType) continue;
            ProtoReader tensor = type.sub(g, "TypeProto.Tensor");
            ProtoField h;
            while (tensor.next(h)) {
                if (h.field == onnx::kTensorTypeElemType) v.elemType = int(tensor.int64(h));
                else if (h.field == onnx::kTensorTypeShape) readShape(tensor.sub(h, "TensorShapeProto"), v);
            }
        }
    }
    return v;
}

OnnxGraphProto readGraph(ProtoReader r) {
    OnnxGraphProto g;
    ProtoField f;
    while (r.next(f)) {
        switch (f.field) {
        case onnx::kGraphNode: g.nodes.push_back(readNode(r.sub(f, "NodeProto"))); break;
        case onnx::kGraphName: g.name = r.string(f); break;
        case onnx::kGraphInitializer: g.initializers.push_back(readTensor(r.sub(f, "TensorProto"))); break;
        case onnx::kGraphInput: g.inputs.push_back(readValueInfo(r.sub(f, "ValueInfoProto"))); break;
        case onnx::kGraphOutput: g.outputs.push_back(readValueInfo(r.sub(f, "ValueInfoProto"))); break;
        default: break;
        }
    }
    return g;
}

} // namespace

OnnxModel parseOnnxModel(std::string_view bytes, const std::string& source) {
    if (bytes.empty()) throw StorageError(source + ": the file is empty, not an ONNX model");
    ProtoReader r(bytes, source, "ModelProto");
    OnnxModel m;
    ProtoField f;
    while (r.next(f)) {
        switch (f.field) {
        case onnx::kModelIrVersion: m.irVersion = r.int64(f); break;
        case onnx::kModelProducerName: m.producerName = r.string(f); break;
        case onnx::kModelProducerVersion: m.producerVersion = r.string(f); break;
        case onnx::kModelGraph:
            m.graph = readGraph(r.sub(f, "GraphProto"));
            m.hasGraph = true;
            break;
        case onnx::kModelOpsetImport: {
            ProtoReader o = r.sub(f, "OperatorSetIdProto");
            std::string domain;
            int64_t version = 0;
            ProtoField g;
            while (o.next(g)) {
                if (g.field == onnx::kOpsetDomain) domain = o.string(g);
                else if (g.field == onnx::kOpsetVersion) version = o.int64(g);
            }
            if (domain.empty() || domain == "ai.onnx") m.opset = version;
            break;
        }
        case onnx::kModelMetadataProps: {
            ProtoReader e = r.sub(f, "StringStringEntryProto");
            std::string key, value;
            ProtoField g;
            while (e.next(g)) {
                if (g.field == onnx::kEntryKey) key = e.string(g);
                else if (g.field == onnx::kEntryValue) value = e.string(g);
            }
            m.metadata.emplace_back(std::move(key), std::move(value));
            break;
        }
        default: break;
        }
    }
    if (!m.hasGraph) throw StorageError(source + ": the file holds no ONNX graph (is it an ONNX model?)");
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
