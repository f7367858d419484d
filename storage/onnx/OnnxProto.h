// The few ONNX protobuf messages the exporter writes, encoded by hand in the protobuf wire format
// (no protoc, no libprotobuf, no libonnx). Field numbers are those of onnx/onnx.proto (IR version
// 7 and later); readers accept fields in any order, so each message is simply appended.
//
//   ProtoWriter node;
//   node.string(onnx::kNodeInput, "x");
//   node.string(onnx::kNodeOutput, "y");
//   node.string(onnx::kNodeOpType, "Relu");
//   graph.message(onnx::kGraphNode, node);
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace strata::storage {

// One field read by ProtoReader: its number, wire type and value (a varint or 64/32-bit word in
// `number`, the bytes of a length-delimited field in `bytes`), and where it starts in the input.
struct ProtoField {
    int field = 0;
    int wireType = 0;
    uint64_t number = 0;
    std::string_view bytes;
    std::size_t offset = 0;     // of the tag
    std::size_t dataOffset = 0; // of `bytes`
};

// Reads protobuf fields from a byte string, checking every length against what is left. Throws
// StorageError "SOURCE: WHAT at byte N: why" on truncated or malformed input; never reads past
// the end. `base` is the offset of `bytes` in the whole file (for messages), `what` the message.
class ProtoReader {
public:
    ProtoReader(std::string_view bytes, std::string source, std::string what, std::size_t base = 0)
        : bytes_(bytes), source_(std::move(source)), what_(std::move(what)), base_(base) {}

    // The next field, or false at the end.
    bool next(ProtoField& f);
    // A reader over a length-delimited field holding message `what`.
    ProtoReader sub(const ProtoField& f, std::string what) const;
    // Typed views of a field; each checks the wire type. Packed repeated fields append every value.
    int64_t int64(const ProtoField& f) const;
    float float32(const ProtoField& f) const;
    double float64(const ProtoField& f) const;
    std::string string(const ProtoField& f) const;
    void int64s(const ProtoField& f, std::vector<int64_t>& out) const;  // varint, packed or not
    void float32s(const ProtoField& f, std::vector<float>& out) const;  // fixed32, packed or not
    void float64s(const ProtoField& f, std::vector<double>& out) const; // fixed64, packed or not

    [[noreturn]] void fail(std::size_t offset, const std::string& why) const;
    const std::string& source() const { return source_; }

private:
    uint64_t varint(std::string_view bytes, std::size_t& at, std::size_t base) const;
    void expect(const ProtoField& f, int wireType) const;

    std::string_view bytes_;
    std::string source_, what_;
    std::size_t base_ = 0, at_ = 0;
};

// Appends protobuf fields to a byte string: varints (wire type 0), 32-bit (5), length-delimited (2).
class ProtoWriter {
public:
    void int64(int field, int64_t value);       // int32/int64/enum fields (negative: ten-byte varint)
    void float32(int field, float value);
    void string(int field, std::string_view bytes); // string, bytes
    void message(int field, const ProtoWriter& m);
    void int64s(int field, const std::vector<int64_t>& values); // repeated, one field per value

    const std::string& bytes() const { return bytes_; }
    std::size_t size() const { return bytes_.size(); }

private:
    void varint(uint64_t v);
    void tag(int field, int wireType);
    std::string bytes_;
};

namespace onnx {

// ModelProto
inline constexpr int kModelIrVersion = 1, kModelProducerName = 2, kModelProducerVersion = 3, kModelDomain = 4,
                     kModelVersion = 5, kModelDocString = 6, kModelGraph = 7, kModelOpsetImport = 8,
                     kModelMetadataProps = 14;
// OperatorSetIdProto, StringStringEntryProto
inline constexpr int kOpsetDomain = 1, kOpsetVersion = 2;
inline constexpr int kEntryKey = 1, kEntryValue = 2;
// GraphProto
inline constexpr int kGraphNode = 1, kGraphName = 2, kGraphInitializer = 5, kGraphDocString = 10, kGraphInput = 11,
                     kGraphOutput = 12;
// NodeProto
inline constexpr int kNodeInput = 1, kNodeOutput = 2, kNodeName = 3, kNodeOpType = 4, kNodeAttribute = 5,
                     kNodeDocString = 6;
// AttributeProto and its AttributeType values
inline constexpr int kAttrName = 1, kAttrF = 2, kAttrI = 3, kAttrS = 4, kAttrFloats = 7, kAttrInts = 8, kAttrType = 20;
inline constexpr int kAttrT = 5, kAttrG = 6;
inline constexpr int kAttrTypeFloat = 1, kAttrTypeInt = 2, kAttrTypeString = 3, kAttrTypeInts = 7;
// ValueInfoProto, TypeProto, TypeProto.Tensor, TensorShapeProto, TensorShapeProto.Dimension
inline constexpr int kValueInfoName = 1, kValueInfoType = 2;
inline constexpr int kTypeTensorType = 1;
inline constexpr int kTensorTypeElemType = 1, kTensorTypeShape = 2;
inline constexpr int kShapeDim = 1;
inline constexpr int kDimValue = 1, kDimParam = 2;
// TensorProto and its DataType values
inline constexpr int kTensorDims = 1, kTensorDataType = 2, kTensorName = 8, kTensorRawData = 9;
inline constexpr int kTensorFloatData = 4, kTensorInt32Data = 5, kTensorInt64Data = 7, kTensorDoubleData = 10,
                     kTensorExternalData = 13, kTensorDataLocation = 14;
inline constexpr int kNodeDomain = 7, kGraphValueInfo = 13;
inline constexpr int kDouble = 11;
inline constexpr int kFloat = 1, kInt32 = 6, kInt64 = 7;

} // namespace onnx

} // namespace strata::storage
