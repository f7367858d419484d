// The autodiff table: one rule per differentiable primitive, each written with graph builders
// (so backward graphs use the same kernels and the same shape checks as forward graphs).
#include "engine/ir/Autodiff.h"

#include "engine/Error.h"

#include <array>

namespace strata::ir {

namespace {

using Table = std::array<GradRule, std::size_t(OpKind::Count)>;

// dy reshaped back to the rank of a reduction's input (keepdims form), then broadcast to it.
ValueId unreduce(GradContext& c, ValueId dy) {
    const Shape& in = c.xs(0);
    const auto& axes = c.node.attrs.ints("axes");
    std::vector<int64_t> kept = in.dims();
    for (int64_t a : axes) kept[std::size_t(a)] = 1;
    return c.g.broadcastTo(c.g.reshape(dy, Shape(kept)), in);
}

ValueId zeros(Graph& g, Shape s) { return g.constant(Tensor(std::move(s))); }

Table makeTable() {
    Table t{};
    auto set = [&t](OpKind op, GradRule r) { t[std::size_t(op)] = r; };

    set(OpKind::Add, [](GradContext& c) {
        if (c.needs[0]) c.dx[0] = c.g.sumToShape(c.dy[0], c.xs(0));
        if (c.needs[1]) c.dx[1] = c.g.sumToShape(c.dy[0], c.xs(1));
    });
    set(OpKind::Sub, [](GradContext& c) {
        if (c.needs[0]) c.dx[0] = c.g.sumToShape(c.dy[0], c.xs(0));
        if (c.needs[1]) c.dx[1] = c.g.neg(c.g.sumToShape(c.dy[0], c.xs(1)));
    });
    set(OpKind::Mul, [](GradContext& c) {
        if (c.needs[0]) c.dx[0] = c.g.sumToShape(c.g.mul(c.dy[0], c.x(1)), c.xs(0));
        if (c.needs[1]) c.dx[1] = c.g.sumToShape(c.g.mul(c.dy[0], c.x(0)), c.xs(1));
    });
    set(OpKind::Div, [](GradContext& c) { // d(a/b)/db = -y/b
        if (c.needs[0]) c.dx[0] = c.g.sumToShape(c.g.div(c.dy[0], c.x(1)), c.xs(0));
        if (c.needs[1]) c.dx[1] = c.g.neg(c.g.sumToShape(c.g.mul(c.dy[0], c.g.div(c.y(), c.x(1))), c.xs(1)));
    });
    set(OpKind::Neg, [](GradContext& c) { c.dx[0] = c.g.neg(c.dy[0]); });
    set(OpKind::Exp, [](GradContext& c) { c.dx[0] = c.g.mul(c.dy[0], c.y()); });
    set(OpKind::Log, [](GradContext& c) { c.dx[0] = c.g.div(c.dy[0], c.x(0)); });
    set(OpKind::Sqrt, [](GradContext& c) { c.dx[0] = c.g.div(c.g.mul(c.dy[0], c.g.scalar(0.5f)), c.y()); });
    set(OpKind::Square, [](GradContext& c) { c.dx[0] = c.g.mul(c.dy[0], c.g.mul(c.x(0), c.g.scalar(2.0f))); });
    set(OpKind::Pow, [](GradContext& c) {
        const double p = c.node.attrs.real("exponent");
        ValueId d = p == 1.0 ? c.g.scalar(1.0f) : c.g.mul(c.g.pow(c.x(0), p - 1.0), c.g.scalar(float(p)));
        c.dx[0] = c.g.mul(c.dy[0], d);
    });
    // Activations whose derivative is a function of x: one backward primitive for all of them.
    for (OpKind op : {OpKind::Abs, OpKind::Relu, OpKind::Sigmoid, OpKind::Tanh, OpKind::Elu, OpKind::Selu,
                      OpKind::Softplus, OpKind::Softsign, OpKind::Swish, OpKind::Gelu, OpKind::LeakyRelu, OpKind::Clip,
                      OpKind::HardSigmoid, OpKind::HardSilu, OpKind::Mish, OpKind::GeluTanh, OpKind::ThresholdedRelu})
        set(op, [](GradContext& c) { c.dx[0] = c.g.unaryGrad(c.node.op, c.node.attrs, c.x(0), c.dy[0]); });
    set(OpKind::Sin, [](GradContext& c) { c.dx[0] = c.g.mul(c.dy[0], c.g.cos(c.x(0))); });
    set(OpKind::Cos, [](GradContext& c) { c.dx[0] = c.g.neg(c.g.mul(c.dy[0], c.g.sin(c.x(0)))); });
    set(OpKind::Floor, [](GradContext& c) { c.dx[0] = zeros(c.g, c.xs(0)); });
    set(OpKind::Cast, [](GradContext& c) { c.dx[0] = c.g.cast(c.dy[0], c.g.dtype(c.x(0))); });
    set(OpKind::Softmax, [](GradContext& c) { // y * (dy - sum(dy * y))
        ValueId s = c.g.reduceSum(c.g.mul(c.dy[0], c.y()), {-1}, true);
        c.dx[0] = c.g.mul(c.y(), c.g.sub(c.dy[0], s));
    });
    set(OpKind::LogSoftmax, [](GradContext& c) { // dy - softmax(x) * sum(dy)
        ValueId s = c.g.reduceSum(c.dy[0], {-1}, true);
        c.dx[0] = c.g.sub(c.dy[0], c.g.mul(c.g.exp(c.y()), s));
    });
    set(OpKind::ReduceSum, [](GradContext& c) { c.dx[0] = unreduce(c, c.dy[0]); });
    set(OpKind::ReduceMean, [](GradContext& c) {
        const int64_t n = c.xs(0).numElements() / std::max<int64_t>(c.g.shape(c.y()).numElements(), 1);
        c.dx[0] = unreduce(c, c.g.mul(c.dy[0], c.g.scalar(1.0f / float(std::max<int64_t>(n, 1)))));
    });
    set(OpKind::BroadcastTo, [](GradContext& c) { c.dx[0] = c.g.sumToShape(c.dy[0], c.xs(0)); });
    set(OpKind::Reshape, [](GradContext& c) { c.dx[0] = c.g.reshape(c.dy[0], c.xs(0)); });
    set(OpKind::Transpose, [](GradContext& c) {
        const auto& perm = c.node.attrs.ints("perm");
        std::vector<int64_t> inverse(perm.size());
        for (std::size_t i = 0; i < perm.size(); ++i) inverse[std::size_t(perm[i])] = int64_t(i);
        c.dx[0] = c.g.transpose(c.dy[0], inverse);
    });
    set(OpKind::Concat, [](GradContext& c) {
        const int64_t axis = c.node.attrs.integer("axis");
        int64_t begin = 0;
        for (std::size_t i = 0; i < c.node.inputs.size(); ++i) {
            const int64_t size = c.xs(i)[std::size_t(axis)];
            if (c.needs[i]) c.dx[i] = c.g.slice(c.dy[0], axis, begin, size);
            begin += size;
        }
    });
    set(OpKind::Slice, [](GradContext& c) { // zeros around dy along the axis
        const auto axis = std::size_t(c.node.attrs.integer("axis"));
        const int64_t begin = c.node.attrs.integer("begin"), size = c.node.attrs.integer("size");
        const int64_t after = c.xs(0)[axis] - begin - size;
        std::vector<ValueId> parts;
        for (int64_t len : {begin, int64_t(-1), after}) {
            if (len < 0) { parts.push_back(c.dy[0]); continue; }
            if (len == 0) continue;
            std::vector<int64_t> d = c.xs(0).dims();
            d[axis] = len;
            parts.push_back(zeros(c.g, Shape(d)));
        }
        c.dx[0] = c.g.concat(parts, int64_t(axis));
    });
    set(OpKind::MatMul, [](GradContext& c) {
        const bool ta = c.node.attrs.integer("transpose_a") != 0, tb = c.node.attrs.integer("transpose_b") != 0;
        ValueId a = c.x(0), b = c.x(1), d = c.dy[0];
        if (c.needs[0]) c.dx[0] = ta ? c.g.matmul(b, d, tb, true) : c.g.matmul(d, b, false, !tb);
        if (c.needs[1]) c.dx[1] = tb ? c.g.matmul(d, a, true, ta) : c.g.matmul(a, d, !ta, false);
    });
    set(OpKind::BatchMatMul, [](GradContext& c) { // MatMul's rule per batch entry
        const bool ta = c.node.attrs.integer("transpose_a") != 0, tb = c.node.attrs.integer("transpose_b") != 0;
        ValueId a = c.x(0), b = c.x(1), d = c.dy[0];
        if (c.needs[0]) c.dx[0] = ta ? c.g.batchMatmul(b, d, tb, true) : c.g.batchMatmul(d, b, false, !tb);
        if (c.needs[1]) c.dx[1] = tb ? c.g.batchMatmul(d, a, true, ta) : c.g.batchMatmul(a, d, !ta, false);
    });
    set(OpKind::Conv2D, [](GradContext& c) {
        const Conv2DParams p = readConv2DAttrs(c.node.attrs);
        if (c.needs[0]) c.dx[0] = c.g.conv2dBackpropInput(c.dy[0], c.x(1), c.xs(0), p);
        if (c.needs[1]) c.dx[1] = c.g.conv2dBackpropFilter(c.x(0), c.dy[0], c.xs(1), p);
    });
    set(OpKind::Conv2DBackpropInput, [](GradContext& c) { // y = A^T dy, A the convolution by w: dy' = A g
        const Conv2DParams p = readConv2DAttrs(c.node.attrs);
        if (c.needs[0]) c.dx[0] = c.g.conv2d(c.dy[0], c.x(1), p);
        if (c.needs[1]) c.dx[1] = c.g.conv2dBackpropFilter(c.dy[0], c.x(0), c.xs(1), p);
    });
    set(OpKind::MaxPool2D, [](GradContext& c) {
        c.dx[0] = c.g.maxPool2dGrad(c.x(0), c.dy[0], readPool2DAttrs(c.node.attrs));
    });
    set(OpKind::AvgPool2D, [](GradContext& c) {
        c.dx[0] = c.g.avgPool2dGrad(c.dy[0], c.xs(0), readPool2DAttrs(c.node.attrs));
    });
    // ImageTransform is linear in x: its gradient is the adjoint, whose own gradient is the forward op.
    // The transforms (drawn by RandomUniform in the augmentation layers) get none.
    set(OpKind::ImageTransform, [](GradContext& c) {
        if (c.needs[1])
            throw StrataError("image_transform (" + c.node.scope + "): no gradient with respect to the transforms; an "
                              "augmentation's parameters cannot depend on trainable values");
        if (c.needs[0]) c.dx[0] = c.g.imageTransformGrad(c.dy[0], c.x(1), c.node.attrs);
    });
    set(OpKind::ImageTransformGrad, [](GradContext& c) {
        if (c.needs[1])
            throw StrataError("image_transform_grad (" + c.node.scope + "): no gradient with respect to the transforms");
        if (c.needs[0])
            c.dx[0] = c.g.imageTransform(c.dy[0], c.x(1), c.node.attrs.integer("interpolation"), c.node.attrs.integer("fill_mode"),
                                         c.node.attrs.real("fill_value"));
    });
    set(OpKind::Dropout, [](GradContext& c) { // the same mask, a pure function of (seed, step, index)
        if (c.needs[0])
            c.dx[0] = c.g.dropout(c.dy[0], c.x(1), c.node.attrs.real("rate"), uint64_t(c.node.attrs.integer("seed")));
    });
    set(OpKind::SparseSoftmaxCrossEntropy, [](GradContext& c) {
        if (c.needs[0]) c.dx[0] = c.g.sparseSoftmaxCrossEntropyGrad(c.x(0), c.x(1), c.dy[0]);
    });
    return t;
}

} // namespace

GradRule gradRule(OpKind op) {
    static const Table table = makeTable();
    return table[std::size_t(op)];
}

} // namespace strata::ir
