// Graph builders for convolution, pooling, dropout, one-hot and the fused sparse cross-entropy.
#include "engine/ir/Graph.h"

#include "engine/Error.h"

namespace strata::ir {

namespace {
void requireF32(const Graph& g, ValueId x, const char* what) {
    if (g.dtype(x) != DType::F32)
        throw StrataError(std::string(what) + ": expects float32, got " + std::string(dtypeName(g.dtype(x))) + " " +
                          g.shape(x).toString());
}

void requireShape(const Shape& got, const Shape& want, const std::string& what) {
    if (got != want) throw ShapeError(what + ": expected " + want.toString() + ", got " + got.toString());
}
} // namespace

ValueId Graph::conv2d(ValueId x, ValueId w, const Conv2DParams& p) {
    requireF32(*this, x, "conv2d");
    requireF32(*this, w, "conv2d");
    const Window2D win = conv2dWindow(shape(x), shape(w), p, "conv2d");
    Attrs a;
    writeConv2DAttrs(a, p);
    return addNode1(OpKind::Conv2D, {x, w}, std::move(a), Shape{win.n, win.outH, win.outW, win.outC});
}

ValueId Graph::conv2dBackpropInput(ValueId dy, ValueId w, const Shape& inputShape, const Conv2DParams& p) {
    requireF32(*this, dy, "conv2d_backprop_input");
    requireF32(*this, w, "conv2d_backprop_input");
    const Window2D win = conv2dWindow(inputShape, shape(w), p, "conv2d_backprop_input");
    requireShape(shape(dy), Shape{win.n, win.outH, win.outW, win.outC}, "conv2d_backprop_input dy");
    Attrs a;
    writeConv2DAttrs(a, p);
    a.set("input_shape", inputShape.dims());
    return addNode1(OpKind::Conv2DBackpropInput, {dy, w}, std::move(a), inputShape);
}

ValueId Graph::conv2dBackpropFilter(ValueId x, ValueId dy, const Shape& filterShape, const Conv2DParams& p) {
    const Window2D win = conv2dWindow(shape(x), filterShape, p, "conv2d_backprop_filter");
    requireShape(shape(dy), Shape{win.n, win.outH, win.outW, win.outC}, "conv2d_backprop_filter dy");
    Attrs a;
    writeConv2DAttrs(a, p);
    a.set("filter_shape", filterShape.dims());
    return addNode1(OpKind::Conv2DBackpropFilter, {x, dy}, std::move(a), filterShape);
}

ValueId Graph::maxPool2d(ValueId x, const Pool2DParams& p) {
    requireF32(*this, x, "max_pool2d");
    const Window2D win = pool2dWindow(shape(x), p, "max_pool2d");
    Attrs a;
    writePool2DAttrs(a, p);
    return addNode1(OpKind::MaxPool2D, {x}, std::move(a), Shape{win.n, win.outH, win.outW, win.outC});
}

ValueId Graph::avgPool2d(ValueId x, const Pool2DParams& p) {
    requireF32(*this, x, "avg_pool2d");
    const Window2D win = pool2dWindow(shape(x), p, "avg_pool2d");
    Attrs a;
    writePool2DAttrs(a, p);
    return addNode1(OpKind::AvgPool2D, {x}, std::move(a), Shape{win.n, win.outH, win.outW, win.outC});
}

ValueId Graph::maxPool2dGrad(ValueId x, ValueId dy, const Pool2DParams& p) {
    const Window2D win = pool2dWindow(shape(x), p, "max_pool2d_grad");
    requireShape(shape(dy), Shape{win.n, win.outH, win.outW, win.outC}, "max_pool2d_grad dy");
    Attrs a;
    writePool2DAttrs(a, p);
    return addNode1(OpKind::MaxPool2DGrad, {x, dy}, std::move(a), shape(x));
}

ValueId Graph::avgPool2dGrad(ValueId dy, const Shape& inputShape, const Pool2DParams& p) {
    const Window2D win = pool2dWindow(inputShape, p, "avg_pool2d_grad");
    requireShape(shape(dy), Shape{win.n, win.outH, win.outW, win.outC}, "avg_pool2d_grad dy");
    Attrs a;
    writePool2DAttrs(a, p);
    a.set("input_shape", inputShape.dims());
    return addNode1(OpKind::AvgPool2DGrad, {dy}, std::move(a), inputShape);
}

ValueId Graph::dropout(ValueId x, ValueId step, double rate, uint64_t seed) {
    requireF32(*this, x, "dropout");
    if (!(rate >= 0.0 && rate < 1.0)) throw ConfigError("dropout: rate must be in [0, 1), got " + std::to_string(rate));
    if (shape(step).rank() != 0) throw ShapeError("dropout: step must be a scalar, got " + shape(step).toString());
    if (rate == 0.0) return x;
    return addNode1(OpKind::Dropout, {x, step}, Attrs().set("rate", rate).set("seed", int64_t(seed)), shape(x));
}

ValueId Graph::randomUniform(ValueId step, Shape s, uint64_t seed) {
    check(step, "random_uniform");
    if (shape(step).rank() != 0) throw ShapeError("random_uniform: step must be a scalar, got " + shape(step).toString());
    for (int64_t d : s.dims())
        if (d < 1) throw ShapeError("random_uniform: shape must be fully known and positive, got " + s.toString());
    return addNode1(OpKind::RandomUniform, {step}, Attrs().set("seed", int64_t(seed)).set("shape", s.dims()), s);
}

ValueId Graph::imageTransform(ValueId x, ValueId transforms, int64_t interpolation, int64_t fillMode, double fillValue) {
    requireF32(*this, x, "image_transform");
    requireF32(*this, transforms, "image_transform");
    const Shape& xs = shape(x);
    if (xs.rank() != 4) throw ShapeError("image_transform: x must be NHWC (rank 4), got " + xs.toString());
    requireShape(shape(transforms), Shape{xs[0], 8}, "image_transform transforms");
    if (interpolation < 0 || interpolation > 1) throw ConfigError("image_transform: interpolation must be 0 or 1");
    if (fillMode < 0 || fillMode > 3) throw ConfigError("image_transform: fill_mode must be 0..3");
    Attrs a;
    a.set("interpolation", interpolation).set("fill_mode", fillMode).set("fill_value", fillValue);
    return addNode1(OpKind::ImageTransform, {x, transforms}, std::move(a), xs);
}

ValueId Graph::imageTransformGrad(ValueId dy, ValueId transforms, const Attrs& attrs) {
    requireF32(*this, dy, "image_transform_grad");
    const Shape& s = shape(dy);
    if (s.rank() != 4) throw ShapeError("image_transform_grad: dy must be NHWC (rank 4), got " + s.toString());
    requireShape(shape(transforms), Shape{s[0], 8}, "image_transform_grad transforms");
    return addNode1(OpKind::ImageTransformGrad, {dy, transforms}, attrs, s);
}

ValueId Graph::oneHot(ValueId labels, int64_t depth) {
    check(labels, "one_hot");
    if (dtype(labels) != DType::I32)
        throw StrataError("one_hot: labels must be int32, got " + std::string(dtypeName(dtype(labels))));
    if (depth < 1) throw ShapeError("one_hot: depth must be positive, got " + std::to_string(depth));
    std::vector<int64_t> out = shape(labels).dims();
    out.push_back(depth);
    return addNode1(OpKind::OneHot, {labels}, Attrs().set("depth", depth), Shape(std::move(out)));
}

ValueId Graph::sparseSoftmaxCrossEntropy(ValueId logits, ValueId labels) {
    requireF32(*this, logits, "sparse_softmax_cross_entropy");
    const Shape& s = shape(logits);
    if (s.rank() != 2) throw ShapeError("sparse_softmax_cross_entropy: logits must be [batch, classes], got " + s.toString());
    if (dtype(labels) != DType::I32)
        throw StrataError("sparse_softmax_cross_entropy: labels must be int32, got " +
                          std::string(dtypeName(dtype(labels))));
    requireShape(shape(labels), Shape{s[0]}, "sparse_softmax_cross_entropy labels for logits " + s.toString());
    return addNode1(OpKind::SparseSoftmaxCrossEntropy, {logits, labels}, {}, Shape{s[0]});
}

ValueId Graph::sparseSoftmaxCrossEntropyGrad(ValueId logits, ValueId labels, ValueId dloss) {
    requireShape(shape(dloss), Shape{shape(logits)[0]}, "sparse_softmax_cross_entropy_grad dloss");
    return addNode1(OpKind::SparseSoftmaxCrossEntropyGrad, {logits, labels, dloss}, {}, shape(logits));
}

} // namespace strata::ir
