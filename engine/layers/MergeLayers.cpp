#include "engine/layers/MergeLayers.h"

#include "engine/Error.h"
#include "engine/LayerRegistry.h"
#include "engine/Masks.h"

#include <algorithm>

namespace strata::layers {

// NumPy broadcasting over inputs of one rank: per axis the sizes agree or one of them is 1 (the
// squeeze-and-excitation product of (N, 1, 1, C) and (N, H, W, C)). An unknown size meets a known
// one as that one (a 1 against an unknown stays unknown).
Shape ElementwiseMerge::outputShape(const std::vector<Shape>& inputs) const {
    Shape out = inputs.at(0);
    for (std::size_t i = 1; i < inputs.size(); ++i) {
        const Shape& s = inputs[i];
        if (s.rank() != out.rank())
            throw ShapeError("needs inputs of one rank (sizes equal or 1 per axis, as NumPy broadcasts), got " + shapesText(inputs));
        for (std::size_t d = 0; d < out.rank(); ++d) {
            if (!s.isKnown(d)) {
                if (out.isKnown(d) && out[d] == 1) out[d] = kUnknownDim;
            } else if (!out.isKnown(d)) {
                if (s[d] != 1) out[d] = s[d];
            } else if (s[d] != out[d]) {
                if (s[d] != 1 && out[d] != 1)
                    throw ShapeError("needs inputs whose sizes agree or are 1 on every axis (NumPy broadcasting), got " +
                                     shapesText(inputs));
                out[d] = std::max(out[d], s[d]);
            }
        }
    }
    return out;
}

LayerOutput ElementwiseMerge::call(CallContext& ctx, const std::vector<ir::ValueId>& in) const {
    ir::Graph& g = ctx.graph();
    std::vector<ir::ValueId> x = in;
    bool allMasked = !in.empty();
    for (std::size_t i = 0; i < x.size(); ++i) {
        const ir::ValueId m = ctx.inputMask(i);
        allMasked = allMasked && m != ir::kNoValue;
        if (m == ir::kNoValue || isAdd()) continue;
        masks::requireSequenceMask(g, m, x[i], "Multiply");
        x[i] = masks::select(g, masks::expandLast(g, m), x[i], g.scalar(1.0f)); // Keras: masked out -> 1
    }
    ir::ValueId y = x.at(0);
    for (std::size_t i = 1; i < x.size(); ++i) y = isAdd() ? g.add(y, x[i]) : g.mul(y, x[i]);
    if (isAdd() || !allMasked) return {y};
    // Keras: the product is 0 where no input is unmasked, and carries the OR of the masks.
    const ir::ValueId mask = computeMask(ctx, in, ctx.inputMasks());
    return {g.mul(y, masks::expandLast(g, mask)), ir::kNoValue, "linear", mask};
}

ir::ValueId ElementwiseMerge::computeMask(CallContext& ctx, const std::vector<ir::ValueId>&,
                                          const std::vector<ir::ValueId>& masks) const {
    ir::ValueId out = ir::kNoValue;
    for (ir::ValueId m : masks) {
        if (m == ir::kNoValue) return ir::kNoValue; // Keras: any input without a mask, no mask
        out = out == ir::kNoValue ? m : masks::logicalOr(ctx.graph(), out, m);
    }
    return out;
}

bool ElementwiseMerge::outputMasked(const std::vector<bool>& masked) const {
    return !masked.empty() && std::all_of(masked.begin(), masked.end(), [](bool m) { return m; });
}

std::string ElementwiseMerge::maskEffect(const std::vector<bool>& masked) const {
    if (isAdd() || std::none_of(masked.begin(), masked.end(), [](bool m) { return m; })) return {};
    return "a masked-out element counts as 1 in the product";
}

Concatenate::Concatenate(const LayerTypeInfo& info, std::string name, nlohmann::json config)
    : Layer(info, std::move(name), std::move(config)), axis(cfg("axis").get<int64_t>()) {}

std::size_t Concatenate::axisFor(std::size_t rank) const {
    const int64_t a = axis < 0 ? int64_t(rank) + axis : axis;
    if (a < 1 || a >= int64_t(rank))
        throw ShapeError("axis " + std::to_string(axis) + " is out of range for inputs of rank " + std::to_string(rank));
    return std::size_t(a);
}

Shape Concatenate::outputShape(const std::vector<Shape>& inputs) const {
    const std::size_t rank = inputs.at(0).rank();
    const std::size_t a = axisFor(rank);
    Shape out = inputs[0];
    for (std::size_t i = 1; i < inputs.size(); ++i) {
        const Shape& s = inputs[i];
        bool ok = s.rank() == rank;
        for (std::size_t d = 0; ok && d < rank; ++d)
            if (d != a && s.isKnown(d) && out.isKnown(d) && s[d] != out[d]) ok = false;
        if (!ok)
            throw ShapeError("needs inputs that agree on every axis but " + std::to_string(axis) + ", got " +
                             shapesText(inputs));
        for (std::size_t d = 0; d < rank; ++d) {
            if (d == a) out[d] = (out.isKnown(d) && s.isKnown(d)) ? out[d] + s[d] : kUnknownDim;
            else if (!out.isKnown(d)) out[d] = s[d];
        }
    }
    return out;
}

LayerOutput Concatenate::call(CallContext& ctx, const std::vector<ir::ValueId>& in) const {
    ir::Graph& g = ctx.graph();
    return {g.concat(in, int64_t(axisFor(g.shape(in.at(0)).rank())))};
}

ir::ValueId Concatenate::computeMask(CallContext& ctx, const std::vector<ir::ValueId>& in,
                                     const std::vector<ir::ValueId>& masks) const {
    if (std::all_of(masks.begin(), masks.end(), [](ir::ValueId m) { return m == ir::kNoValue; })) return ir::kNoValue;
    ir::Graph& g = ctx.graph();
    const std::size_t rank = g.shape(in.at(0)).rank(), a = axisFor(rank);
    std::vector<ir::ValueId> full; // each input's mask, all 1s for an unmasked input
    for (std::size_t i = 0; i < in.size(); ++i) {
        if (masks[i] != ir::kNoValue) {
            masks::requireSequenceMask(g, masks[i], in[i], "Concatenate");
            full.push_back(masks[i]);
            continue;
        }
        std::vector<int64_t> dims = g.shape(in[i]).dims();
        dims.pop_back();
        Tensor ones{Shape(dims)};
        ones.fill(1.0f);
        full.push_back(g.constant(std::move(ones)));
    }
    if (a + 1 < rank) return g.concat(full, int64_t(a)); // Keras: the masks joined along the step axis
    ir::ValueId out = full[0]; // along the features: any of them (Keras' ops.any over the joined masks)
    for (std::size_t i = 1; i < full.size(); ++i) out = masks::logicalOr(g, out, full[i]);
    return out;
}

bool Concatenate::outputMasked(const std::vector<bool>& masked) const {
    return std::any_of(masked.begin(), masked.end(), [](bool m) { return m; });
}

void registerMergeLayers(std::vector<LayerTypeInfo>& out) {
    out.push_back({"Add", "Merge", "Element-wise sum of two or more inputs of one rank, broadcast as NumPy does (sizes equal or 1 per axis)", nlohmann::json::object(),
                   2, -1, {}, makeLayer<ElementwiseMerge>});
    out.push_back({"Multiply", "Merge", "Element-wise product of two or more inputs of one rank, broadcast as NumPy does (e.g. (N, 1, 1, C) × (N, H, W, C))",
                   nlohmann::json::object(), 2, -1, {}, makeLayer<ElementwiseMerge>});
    out.push_back({"Concatenate", "Merge", "Joins two or more inputs along an axis (the last by default)",
                   {{"axis", -1}}, 2, -1, {}, makeLayer<Concatenate>});
}

} // namespace strata::layers
