// The CPU dispatcher: one node, its buffers, the kernel that computes it.
#include "engine/Error.h"
#include "engine/cpu/CpuPlan.h"
#include "engine/cpu/Kernels.h"
#include "engine/ir/Schedule.h"

namespace strata::cpu {

using ir::Attrs;
using ir::Graph;
using ir::Node;

namespace {
UnaryParams unaryParams(const Attrs& a) {
    UnaryParams p;
    p.alpha = float(a.real("alpha", 0.0));
    p.lo = float(a.real("min", 0.0));
    p.hi = float(a.real("max", 0.0));
    p.exponent = float(a.real("exponent", 1.0));
    return p;
}

int64_t scalarInt(const Graph& g, ir::ValueId v, const void* p) {
    return g.dtype(v) == DType::I32 ? int64_t(*static_cast<const int32_t*>(p)) : int64_t(*static_cast<const float*>(p));
}
} // namespace

void execute(const Graph& g, const Node& n, void* const* ptr, float* scratch) {
    auto in = [&](std::size_t i) { return static_cast<const float*>(ptr[n.inputs[i]]); };
    auto raw = [&](std::size_t i) { return static_cast<const void*>(ptr[n.inputs[i]]); };
    auto out = [&](std::size_t i = 0) { return static_cast<float*>(ptr[n.outputs[i]]); };
    auto xs = [&](std::size_t i) -> const Shape& { return g.shape(n.inputs[i]); };
    const Shape& ys = g.shape(n.outputs[0]);
    const int64_t count = ys.numElements();
    const Attrs& a = n.attrs;

    switch (n.op) {
    case OpKind::Placeholder:
    case OpKind::Variable:
    case OpKind::Constant:
    case OpKind::Reshape: return; // no computation: storage only
    case OpKind::Add:
    case OpKind::Sub:
    case OpKind::Mul:
    case OpKind::Div: return binary(n.op, g.dtype(n.outputs[0]), raw(0), xs(0), raw(1), xs(1), out(), ys);
    case OpKind::UnaryGrad:
        return unaryGrad(ir::parseOpKind(a.string("fn")), unaryParams(a), in(0), in(1), out(), count);
    case OpKind::Cast: return cast(g.dtype(n.inputs[0]), raw(0), g.dtype(n.outputs[0]), ptr[n.outputs[0]], count);
    case OpKind::Softmax:
    case OpKind::LogSoftmax:
        return softmaxRows(in(0), out(), count / std::max<int64_t>(ys.back(), 1), ys.back(), n.op == OpKind::LogSoftmax);
    case OpKind::ReduceSum:
    case OpKind::ReduceMean: return reduce(n.op == OpKind::ReduceMean, in(0), xs(0), a.ints("axes"), out());
    case OpKind::BroadcastTo: return broadcastTo(raw(0), xs(0), ptr[n.outputs[0]], ys);
    case OpKind::Transpose: return transpose(raw(0), xs(0), a.ints("perm"), ptr[n.outputs[0]]);
    case OpKind::Concat: {
        // Small vectors: concat is rare in hot loops; kept simple.
        std::vector<const void*> xsPtr;
        std::vector<Shape> shapes;
        for (std::size_t i = 0; i < n.inputs.size(); ++i) xsPtr.push_back(raw(i)), shapes.push_back(xs(i));
        return concat(xsPtr, shapes, a.integer("axis"), ptr[n.outputs[0]]);
    }
    case OpKind::Slice:
        return slice(raw(0), xs(0), a.integer("axis"), a.integer("begin"), a.integer("size"), ptr[n.outputs[0]]);
    case OpKind::MatMul: {
        const bool ta = a.integer("transpose_a") != 0, tb = a.integer("transpose_b") != 0;
        const int64_t k = ta ? xs(0)[0] : xs(0)[1];
        return matmul(in(0), in(1), out(), ys[0], ys[1], k, ta, tb);
    }
    case OpKind::BatchMatMul: { // one GEMM per batch entry
        const bool ta = a.integer("transpose_a") != 0, tb = a.integer("transpose_b") != 0;
        const int64_t batch = ys[0], m = ys[1], n2 = ys[2], k = ta ? xs(0)[1] : xs(0)[2];
        for (int64_t i = 0; i < batch; ++i) matmul(in(0) + i * m * k, in(1) + i * k * n2, out() + i * m * n2, m, n2, k, ta, tb);
        return;
    }
    case OpKind::Conv2D:
        return conv2d(ir::conv2dWindow(xs(0), xs(1), ir::readConv2DAttrs(a), "conv2d"), in(0), in(1), out(), scratch);
    case OpKind::Conv2DBackpropInput:
        return conv2dBackpropInput(ir::conv2dWindow(ys, xs(1), ir::readConv2DAttrs(a), "conv2d"), in(0), in(1), out(), scratch);
    case OpKind::Conv2DBackpropFilter:
        return conv2dBackpropFilter(ir::conv2dWindow(xs(0), ys, ir::readConv2DAttrs(a), "conv2d"), in(0), in(1), out(), scratch);
    case OpKind::MaxPool2D: return maxPool2d(ir::pool2dWindow(xs(0), ir::readPool2DAttrs(a), "max_pool2d"), in(0), out());
    case OpKind::AvgPool2D: return avgPool2d(ir::pool2dWindow(xs(0), ir::readPool2DAttrs(a), "avg_pool2d"), in(0), out());
    case OpKind::MaxPool2DGrad:
        return maxPool2dGrad(ir::pool2dWindow(xs(0), ir::readPool2DAttrs(a), "max_pool2d"), in(0), in(1), out());
    case OpKind::AvgPool2DGrad:
        return avgPool2dGrad(ir::pool2dWindow(ys, ir::readPool2DAttrs(a), "avg_pool2d"), in(0), out());
    case OpKind::Dropout:
        return dropout(in(0), out(), count, float(a.real("rate")), uint64_t(a.integer("seed")),
                       uint32_t(scalarInt(g, n.inputs[1], raw(1))));
    case OpKind::RandomUniform:
        return randomUniform(out(), count, uint64_t(a.integer("seed")), uint32_t(scalarInt(g, n.inputs[0], raw(0))));
    case OpKind::ImageTransform:
    case OpKind::ImageTransformGrad: {
        const Shape& s = xs(0);
        const ImageTransformParams p{s[0], s[1], s[2], s[3], a.integer("interpolation"), a.integer("fill_mode"),
                                     float(a.real("fill_value"))};
        if (n.op == OpKind::ImageTransform) return imageTransform(p, in(0), in(1), out());
        return imageTransformGrad(p, in(0), in(1), out());
    }
    case OpKind::OneHot:
        return oneHot(static_cast<const int32_t*>(raw(0)), xs(0).numElements(), a.integer("depth"), out());
    case OpKind::SparseSoftmaxCrossEntropy:
        return sparseSoftmaxCrossEntropy(in(0), static_cast<const int32_t*>(raw(1)), xs(0)[0], xs(0)[1], out());
    case OpKind::SparseSoftmaxCrossEntropyGrad:
        return sparseSoftmaxCrossEntropyGrad(in(0), static_cast<const int32_t*>(raw(1)), in(2), xs(0)[0], xs(0)[1], out());
    case OpKind::LearningRate:
        *out() = float(ir::LearningRateSchedule::fromAttrs(a).at(scalarInt(g, n.inputs[0], raw(0))));
        return;
    case OpKind::AdamUpdate: {
        AdamParams p{*in(4), float(a.real("beta_1")), float(a.real("beta_2")), float(a.real("epsilon")),
                     float(a.real("weight_decay")), scalarInt(g, n.inputs[5], raw(5)) + 1};
        return adamUpdate(p, in(0), in(1), in(2), in(3), out(0), out(1), out(2), count);
    }
    default:
        if (ir::isUnaryActivation(n.op)) return unary(n.op, unaryParams(a), in(0), out(), count);
        throw StrataError("the CPU backend has no kernel for op '" + std::string(ir::opName(n.op)) + "'");
    }
}

} // namespace strata::cpu
