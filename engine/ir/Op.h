// The primitive operations of the Strata IR: one enum and one info table (name, arity, outputs).
// A primitive is what a backend implements as a kernel; layers, norms and losses are composed
// from these (see Composite.h, Losses.h). Gradients live in one table in GradRules.cpp.
#pragma once

#include <cstdint>
#include <string_view>

namespace strata::ir {

enum class OpKind : uint8_t {
    // Sources: no inputs.
    Placeholder, // attr name: fed per run
    Variable,    // attr path: persistent state owned by the backend
    Constant,    // attr index into Graph::constants()
    // Elementwise binary with numpy broadcasting.
    Add, Sub, Mul, Div,
    // Elementwise unary. Attrs: pow "exponent"; elu/leaky_relu "alpha"; clip "min","max".
    Neg, Exp, Log, Sqrt, Square, Pow, Abs, Relu, Sigmoid, Tanh, Elu, Selu, Softplus, Softsign,
    Swish, Gelu, LeakyRelu, Clip,
    UnaryGrad, // (x, dy) -> dy * f'(x) for the unary op named by attr "fn" (same attrs as f)
    Cast,      // attr dtype
    Softmax, LogSoftmax, // over the last axis
    ReduceSum, ReduceMean, // attrs axes, keepdims
    BroadcastTo,           // attr shape (numpy rules)
    Reshape, Transpose, Concat, Slice, // attrs shape / perm / axis / axis,begin,size
    MatMul, // rank 2, attrs transpose_a, transpose_b
    Conv2D, Conv2DBackpropInput, Conv2DBackpropFilter, // NHWC x, HWIO w; strides, dilations, padding
    MaxPool2D, MaxPool2DGrad, AvgPool2D, AvgPool2DGrad, // pool_size, strides, padding
    Dropout,  // (x, step) attrs rate, seed: mask = Philox(seed, step, element index)
    OneHot,   // I32 labels -> F32, attr depth
    SparseSoftmaxCrossEntropy,     // (logits [N,C], labels I32 [N]) -> per-example loss [N]
    SparseSoftmaxCrossEntropyGrad, // (logits, labels, dloss [N]) -> dlogits
    LearningRate, // (iter) -> scalar lr; attrs schedule, learning_rate, ...
    AdamUpdate,   // (var, grad, m, v, lr, iter) -> (var', m', v'); beta_1, beta_2, epsilon, weight_decay
    // Elementwise unary, continued (Keras 3 definitions): hard_sigmoid relu6(x + 3) / 6, hard_silu
    // x * hard_sigmoid(x), mish x * tanh(softplus(x)), gelu's tanh approximation, and
    // thresholded_relu x for x > attr "alpha" (the threshold), else 0 (ONNX ThresholdedRelu).
    HardSigmoid, HardSilu, Mish, GeluTanh, ThresholdedRelu,
    Sin, Cos, // radians (the rotation matrices of RandomRotation)
    Floor,    // largest integer <= x (RandomCrop's offsets); gradient 0
    // (step) -> F32 of attr shape: u(i) = Philox(seed, step, i) in [0, 1), the dropout stream
    // (Philox.h); attr seed. The per-image parameters of the augmentation layers.
    RandomUniform,
    // (x NHWC, transforms [N, 8]) -> y of x's shape: TF's ImageProjectiveTransformV3 (Keras 3's
    // ops.image.affine_transform). Output pixel (row i, column j) of image n reads x at column
    // (a0 j + a1 i + a2) / k, row (b0 j + b1 i + b2) / k, k = c0 j + c1 i + 1, the transform's
    // [a0 a1 a2 b0 b1 b2 c0 c1]. Attrs interpolation (0 nearest, 1 bilinear), fill_mode (0 constant,
    // 1 nearest, 2 reflect, 3 wrap), fill_value (ImageGeometry.h).
    ImageTransform,
    ImageTransformGrad, // (dy, transforms) -> dx: the adjoint (transpose) of ImageTransform in x
    // (a [B, M, K], b [B, K, N]) -> [B, M, N]: one MatMul per batch entry, attrs transpose_a,
    // transpose_b (each operand's last two axes); no broadcasting. Attention's scores and mixes.
    BatchMatMul,
    Count
};

inline constexpr int kVariadic = -1;

struct OpInfo {
    std::string_view name;
    int inputs;  // kVariadic for concat
    int outputs;
    bool elementwise; // output i depends only on input element i (same shape): may update in place
};

const OpInfo& opInfo(OpKind op);
inline std::string_view opName(OpKind op) { return opInfo(op).name; }
// Throws StrataError naming the unknown op.
OpKind parseOpKind(std::string_view name);
bool isUnaryActivation(OpKind op); // Neg..Clip, HardSigmoid..Floor
// The activation's code in the kernels' tables (gpu/shaders/activations.glsl): 0..17 for Neg..Clip,
// 18.. for HardSigmoid..Floor. Throws StrataError for an op that is not a unary activation.
uint32_t unaryActivationCode(OpKind op);

} // namespace strata::ir
