// An ONNX graph under construction: unique tensor names, nodes in order, initializers holding
// weights, typed graph inputs and outputs, and the ModelProto bytes of the whole (an
// onnx::ModelProto serialized by libprotobuf).
// Knows nothing of Strata layers; OnnxLowering fills it.
//
//   OnnxGraph g("digits_mlp");
//   g.reserve("probs");                       // a graph output: fresh() never hands it out
//   const std::string w = g.initializer("model/dense/kernel", kernel.shape(), kernel.f32());
//   g.node("Gemm", {"pixels", w}, g.claim("probs"));
#pragma once

#include "engine/Shape.h"

#include <set>
#include <string>
#include <vector>

namespace strata::storage {

// The element types (TensorProto.DataType) Strata writes and reads.
inline constexpr int kOnnxFloat = 1, kOnnxInt32 = 6, kOnnxInt64 = 7, kOnnxDouble = 11;

struct OnnxAttr {
    std::string name;
    int type = 0; // AttributeProto.AttributeType: FLOAT, INT, STRING, INTS, FLOATS or STRINGS
    int64_t i = 0;
    float f = 0;
    std::string s;
    std::vector<int64_t> ints;
    std::vector<float> floats;
    std::vector<std::string> strings;

    static OnnxAttr integer(std::string name, int64_t v);
    static OnnxAttr real(std::string name, float v);
    static OnnxAttr text(std::string name, std::string v);
    static OnnxAttr integers(std::string name, std::vector<int64_t> v);
    static OnnxAttr reals(std::string name, std::vector<float> v);
    static OnnxAttr texts(std::string name, std::vector<std::string> v);
};

// One dimension of a graph input or output: a size, or a named symbolic size ("batch"), or unknown.
struct OnnxDim {
    int64_t value = -1;
    std::string param;
};

// The metadata key Strata's exports carry their inputs' layout in ("nhwc"), for readers that
// translate the graph instead of reading the embedded spec.
inline constexpr const char* kOnnxInputLayoutKey = "strata.input_layout";

struct OnnxModelInfo {
    int64_t opset = 13;
    int64_t irVersion = 7;
    std::string producerName = "strata", producerVersion, docString;
    std::vector<std::pair<std::string, std::string>> metadata;
};

class OnnxGraph {
public:
    explicit OnnxGraph(std::string name) : name_(std::move(name)) {}

    // Tensor names. fresh(base) returns `base`, else `base_1`, `base_2`, ... (never a reserved
    // name); reserve(name) keeps a name for claim(name), which hands it out once.
    std::string fresh(const std::string& base);
    void reserve(const std::string& name);
    std::string claim(const std::string& name);

    // Appends a node; its name is its output's name.
    void node(const std::string& opType, const std::vector<std::string>& inputs, const std::string& output,
              std::vector<OnnxAttr> attrs = {});
    // A node with several outputs (LSTM's Y and Y_h); named after the first.
    void node(const std::string& opType, const std::vector<std::string>& inputs, const std::vector<std::string>& outputs,
              std::vector<OnnxAttr> attrs);
    // The output of the node added last, and renaming it (only while nothing consumes it yet).
    const std::string& lastOutput() const;
    void renameLastOutput(const std::string& name);
    std::size_t nodeCount() const { return nodes_.size(); }

    // Initializers (float32 or int64, little-endian raw data), named fresh(base); returns the name.
    std::string initializer(const std::string& base, const std::vector<int64_t>& dims, const float* values);
    std::string initializer(const std::string& base, const std::vector<int64_t>& dims, const std::vector<float>& values);
    std::string int64Initializer(const std::string& base, const std::vector<int64_t>& values); // 1-D
    std::string scalar(const std::string& base, float value);

    // Graph inputs and outputs (elemType: kOnnxFloat, kOnnxInt32, ...); the names must exist.
    void input(const std::string& name, int elemType, const std::vector<OnnxDim>& dims);
    void output(const std::string& name, int elemType, const std::vector<OnnxDim>& dims);

    // The serialized ModelProto.
    std::string modelBytes(const OnnxModelInfo& info) const;

private:
    struct Node {
        std::string op;
        std::vector<std::string> inputs;
        std::string output;
        std::vector<OnnxAttr> attrs;
        std::vector<std::string> moreOutputs;
    };
    struct Io {
        std::string name;
        int elemType;
        std::vector<OnnxDim> dims;
    };
    struct Init {
        std::string name;
        int dataType;
        std::vector<int64_t> dims;
        std::string raw;
    };

    std::string name_;
    std::set<std::string> used_, reserved_;
    std::vector<Node> nodes_;
    std::vector<Init> inits_;
    std::vector<Io> inputs_, outputs_;
};

} // namespace strata::storage
