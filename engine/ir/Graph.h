// The op graph of one traced signature: values with fully known shapes and dtypes, produced by
// primitive ops (Op.h) with attributes. Nodes are appended in topological order.
//
//   Graph g;
//   ValueId x = g.placeholder("x", {64, 784});                  // fed per run
//   ValueId k = g.variable("model/dense/kernel", {784, 10});      // backend-owned state
//   ValueId b = g.variable("model/dense/bias", {10});
//   ValueId logits = g.add(g.matmul(x, k), b);                    // bias broadcasts over the last axis
//   ValueId y = g.placeholder("y", {64}, DType::I32);
//   ValueId loss = losses::sparseCategoricalCrossentropy(g, y, logits, /*fromLogits=*/true);
//   g.assign("model/bn/moving_mean", newMean);                   // side effect, run at the end
//
// Every builder checks its operands and throws ShapeError naming the op and both shapes.
// Sources: placeholder (fed by name), variable (keyed by object path, e.g. "model/dense_1/kernel";
// declaring the same path twice returns the same value), constant (a Tensor held by the graph).
// Assignments run after every op of a run, in the order they were added; a variable read inside
// the run always sees the value from the start of the run.
// Composite layers (batch norm, layer norm, dense, activations by name) are in Composite.h,
// losses in Losses.h, gradients in Autodiff.h, optimizers in Optimizers.h.
//
// Scopes: every node records the graph's current scope when it is added, the object path of the
// module that emitted it ("model/dense_1", "model/encoder/conv_1"), "loss", "gradients/<forward
// scope>" or "optimizer/..." (TensorFlow's name scopes). Set it with a ScopeGuard (ScopeGuard.h):
//   { ScopeGuard s(g, layer.path()); y = dense(g, x, k, b); }
#pragma once

#include "engine/DType.h"
#include "engine/Shape.h"
#include "engine/Tensor.h"
#include "engine/ir/Attrs.h"
#include "engine/ir/ConvGeometry.h"
#include "engine/ir/Op.h"

#include <deque>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace strata::ir {

using ValueId = int32_t;
inline constexpr ValueId kNoValue = -1;

struct Value {
    Shape shape;
    DType dtype = DType::F32;
    int32_t node = -1;   // producing node
    int32_t output = 0;  // which output of that node
};

struct Node {
    OpKind op = OpKind::Constant;
    std::vector<ValueId> inputs;
    std::vector<ValueId> outputs;
    Attrs attrs;
    std::string scope; // the module path that emitted the node; "" when none was set
};

struct Assignment {
    std::string path;
    ValueId value = kNoValue;
};

class Graph {
public:
    // ---- sources and side effects
    ValueId placeholder(const std::string& name, Shape shape, DType dtype = DType::F32);
    ValueId variable(const std::string& path, Shape shape, DType dtype = DType::F32);
    ValueId constant(Tensor t);
    ValueId scalar(float v) { return constant(Tensor::scalar(v)); }
    void assign(const std::string& variablePath, ValueId value); // shape/dtype must match the variable
    void clearAssignments() { assigns_.clear(); }

    // ---- scope of the nodes added from now on (see ScopeGuard.h)
    const std::string& scope() const { return scope_; }
    void setScope(std::string scope) { scope_ = std::move(scope); }

    // ---- elementwise (binary ops broadcast numpy-style: trailing-aligned, size-1 dims stretch)
    ValueId add(ValueId a, ValueId b);
    ValueId sub(ValueId a, ValueId b);
    ValueId mul(ValueId a, ValueId b);
    ValueId div(ValueId a, ValueId b);
    ValueId neg(ValueId x) { return unary(OpKind::Neg, x); }
    ValueId exp(ValueId x) { return unary(OpKind::Exp, x); }
    ValueId log(ValueId x) { return unary(OpKind::Log, x); }
    ValueId sqrt(ValueId x) { return unary(OpKind::Sqrt, x); }
    ValueId square(ValueId x) { return unary(OpKind::Square, x); }
    ValueId pow(ValueId x, double exponent);
    ValueId abs(ValueId x) { return unary(OpKind::Abs, x); }
    ValueId relu(ValueId x) { return unary(OpKind::Relu, x); }
    ValueId sigmoid(ValueId x) { return unary(OpKind::Sigmoid, x); }
    ValueId tanh(ValueId x) { return unary(OpKind::Tanh, x); }
    ValueId elu(ValueId x, double alpha = 1.0);
    ValueId selu(ValueId x) { return unary(OpKind::Selu, x); }
    ValueId softplus(ValueId x) { return unary(OpKind::Softplus, x); }
    ValueId softsign(ValueId x) { return unary(OpKind::Softsign, x); }
    ValueId swish(ValueId x) { return unary(OpKind::Swish, x); } // x * sigmoid(x), a.k.a. silu
    ValueId gelu(ValueId x) { return unary(OpKind::Gelu, x); }   // exact: 0.5 x (1 + erf(x / sqrt 2))
    ValueId leakyRelu(ValueId x, double alpha = 0.2);
    ValueId clip(ValueId x, double lo, double hi);
    ValueId hardSigmoid(ValueId x) { return unary(OpKind::HardSigmoid, x); } // relu6(x + 3) / 6 (Keras 3)
    ValueId hardSilu(ValueId x) { return unary(OpKind::HardSilu, x); }       // x * hard_sigmoid(x), a.k.a. hard_swish
    ValueId mish(ValueId x) { return unary(OpKind::Mish, x); }               // x * tanh(softplus(x))
    ValueId geluTanh(ValueId x) { return unary(OpKind::GeluTanh, x); } // 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
    ValueId thresholdedRelu(ValueId x, double threshold); // x for x > threshold, else 0
    ValueId sin(ValueId x) { return unary(OpKind::Sin, x); } // radians
    ValueId cos(ValueId x) { return unary(OpKind::Cos, x); }
    ValueId floor(ValueId x) { return unary(OpKind::Floor, x); }
    // The generic form: op is one of Neg..Clip, attrs as that op expects.
    ValueId unary(OpKind op, ValueId x, Attrs attrs = {});
    // dy * f'(x) for the unary op `fn` (a backward-only primitive).
    ValueId unaryGrad(OpKind fn, const Attrs& fnAttrs, ValueId x, ValueId dy);
    ValueId cast(ValueId x, DType dtype);

    // ---- softmax over the last axis
    ValueId softmax(ValueId x);
    ValueId logSoftmax(ValueId x);

    // ---- reductions and shape ops (negative axes count from the end)
    ValueId reduceSum(ValueId x, std::vector<int64_t> axes, bool keepDims = false);
    ValueId reduceMean(ValueId x, std::vector<int64_t> axes, bool keepDims = false);
    ValueId reduceSumAll(ValueId x) { return reduceSum(x, allAxes(x)); }
    ValueId reduceMeanAll(ValueId x) { return reduceMean(x, allAxes(x)); }
    ValueId broadcastTo(ValueId x, Shape shape);
    ValueId sumToShape(ValueId x, const Shape& shape); // undoes broadcasting: reduce_sum + reshape
    ValueId reshape(ValueId x, Shape shape);           // one dim may be -1 (inferred)
    ValueId transpose(ValueId x, std::vector<int64_t> perm);
    ValueId concat(const std::vector<ValueId>& xs, int64_t axis);
    ValueId slice(ValueId x, int64_t axis, int64_t begin, int64_t size);

    // ---- linear algebra, convolution, pooling (NHWC)
    ValueId matmul(ValueId a, ValueId b, bool transposeA = false, bool transposeB = false); // rank 2
    // Rank 3, (B, M, K) x (B, K, N) before the transposes of each operand's last two axes.
    ValueId batchMatmul(ValueId a, ValueId b, bool transposeA = false, bool transposeB = false);
    ValueId conv2d(ValueId x, ValueId filter, const Conv2DParams& p);                      // HWIO filter
    ValueId conv2dBackpropInput(ValueId dy, ValueId filter, const Shape& inputShape, const Conv2DParams& p);
    ValueId conv2dBackpropFilter(ValueId x, ValueId dy, const Shape& filterShape, const Conv2DParams& p);
    ValueId maxPool2d(ValueId x, const Pool2DParams& p);
    ValueId avgPool2d(ValueId x, const Pool2DParams& p); // "same": averages only the valid elements
    ValueId maxPool2dGrad(ValueId x, ValueId dy, const Pool2DParams& p);
    ValueId avgPool2dGrad(ValueId dy, const Shape& inputShape, const Pool2DParams& p);

    // ---- randomness, labels, fused losses, optimizer primitives
    // Inverted dropout: y = x * keep / (1 - rate), keep = philoxUniform(seed, step, i) >= rate.
    // `step` is a scalar (I32 or F32, e.g. optimizer/iter) so each training step draws a new mask.
    ValueId dropout(ValueId x, ValueId step, double rate, uint64_t seed);
    // u of `shape`, u(i) = philoxUniform(seed, step, i) in [0, 1) (the numbers dropout compares with
    // its rate, Philox.h): a pure function of (seed, step, element index), the same on every backend.
    ValueId randomUniform(ValueId step, Shape shape, uint64_t seed);
    // x NHWC resampled per image by transforms [N, 8] (OpKind::ImageTransform): interpolation 0
    // nearest / 1 bilinear, fillMode 0 constant / 1 nearest / 2 reflect / 3 wrap.
    ValueId imageTransform(ValueId x, ValueId transforms, int64_t interpolation, int64_t fillMode, double fillValue);
    ValueId imageTransformGrad(ValueId dy, ValueId transforms, const Attrs& attrs); // attrs of the forward node
    ValueId oneHot(ValueId labels, int64_t depth); // I32 [...] -> F32 [..., depth]
    // Per-example -log softmax(logits)[label]: logits [N, C], labels I32 [N] -> [N].
    ValueId sparseSoftmaxCrossEntropy(ValueId logits, ValueId labels);
    ValueId sparseSoftmaxCrossEntropyGrad(ValueId logits, ValueId labels, ValueId dloss);

    // ---- generic node creation (builders above call this after checking shapes)
    std::vector<ValueId> addNode(OpKind op, std::vector<ValueId> inputs, Attrs attrs,
                                 const std::vector<std::pair<Shape, DType>>& outputs);
    ValueId addNode1(OpKind op, std::vector<ValueId> inputs, Attrs attrs, Shape shape, DType dtype = DType::F32) {
        return addNode(op, std::move(inputs), std::move(attrs), {{std::move(shape), dtype}})[0];
    }

    // ---- queries
    const Value& value(ValueId v) const;
    const Shape& shape(ValueId v) const { return value(v).shape; }
    DType dtype(ValueId v) const { return value(v).dtype; }
    const Node& node(int32_t n) const { return nodes_[std::size_t(n)]; }
    const Node& producer(ValueId v) const { return node(value(v).node); }
    int32_t nodeCount() const { return int32_t(nodes_.size()); }
    int32_t valueCount() const { return int32_t(values_.size()); }
    const std::vector<Assignment>& assignments() const { return assigns_; }
    const Tensor& constantOf(const Node& n) const; // n.op == Constant
    ValueId findVariable(const std::string& path) const;      // kNoValue when absent
    ValueId findPlaceholder(const std::string& name) const;   // kNoValue when absent
    std::vector<ValueId> variables() const;                   // in declaration order
    std::vector<ValueId> placeholders() const;
    std::string variablePath(ValueId v) const;  // "" when v is not a variable read
    std::vector<int64_t> allAxes(ValueId x) const;

    // ---- dumps for the traced-graph viewer: op, inputs, shapes, attrs, scope
    std::string toText() const;
    nlohmann::json toJson() const;

private:
    ValueId binary(OpKind op, ValueId a, ValueId b);
    ValueId reduce(OpKind op, ValueId x, std::vector<int64_t> axes, bool keepDims);
    void check(ValueId v, const char* what) const;

    // Deques: adding a value or node never moves the others, so a shape() or node() reference
    // held while more ops are appended (as gradient rules do) stays valid.
    std::deque<Value> values_;
    std::deque<Node> nodes_;
    std::vector<Tensor> constants_;
    std::vector<Assignment> assigns_;
    std::string scope_;
};

// Numpy broadcasting of two shapes; throws ShapeError "<what>: cannot broadcast A with B".
Shape broadcastShapes(const Shape& a, const Shape& b, const std::string& what);

} // namespace strata::ir
