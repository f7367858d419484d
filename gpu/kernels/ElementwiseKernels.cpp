// Binary ops with broadcasting, broadcast_to, unary activations and their gradients, casts,
// dropout, random_uniform.
#include "gpu/kernels/KernelContext.h"

#include "engine/Error.h"

namespace strata::gpu {

using ir::OpKind;

namespace {
constexpr std::size_t kMaxRank = 8;

struct BinaryPush {
    uint32_t n, op, isInt, rank;
    uint32_t dims[kMaxRank], sa[kMaxRank], sb[kMaxRank];
};

void strides(const Shape& s, const Shape& out, uint32_t* st) {
    const std::size_t r = out.rank(), off = r - s.rank();
    for (std::size_t i = 0; i < off; ++i) st[i] = 0;
    int64_t acc = 1;
    for (std::size_t i = s.rank(); i-- > 0;) {
        st[i + off] = s[i] == 1 ? 0 : uint32_t(acc);
        acc *= s[i];
    }
}

// Output dims with both operands' strides; size-1 dims dropped and contiguous runs merged (as
// the CPU kernel does).
BinaryPush collapse(const Shape& out, const Shape& a, const Shape& b) {
    if (out.rank() > kMaxRank) throw StrataError("Vulkan elementwise kernel: rank above 8 is not supported: " + out.toString());
    uint32_t sa[kMaxRank], sb[kMaxRank];
    strides(a, out, sa);
    strides(b, out, sb);
    BinaryPush p{};
    p.n = uint32_t(out.numElements());
    for (std::size_t i = 0; i < out.rank(); ++i) {
        if (out[i] == 1) continue;
        const uint32_t d = uint32_t(out[i]);
        if (p.rank && p.sa[p.rank - 1] == sa[i] * d && p.sb[p.rank - 1] == sb[i] * d) {
            p.dims[p.rank - 1] *= d, p.sa[p.rank - 1] = sa[i], p.sb[p.rank - 1] = sb[i];
            continue;
        }
        p.dims[p.rank] = d, p.sa[p.rank] = sa[i], p.sb[p.rank] = sb[i];
        ++p.rank;
    }
    if (!p.rank) p.rank = 1, p.dims[0] = 1;
    return p;
}

struct UnaryPush {
    uint32_t n, op;
    float alpha, lo, hi, exponent;
};

UnaryPush unaryPush(OpKind fn, const ir::Attrs& a, int64_t n) {
    return {uint32_t(n), ir::unaryActivationCode(fn), float(a.real("alpha", 0.0)), float(a.real("min", 0.0)),
            float(a.real("max", 0.0)), float(a.real("exponent", 1.0))};
}
} // namespace

bool emitElementwise(KernelContext& k, const ir::Node& n) {
    const ir::Graph& g = k.graph;
    const ir::ValueId y = n.outputs[0];
    const int64_t count = g.shape(y).numElements();
    switch (n.op) {
    case OpKind::Add:
    case OpKind::Sub:
    case OpKind::Mul:
    case OpKind::Div: {
        BinaryPush p = collapse(g.shape(y), g.shape(n.inputs[0]), g.shape(n.inputs[1]));
        p.op = uint32_t(int(n.op) - int(OpKind::Add));
        p.isInt = g.dtype(y) == DType::I32;
        k.recorder.dispatch(k.elementwise("binary", 3, {p.op, p.isInt, p.rank}), {k.in(n.inputs[0]), k.in(n.inputs[1]), k.out(y)}, p,
                            k.groups(count));
        return true;
    }
    case OpKind::BroadcastTo: {
        BinaryPush p = collapse(g.shape(y), g.shape(n.inputs[0]), g.shape(n.inputs[0]));
        p.op = 4;
        k.recorder.dispatch(k.elementwise("binary", 3, {p.op, 0u, p.rank}), {k.in(n.inputs[0]), k.in(n.inputs[0]), k.out(y)}, p,
                            k.groups(count));
        return true;
    }
    case OpKind::UnaryGrad: {
        const UnaryPush p = unaryPush(ir::parseOpKind(n.attrs.string("fn")), n.attrs, count);
        k.recorder.dispatch(k.elementwise("unary_grad", 3, {p.op}), {k.in(n.inputs[0]), k.in(n.inputs[1]), k.out(y)}, p, k.groups(count));
        return true;
    }
    case OpKind::Cast: {
        const DType from = g.dtype(n.inputs[0]), to = g.dtype(y);
        const uint32_t p[2] = {uint32_t(count), from == to ? 0u : (from == DType::I32 ? 1u : 2u)};
        k.recorder.dispatch(k.elementwise("cast", 2), {k.in(n.inputs[0]), k.out(y)}, p, k.groups(count));
        return true;
    }
    case OpKind::Dropout: {
        struct {
            uint32_t n;
            float rate;
            uint32_t seedLo, seedHi, stepIsInt;
        } p{uint32_t(count), float(n.attrs.real("rate")), 0, 0, g.dtype(n.inputs[1]) == DType::I32};
        const auto seed = uint64_t(n.attrs.integer("seed"));
        p.seedLo = uint32_t(seed), p.seedHi = uint32_t(seed >> 32);
        k.recorder.dispatch(k.elementwise("dropout", 3), {k.in(n.inputs[0]), k.in(n.inputs[1]), k.out(y)}, p,
                            k.groups((count + 3) / 4));
        return true;
    }
    case OpKind::RandomUniform: {
        struct {
            uint32_t n, seedLo, seedHi, stepIsInt;
        } p{uint32_t(count), 0, 0, g.dtype(n.inputs[0]) == DType::I32};
        const auto seed = uint64_t(n.attrs.integer("seed"));
        p.seedLo = uint32_t(seed), p.seedHi = uint32_t(seed >> 32);
        k.recorder.dispatch(k.elementwise("random_uniform", 2), {k.in(n.inputs[0]), k.out(y)}, p, k.groups((count + 3) / 4));
        return true;
    }
    default:
        if (!ir::isUnaryActivation(n.op)) return false;
        const UnaryPush p = unaryPush(n.op, n.attrs, count);
        k.recorder.dispatch(k.elementwise("unary", 2, {p.op}), {k.in(n.inputs[0]), k.out(y)}, p, k.groups(count));
        return true;
    }
}

} // namespace strata::gpu
