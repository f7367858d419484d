// Reading ONNX files: the bytes parsed as an onnx::ModelProto by libprotobuf, checked and brought
// to opset 13 or later with shapes inferred (prepareOnnxModel, OnnxModelCheck.h), then decoded
// into plain structs (ModelProto, GraphProto, NodeProto, AttributeProto, TensorProto,
// ValueInfoProto), so the importer needs no protobuf headers.
//
//   const OnnxModel m = readOnnxFile("model.onnx");
//   for (const OnnxNode& n : m.graph.nodes) ... n.opType, n.inputs, n.attr("strides") ...
//
// Bytes that are no ModelProto, a model the ONNX checker refuses, an opset outside 7..17 and any
// libonnx failure throw StorageError naming the file ("model.onnx: opset 18 of the default ONNX
// domain is not supported ..."). Tensors stored outside the file (external data) and element
// types other than float32, float64, int32 and int64 are errors naming the tensor.
#pragma once

#include "storage/onnx/OnnxGraph.h"

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace strata::storage {

// A TensorProto, its values converted: float types to `floats`, integer types to `ints`.
struct OnnxTensor {
    std::string name;
    int dataType = 0; // kOnnxFloat, kOnnxInt64, ...
    std::vector<int64_t> dims;
    std::vector<float> floats;
    std::vector<int64_t> ints;

    bool isFloat() const { return dataType == 1 || dataType == 11; } // FLOAT, DOUBLE
    int64_t elementCount() const;
};

struct OnnxAttribute {
    std::string name;
    int type = 0; // AttributeType: 1 FLOAT, 2 INT, 3 STRING, 4 TENSOR, 6 FLOATS, 7 INTS, ...
    float f = 0;
    int64_t i = 0;
    std::string s;
    OnnxTensor t;
    std::vector<float> floats;
    std::vector<int64_t> ints;
    std::vector<std::string> strings;
    bool hasGraph = false; // a subgraph (If, Loop, ...): not decoded
};

struct OnnxNode {
    std::string name, opType, domain;
    std::vector<std::string> inputs, outputs;
    std::vector<OnnxAttribute> attributes;

    const OnnxAttribute* attr(std::string_view name) const;
    int64_t intAttr(std::string_view name, int64_t fallback) const;
    float floatAttr(std::string_view name, float fallback) const;
    std::vector<int64_t> intsAttr(std::string_view name, std::vector<int64_t> fallback = {}) const;
    std::string stringAttr(std::string_view name, std::string fallback = {}) const;
    // "node 'NAME' (OP)" for messages; the first output names a node that has no name.
    std::string label() const;
};

struct OnnxValueInfo {
    std::string name;
    int elemType = 0;
    bool hasShape = false;
    std::vector<OnnxDim> dims; // value -1: unknown (symbolic or absent)
};

struct OnnxGraphProto {
    std::string name;
    std::vector<OnnxNode> nodes;
    std::vector<OnnxTensor> initializers;
    std::vector<OnnxValueInfo> inputs, outputs;
    std::vector<OnnxValueInfo> valueInfo; // the other values' shapes, as ONNX shape inference gives them
};

struct OnnxModel {
    int64_t irVersion = 0;
    int64_t opset = 0; // of the default ("" or "ai.onnx") domain: 13 to 17 (older opsets are converted to 13)
    std::string producerName, producerVersion;
    std::vector<std::pair<std::string, std::string>> metadata;
    OnnxGraphProto graph;
    bool hasGraph = false;

    const std::string* metadataValue(std::string_view key) const;
};

// Parses, checks and decodes ModelProto bytes; `source` (the file name) starts every message.
OnnxModel parseOnnxModel(std::string_view bytes, const std::string& source);
// Reads and decodes a file. Throws StorageError naming the file.
OnnxModel readOnnxFile(const std::filesystem::path& file);

} // namespace strata::storage
