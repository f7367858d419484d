// Graph builders for elementwise, reduction, shape and matmul ops: shape rules and errors.
#include "engine/ir/Graph.h"

#include "engine/Error.h"

#include <algorithm>

namespace strata::ir {

namespace {
std::string name(OpKind op) { return std::string(opName(op)); }

void requireF32(const Graph& g, ValueId x, OpKind op) {
    if (g.dtype(x) != DType::F32)
        throw StrataError(name(op) + ": expects float32, got " + std::string(dtypeName(g.dtype(x))) + " " +
                          g.shape(x).toString());
}

// Normalizes possibly negative axes against `rank`; throws ShapeError on out-of-range or repeats.
std::vector<int64_t> normalizeAxes(std::vector<int64_t> axes, const Shape& s, const std::string& what) {
    const auto rank = int64_t(s.rank());
    for (int64_t& a : axes) {
        if (a < -rank || a >= rank)
            throw ShapeError(what + ": axis " + std::to_string(a) + " is out of range for shape " + s.toString());
        if (a < 0) a += rank;
    }
    std::sort(axes.begin(), axes.end());
    if (std::adjacent_find(axes.begin(), axes.end()) != axes.end())
        throw ShapeError(what + ": repeated axis for shape " + s.toString());
    return axes;
}
} // namespace

Shape broadcastShapes(const Shape& a, const Shape& b, const std::string& what) {
    const std::size_t r = std::max(a.rank(), b.rank());
    std::vector<int64_t> out(r);
    for (std::size_t i = 0; i < r; ++i) {
        const int64_t da = i < r - a.rank() ? 1 : a[i - (r - a.rank())];
        const int64_t db = i < r - b.rank() ? 1 : b[i - (r - b.rank())];
        if (da != db && da != 1 && db != 1)
            throw ShapeError(what + ": cannot broadcast " + a.toString() + " with " + b.toString());
        out[i] = da == 1 ? db : da;
    }
    return Shape(std::move(out));
}

ValueId Graph::binary(OpKind op, ValueId a, ValueId b) {
    check(a, name(op).c_str());
    check(b, name(op).c_str());
    if (dtype(a) != dtype(b))
        throw StrataError(name(op) + ": operands have different dtypes: " + std::string(dtypeName(dtype(a))) + " " +
                          shape(a).toString() + " and " + std::string(dtypeName(dtype(b))) + " " + shape(b).toString());
    return addNode1(op, {a, b}, {}, broadcastShapes(shape(a), shape(b), name(op)), dtype(a));
}

ValueId Graph::add(ValueId a, ValueId b) { return binary(OpKind::Add, a, b); }
ValueId Graph::sub(ValueId a, ValueId b) { return binary(OpKind::Sub, a, b); }
ValueId Graph::mul(ValueId a, ValueId b) { return binary(OpKind::Mul, a, b); }
ValueId Graph::div(ValueId a, ValueId b) {
    const ValueId r = binary(OpKind::Div, a, b);
    requireF32(*this, a, OpKind::Div);
    return r;
}

ValueId Graph::unary(OpKind op, ValueId x, Attrs attrs) {
    check(x, name(op).c_str());
    if (!isUnaryActivation(op)) throw StrataError(name(op) + " is not an elementwise unary op");
    requireF32(*this, x, op);
    return addNode1(op, {x}, std::move(attrs), shape(x));
}

ValueId Graph::pow(ValueId x, double e) { return unary(OpKind::Pow, x, Attrs().set("exponent", e)); }
ValueId Graph::elu(ValueId x, double alpha) { return unary(OpKind::Elu, x, Attrs().set("alpha", alpha)); }
ValueId Graph::leakyRelu(ValueId x, double alpha) { return unary(OpKind::LeakyRelu, x, Attrs().set("alpha", alpha)); }
ValueId Graph::thresholdedRelu(ValueId x, double threshold) {
    return unary(OpKind::ThresholdedRelu, x, Attrs().set("alpha", threshold));
}
ValueId Graph::clip(ValueId x, double lo, double hi) {
    return unary(OpKind::Clip, x, Attrs().set("min", lo).set("max", hi));
}

ValueId Graph::unaryGrad(OpKind fn, const Attrs& fnAttrs, ValueId x, ValueId dy) {
    if (!isUnaryActivation(fn)) throw StrataError("unary_grad: " + name(fn) + " is not a unary op");
    if (shape(x) != shape(dy))
        throw ShapeError("unary_grad: x " + shape(x).toString() + " and dy " + shape(dy).toString() + " differ");
    Attrs a = fnAttrs;
    a.set("fn", std::string(opName(fn)));
    return addNode1(OpKind::UnaryGrad, {x, dy}, std::move(a), shape(x));
}

ValueId Graph::cast(ValueId x, DType t) {
    check(x, "cast");
    if (dtype(x) == t) return x;
    return addNode1(OpKind::Cast, {x}, Attrs().set("dtype", std::string(dtypeName(t))), shape(x), t);
}

ValueId Graph::softmax(ValueId x) {
    requireF32(*this, x, OpKind::Softmax);
    if (shape(x).rank() == 0) throw ShapeError("softmax: needs at least one axis, got a scalar");
    return addNode1(OpKind::Softmax, {x}, Attrs().set("axis", -1), shape(x));
}

ValueId Graph::logSoftmax(ValueId x) {
    requireF32(*this, x, OpKind::LogSoftmax);
    if (shape(x).rank() == 0) throw ShapeError("log_softmax: needs at least one axis, got a scalar");
    return addNode1(OpKind::LogSoftmax, {x}, Attrs().set("axis", -1), shape(x));
}

ValueId Graph::reduce(OpKind op, ValueId x, std::vector<int64_t> axes, bool keepDims) {
    requireF32(*this, x, op);
    axes = normalizeAxes(std::move(axes), shape(x), name(op));
    std::vector<int64_t> out;
    for (std::size_t i = 0; i < shape(x).rank(); ++i) {
        const bool reduced = std::binary_search(axes.begin(), axes.end(), int64_t(i));
        if (!reduced) out.push_back(shape(x)[i]);
        else if (keepDims) out.push_back(1);
    }
    return addNode1(op, {x}, Attrs().set("axes", axes).set("keepdims", keepDims), Shape(std::move(out)));
}

ValueId Graph::reduceSum(ValueId x, std::vector<int64_t> axes, bool keepDims) {
    return reduce(OpKind::ReduceSum, x, std::move(axes), keepDims);
}
ValueId Graph::reduceMean(ValueId x, std::vector<int64_t> axes, bool keepDims) {
    return reduce(OpKind::ReduceMean, x, std::move(axes), keepDims);
}

ValueId Graph::broadcastTo(ValueId x, Shape s) {
    check(x, "broadcast_to");
    if (broadcastShapes(shape(x), s, "broadcast_to") != s)
        throw ShapeError("broadcast_to: cannot broadcast " + shape(x).toString() + " to " + s.toString());
    if (shape(x) == s) return x;
    return addNode1(OpKind::BroadcastTo, {x}, Attrs().set("shape", s.dims()), s, dtype(x));
}

ValueId Graph::sumToShape(ValueId x, const Shape& targetRef) {
    // Copies: `targetRef` may be a shape of this graph, and reduceSum below adds a value, which
    // may move the storage those references point into.
    const Shape target = targetRef;
    const Shape s = shape(x);
    if (s == target) return x;
    if (broadcastShapes(target, s, "sum_to_shape") != s)
        throw ShapeError("sum_to_shape: " + target.toString() + " does not broadcast to " + s.toString());
    std::vector<int64_t> axes;
    const std::size_t lead = s.rank() - target.rank();
    for (std::size_t i = 0; i < s.rank(); ++i)
        if (i < lead || (target[i - lead] == 1 && s[i] != 1)) axes.push_back(int64_t(i));
    ValueId r = axes.empty() ? x : reduceSum(x, axes);
    return shape(r) == target ? r : reshape(r, target);
}

ValueId Graph::reshape(ValueId x, Shape s) {
    check(x, "reshape");
    std::vector<int64_t> d = s.dims();
    const int64_t n = shape(x).numElements();
    int64_t known = 1, infer = -1;
    for (std::size_t i = 0; i < d.size(); ++i) {
        if (d[i] == -1) {
            if (infer >= 0) throw ShapeError("reshape: more than one -1 in target " + s.toString());
            infer = int64_t(i);
        } else if (d[i] < 0) {
            throw ShapeError("reshape: negative dimension in target " + s.toString());
        } else {
            known *= d[i];
        }
    }
    if (infer >= 0 && known > 0 && n % known == 0) d[std::size_t(infer)] = n / known;
    Shape target(std::move(d));
    if (!target.isFullyKnown() || target.numElements() != n)
        throw ShapeError("reshape: cannot reshape " + shape(x).toString() + " (" + std::to_string(n) +
                         " elements) to " + s.toString());
    if (target == shape(x)) return x;
    return addNode1(OpKind::Reshape, {x}, Attrs().set("shape", target.dims()), target, dtype(x));
}

ValueId Graph::transpose(ValueId x, std::vector<int64_t> perm) {
    check(x, "transpose");
    const Shape& s = shape(x);
    std::vector<int64_t> sorted = normalizeAxes(perm, s, "transpose");
    if (sorted.size() != s.rank())
        throw ShapeError("transpose: permutation has " + std::to_string(perm.size()) + " axes, shape " +
                         s.toString() + " has " + std::to_string(s.rank()));
    std::vector<int64_t> out(s.rank());
    for (std::size_t i = 0; i < perm.size(); ++i) {
        if (perm[i] < 0) perm[i] += int64_t(s.rank());
        out[i] = s[std::size_t(perm[i])];
    }
    return addNode1(OpKind::Transpose, {x}, Attrs().set("perm", perm), Shape(std::move(out)), dtype(x));
}

ValueId Graph::concat(const std::vector<ValueId>& xs, int64_t axis) {
    if (xs.empty()) throw ShapeError("concat: needs at least one input");
    for (ValueId v : xs) check(v, "concat");
    const Shape& first = shape(xs[0]);
    const auto rank = int64_t(first.rank());
    if (axis < -rank || axis >= rank)
        throw ShapeError("concat: axis " + std::to_string(axis) + " is out of range for shape " + first.toString());
    if (axis < 0) axis += rank;
    std::vector<int64_t> out = first.dims();
    out[std::size_t(axis)] = 0;
    for (ValueId v : xs) {
        const Shape& s = shape(v);
        bool ok = s.rank() == first.rank() && dtype(v) == dtype(xs[0]);
        for (std::size_t i = 0; ok && i < s.rank(); ++i) ok = int64_t(i) == axis || s[i] == first[i];
        if (!ok)
            throw ShapeError("concat: inputs " + first.toString() + " and " + s.toString() +
                             " differ outside axis " + std::to_string(axis));
        out[std::size_t(axis)] += s[std::size_t(axis)];
    }
    if (xs.size() == 1) return xs[0];
    return addNode1(OpKind::Concat, xs, Attrs().set("axis", axis), Shape(std::move(out)), dtype(xs[0]));
}

ValueId Graph::slice(ValueId x, int64_t axis, int64_t begin, int64_t size) {
    check(x, "slice");
    const Shape& s = shape(x);
    const auto rank = int64_t(s.rank());
    if (axis < 0) axis += rank;
    if (axis < 0 || axis >= rank || begin < 0 || size < 0 || begin + size > s[std::size_t(axis)])
        throw ShapeError("slice: [" + std::to_string(begin) + ", " + std::to_string(begin + size) + ") on axis " +
                         std::to_string(axis) + " is out of range for shape " + s.toString());
    std::vector<int64_t> out = s.dims();
    out[std::size_t(axis)] = size;
    return addNode1(OpKind::Slice, {x}, Attrs().set("axis", axis).set("begin", begin).set("size", size),
                    Shape(std::move(out)), dtype(x));
}

ValueId Graph::matmul(ValueId a, ValueId b, bool ta, bool tb) {
    requireF32(*this, a, OpKind::MatMul);
    requireF32(*this, b, OpKind::MatMul);
    const Shape& sa = shape(a);
    const Shape& sb = shape(b);
    if (sa.rank() != 2 || sb.rank() != 2)
        throw ShapeError("matmul: expects rank-2 operands, got " + sa.toString() + " and " + sb.toString());
    const int64_t m = ta ? sa[1] : sa[0], k = ta ? sa[0] : sa[1];
    const int64_t k2 = tb ? sb[1] : sb[0], n = tb ? sb[0] : sb[1];
    if (k != k2)
        throw ShapeError("matmul: inner dimensions differ: " + sa.toString() + (ta ? "^T" : "") + " x " +
                         sb.toString() + (tb ? "^T" : ""));
    return addNode1(OpKind::MatMul, {a, b}, Attrs().set("transpose_a", ta).set("transpose_b", tb), Shape{m, n});
}

ValueId Graph::batchMatmul(ValueId a, ValueId b, bool ta, bool tb) {
    requireF32(*this, a, OpKind::BatchMatMul);
    requireF32(*this, b, OpKind::BatchMatMul);
    const Shape& sa = shape(a);
    const Shape& sb = shape(b);
    if (sa.rank() != 3 || sb.rank() != 3)
        throw ShapeError("batch_matmul: expects rank-3 operands, got " + sa.toString() + " and " + sb.toString());
    if (sa[0] != sb[0])
        throw ShapeError("batch_matmul: batch dimensions differ: " + sa.toString() + " and " + sb.toString());
    const int64_t m = ta ? sa[2] : sa[1], k = ta ? sa[1] : sa[2];
    const int64_t k2 = tb ? sb[2] : sb[1], n = tb ? sb[1] : sb[2];
    if (k != k2)
        throw ShapeError("batch_matmul: inner dimensions differ: " + sa.toString() + (ta ? "^T" : "") + " x " +
                         sb.toString() + (tb ? "^T" : ""));
    return addNode1(OpKind::BatchMatMul, {a, b}, Attrs().set("transpose_a", ta).set("transpose_b", tb), Shape{sa[0], m, n});
}

} // namespace strata::ir
