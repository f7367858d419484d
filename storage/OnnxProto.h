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
inline constexpr int kAttrTypeFloat = 1, kAttrTypeInt = 2, kAttrTypeString = 3, kAttrTypeInts = 7;
// ValueInfoProto, TypeProto, TypeProto.Tensor, TensorShapeProto, TensorShapeProto.Dimension
inline constexpr int kValueInfoName = 1, kValueInfoType = 2;
inline constexpr int kTypeTensorType = 1;
inline constexpr int kTensorTypeElemType = 1, kTensorTypeShape = 2;
inline constexpr int kShapeDim = 1;
inline constexpr int kDimValue = 1, kDimParam = 2;
// TensorProto and its DataType values
inline constexpr int kTensorDims = 1, kTensorDataType = 2, kTensorName = 8, kTensorRawData = 9;
inline constexpr int kFloat = 1, kInt32 = 6, kInt64 = 7;

} // namespace onnx

} // namespace strata::storage
