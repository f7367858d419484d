// CPU kernels of the IR primitives: plain loops written so the compiler vectorizes them, BLAS
// (OpenBLAS cblas_sgemm) for matmul and for convolutions (im2col / col2im around one GEMM).
// Kernels never allocate: callers pass every output and scratch buffer. They read shapes in
// elements; 4-byte dtypes only. Label errors (a class index out of range) throw StrataError.
#pragma once

#include "engine/DType.h"
#include "engine/Shape.h"
#include "engine/cpu/Activations.h"
#include "engine/ir/ConvGeometry.h"
#include "engine/ir/Op.h"

#include <cstdint>
#include <vector>

namespace strata::cpu {

using ir::OpKind;
using ir::Window2D;

// ---- elementwise (ElementwiseKernels.cpp)
// out = a (op) b with numpy broadcasting; out may be a or b (same-shape in-place update).
void binary(OpKind op, DType t, const void* a, const Shape& sa, const void* b, const Shape& sb, void* out, const Shape& so);
void unary(OpKind op, const UnaryParams& p, const float* x, float* y, int64_t n);
void unaryGrad(OpKind fn, const UnaryParams& p, const float* x, const float* dy, float* dx, int64_t n);
void cast(DType from, const void* x, DType to, void* y, int64_t n);
void dropout(const float* x, float* y, int64_t n, float rate, uint64_t seed, uint32_t step);
void randomUniform(float* y, int64_t n, uint64_t seed, uint32_t step); // y(i) = ir::philoxUniform(seed, step, i)

// ---- image resampling (ImageKernels.cpp; engine/ir/ImageGeometry.h)
struct ImageTransformParams {
    int64_t n = 0, h = 0, w = 0, c = 0;
    int64_t interpolation = 1; // 0 nearest, 1 bilinear
    int64_t fillMode = 0;      // ir::ImageFill
    float fillValue = 0.0f;
};
void imageTransform(const ImageTransformParams& p, const float* x, const float* transforms, float* y);
void imageTransformGrad(const ImageTransformParams& p, const float* dy, const float* transforms, float* dx); // the adjoint
void broadcastTo(const void* x, const Shape& sx, void* out, const Shape& so); // 4-byte elements

// ---- layout and reductions (ShapeKernels.cpp)
void reduce(bool mean, const float* x, const Shape& s, const std::vector<int64_t>& sortedAxes, float* out);
void transpose(const void* x, const Shape& sx, const std::vector<int64_t>& perm, void* out);
void concat(const std::vector<const void*>& xs, const std::vector<Shape>& shapes, int64_t axis, void* out);
void slice(const void* x, const Shape& sx, int64_t axis, int64_t begin, int64_t size, void* out);
void softmaxRows(const float* x, float* y, int64_t rows, int64_t cols, bool logSoftmax);

// ---- matmul and convolution (ConvKernels.cpp); out = op(a) op(b), a [m, k], b [k, n] before transposes
void matmul(const float* a, const float* b, float* out, int64_t m, int64_t n, int64_t k, bool ta, bool tb);
int64_t convScratchFloats(const Window2D& w);
void conv2d(const Window2D& w, const float* x, const float* filter, float* y, float* scratch);
void conv2dBackpropInput(const Window2D& w, const float* dy, const float* filter, float* dx, float* scratch);
void conv2dBackpropFilter(const Window2D& w, const float* x, const float* dy, float* dfilter, float* scratch);
// groups > 1 (DepthwiseKernels.cpp): direct, no scratch; conv2d* above call these for w.groups > 1.
void groupedConv2d(const Window2D& w, const float* x, const float* filter, float* y);
void groupedConv2dBackpropInput(const Window2D& w, const float* dy, const float* filter, float* dx);
void groupedConv2dBackpropFilter(const Window2D& w, const float* x, const float* dy, float* dfilter);

// ---- pooling (PoolKernels.cpp); padding never contributes (max ignores it, avg divides by the valid count)
void maxPool2d(const Window2D& w, const float* x, float* y);
void avgPool2d(const Window2D& w, const float* x, float* y);
void maxPool2dGrad(const Window2D& w, const float* x, const float* dy, float* dx);
void avgPool2dGrad(const Window2D& w, const float* dy, float* dx);

// ---- labels, losses, optimizer (TrainingKernels.cpp)
void oneHot(const int32_t* labels, int64_t n, int64_t depth, float* out);
void sparseSoftmaxCrossEntropy(const float* logits, const int32_t* labels, int64_t rows, int64_t cols, float* loss);
void sparseSoftmaxCrossEntropyGrad(const float* logits, const int32_t* labels, const float* dloss, int64_t rows,
                                   int64_t cols, float* dlogits);
struct AdamParams {
    float lr, beta1, beta2, epsilon, weightDecay;
    int64_t t; // 1-based step
};
// In place allowed: var/m/v outputs may be the inputs.
void adamUpdate(const AdamParams& p, const float* var, const float* grad, const float* m, const float* v, float* varOut,
                float* mOut, float* vOut, int64_t n);

} // namespace strata::cpu
