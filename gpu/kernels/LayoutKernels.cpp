// Softmax rows, reductions, transpose, concat, slice and image_transform (and its adjoint).
#include "gpu/kernels/KernelContext.h"

#include "engine/Error.h"

#include <algorithm>

namespace strata::gpu {

using ir::OpKind;

namespace {

struct ReducePush {
    uint32_t nOut, keptRank, redRank, redCount;
    uint32_t keptDims[4], keptStrides[4], redDims[4], redStrides[4];
    float scale;
};

// The input as runs of kept and reduced dims (size-1 dims dropped, contiguous neighbours of the
// same kind merged), at most four of each.
ReducePush reducePush(const Shape& s, const std::vector<int64_t>& axes, bool mean) {
    ReducePush p{};
    std::vector<int64_t> st(s.rank());
    int64_t acc = 1;
    for (std::size_t i = s.rank(); i-- > 0;) st[i] = acc, acc *= s[i];
    int lastKind = -1;
    for (std::size_t i = 0; i < s.rank(); ++i) {
        if (s[i] == 1) continue;
        const bool reduced = std::find(axes.begin(), axes.end(), int64_t(i)) != axes.end();
        uint32_t* dims = reduced ? p.redDims : p.keptDims;
        uint32_t* strides = reduced ? p.redStrides : p.keptStrides;
        uint32_t& rank = reduced ? p.redRank : p.keptRank;
        if (lastKind == int(reduced) && int64_t(strides[rank - 1]) == st[i] * s[i]) {
            dims[rank - 1] *= uint32_t(s[i]);
            strides[rank - 1] = uint32_t(st[i]);
        } else {
            if (rank == 4) throw StrataError("Vulkan reduce kernel: too many alternating axes in " + s.toString());
            dims[rank] = uint32_t(s[i]), strides[rank] = uint32_t(st[i]);
            ++rank;
        }
        lastKind = int(reduced);
    }
    p.redCount = 1;
    for (uint32_t i = 0; i < p.redRank; ++i) p.redCount *= p.redDims[i];
    p.nOut = 1;
    for (uint32_t i = 0; i < p.keptRank; ++i) p.nOut *= p.keptDims[i];
    const int64_t inN = s.numElements();
    p.scale = mean && inN > 0 ? float(p.nOut) / float(inN) : 1.0f;
    if (inN == 0) p.nOut = 0;
    return p;
}

struct CopyRowsPush {
    uint32_t outer, chunk, srcRow, srcOffset, dstRow, dstOffset;
};

void outerInner(const Shape& s, int64_t axis, int64_t& outer, int64_t& inner) {
    outer = 1, inner = 1;
    for (int64_t i = 0; i < axis; ++i) outer *= s[std::size_t(i)];
    for (std::size_t i = std::size_t(axis) + 1; i < s.rank(); ++i) inner *= s[i];
}

} // namespace

bool emitLayout(KernelContext& k, const ir::Node& n) {
    const ir::Graph& g = k.graph;
    const ir::ValueId y = n.outputs[0];
    const Shape& ys = g.shape(y);
    switch (n.op) {
    case OpKind::ImageTransform:
    case OpKind::ImageTransformGrad: {
        const Shape& s = g.shape(n.inputs[0]);
        const bool grad = n.op == OpKind::ImageTransformGrad;
        struct {
            uint32_t n, h, w, c, interpolation, fillMode;
            float fillValue;
            uint32_t grad;
        } p{uint32_t(s[0]), uint32_t(s[1]), uint32_t(s[2]), uint32_t(s[3]), uint32_t(n.attrs.integer("interpolation")),
            uint32_t(n.attrs.integer("fill_mode")), float(n.attrs.real("fill_value")), grad};
        k.recorder.dispatch(k.elementwise("image_transform", 3), {k.in(n.inputs[0]), k.in(n.inputs[1]), k.out(y)}, p,
                            k.groups(grad ? s[0] * s[3] : s.numElements()));
        return true;
    }
    case OpKind::Softmax:
    case OpKind::LogSoftmax: {
        const uint32_t cols = uint32_t(std::max<int64_t>(ys.rank() ? ys.back() : 1, 1));
        const uint32_t p[3] = {uint32_t(ys.numElements() / cols), cols, n.op == OpKind::LogSoftmax};
        k.recorder.dispatch(k.elementwise("softmax", 2), {k.in(n.inputs[0]), k.out(y)}, p, k.groups(p[0]));
        return true;
    }
    case OpKind::ReduceSum:
    case OpKind::ReduceMean: {
        const Shape& xs = g.shape(n.inputs[0]);
        const ReducePush p = reducePush(xs, n.attrs.ints("axes"), n.op == OpKind::ReduceMean);
        if (p.nOut == 0 && ys.numElements() > 0) { // reducing an empty tensor: zeros
            k.recorder.fill(k.range(y), 0);
            return true;
        }
        k.recorder.dispatch(k.elementwise("reduce", 2), {k.in(n.inputs[0]), k.out(y)}, p, k.groups(p.nOut));
        return true;
    }
    case OpKind::Transpose: {
        const Shape& xs = g.shape(n.inputs[0]);
        const auto& perm = n.attrs.ints("perm");
        if (xs.rank() > 8) throw StrataError("Vulkan transpose kernel: rank above 8 is not supported: " + xs.toString());
        struct {
            uint32_t n, rank, dims[8], strides[8];
        } p{};
        std::vector<int64_t> inStride(xs.rank());
        int64_t acc = 1;
        for (std::size_t i = xs.rank(); i-- > 0;) inStride[i] = acc, acc *= xs[i];
        p.n = uint32_t(xs.numElements());
        p.rank = uint32_t(std::max<std::size_t>(xs.rank(), 1));
        p.dims[0] = 1;
        for (std::size_t i = 0; i < xs.rank(); ++i)
            p.dims[i] = uint32_t(xs[std::size_t(perm[i])]), p.strides[i] = uint32_t(inStride[std::size_t(perm[i])]);
        k.recorder.dispatch(k.elementwise("transpose", 2), {k.in(n.inputs[0]), k.out(y)}, p, k.groups(p.n));
        return true;
    }
    case OpKind::Concat: {
        const int64_t axis = n.attrs.integer("axis");
        int64_t outer, inner, col = 0;
        outerInner(ys, axis, outer, inner);
        const int64_t dstRow = ys[std::size_t(axis)] * inner;
        for (ir::ValueId x : n.inputs) {
            const int64_t chunk = g.shape(x)[std::size_t(axis)] * inner;
            const CopyRowsPush p{uint32_t(outer), uint32_t(chunk), uint32_t(chunk), 0, uint32_t(dstRow), uint32_t(col)};
            k.recorder.dispatch(k.elementwise("copy_rows", 2), {k.in(x), k.out(y)}, p, k.groups(outer * chunk));
            col += chunk;
        }
        return true;
    }
    case OpKind::Slice: {
        const Shape& xs = g.shape(n.inputs[0]);
        const int64_t axis = n.attrs.integer("axis"), begin = n.attrs.integer("begin"), size = n.attrs.integer("size");
        int64_t outer, inner;
        outerInner(xs, axis, outer, inner);
        const CopyRowsPush p{uint32_t(outer), uint32_t(size * inner), uint32_t(xs[std::size_t(axis)] * inner),
                             uint32_t(begin * inner), uint32_t(size * inner), 0};
        k.recorder.dispatch(k.elementwise("copy_rows", 2), {k.in(n.inputs[0]), k.out(y)}, p, k.groups(outer * size * inner));
        return true;
    }
    default: return false;
    }
}

} // namespace strata::gpu
