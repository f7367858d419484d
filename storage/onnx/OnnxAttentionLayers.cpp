// Export rules of the attention layers (engine/layers/AttentionLayers.h). MultiHeadAttention is
// MatMul + Add per projection over the last axis (the (d, heads, width) kernels read as (d, heads *
// width) by a Reshape node, so the variables are written as they are, named by path), a Reshape to
// (N, L, heads, width) and a Transpose to (N, heads, L, width); the scores are a MatMul of rank 4
// with the transposed keys, the causal mask an Add of a (T, S) constant, Softmax over axis -1,
// another MatMul with the values, and the output projection. Dot is a MatMul of rank 3 (rank-2
// inputs reshaped to one row), RepeatVector a Reshape + Expand, PositionEmbedding a Slice of the
// table by the input's steps, Expanded to the input's shape.
#include "storage/onnx/OnnxLowering.h"

#include "engine/layers/AttentionLayers.h"

#include <cmath>

namespace strata::storage {

int OnnxLowering::multiHeadAttention(const Layer& l, const std::vector<int>& ins, const Shape& outShape, const Site& site) {
    const auto& a = static_cast<const layers::MultiHeadAttention&>(l);
    const int query = ins.at(0), value = ins.at(1), key = ins.size() > 2 ? ins[2] : ins.at(1);
    const int64_t h = a.numHeads, dq = values_[std::size_t(query)].shape[2];
    // x (N, L, d) -> (N, heads, L, width)
    auto project = [&](int x, const std::string& sub, int64_t width) {
        const int64_t d = values_[std::size_t(x)].shape[2];
        const std::string kernel = tmp(site, sub + "_kernel"), y = tmp(site, sub);
        g_.node("Reshape", {weight(l, sub + "/kernel"), g_.int64Initializer(site.base + "/" + sub + "/kernel_shape", {d, h * width})},
                kernel);
        g_.node("MatMul", {nhwc(x), kernel}, y);
        std::string out = y;
        if (a.useBias) {
            const std::string bias = tmp(site, sub + "_bias"), added = tmp(site, sub + "_bias_add");
            g_.node("Reshape", {weight(l, sub + "/bias"), g_.int64Initializer(site.base + "/" + sub + "/bias_shape", {h * width})}, bias);
            g_.node("Add", {y, bias}, added);
            out = added;
        }
        const std::string split = tmp(site, sub + "_heads"), t = tmp(site, sub + "_by_head");
        g_.node("Reshape", {out, g_.int64Initializer(site.base + "/" + sub + "/heads_shape", {0, 0, h, width})}, split);
        g_.node("Transpose", {split}, t, {OnnxAttr::integers("perm", {0, 2, 1, 3})});
        return t;
    };
    const std::string q = project(query, "query", a.keyDim), k = project(key, "key", a.keyDim);
    const std::string v = project(value, "value", a.valueDim);
    const std::string scaled = tmp(site, "query_scaled"), kt = tmp(site, "key_t"), scores = tmp(site, "scores");
    const std::vector<float> scale{float(1.0 / std::sqrt(double(a.keyDim)))};
    g_.node("Mul", {q, g_.initializer(site.base + "/scale", {}, scale)}, scaled);
    g_.node("Transpose", {k}, kt, {OnnxAttr::integers("perm", {0, 1, 3, 2})});
    g_.node("MatMul", {scaled, kt}, scores);
    std::string logits = scores;
    if (a.causal) {
        const Shape &qs = values_[std::size_t(query)].shape, &vs = values_[std::size_t(value)].shape;
        if (!qs.isKnown(1) || !vs.isKnown(1))
            throw StorageError("use_causal_mask needs known query and value steps, got " + qs.toString() + " and " + vs.toString());
        const int64_t t = qs[1], s = vs[1];
        std::vector<float> mask(std::size_t(t * s));
        for (int64_t i = 0; i < t; ++i)
            for (int64_t j = 0; j < s; ++j) mask[std::size_t(i * s + j)] = j <= i ? 0.0f : -1e9f;
        logits = tmp(site, "masked_scores");
        g_.node("Add", {scores, g_.initializer(site.base + "/causal_mask", {t, s}, mask)}, logits);
    }
    const std::string probs = tmp(site, "probs"), mixed = tmp(site, "mixed"), back = tmp(site, "mixed_t"), flat = tmp(site, "heads");
    g_.node("Softmax", {logits}, probs, {OnnxAttr::integer("axis", -1)});
    g_.node("MatMul", {probs, v}, mixed);
    g_.node("Transpose", {mixed}, back, {OnnxAttr::integers("perm", {0, 2, 1, 3})});
    g_.node("Reshape", {back, g_.int64Initializer(site.base + "/heads_shape", {0, 0, h * a.valueDim})}, flat);
    const std::string wo = tmp(site, "attention_output_kernel"), y = tmp(site, "attention_output");
    g_.node("Reshape", {weight(l, "attention_output/kernel"), g_.int64Initializer(site.base + "/attention_output/kernel_shape", {h * a.valueDim, dq})},
            wo);
    g_.node("MatMul", {flat, wo}, y);
    if (!a.useBias) return result(y, Layout::Nhwc, outShape, site);
    const std::string biased = tmp(site, "attention_output_bias_add");
    g_.node("Add", {y, weight(l, "attention_output/bias")}, biased);
    return result(biased, Layout::Nhwc, outShape, site);
}

int OnnxLowering::dot(const Layer& l, const std::vector<int>& ins, const Shape& outShape, const Site& site) {
    const auto& d = static_cast<const layers::Dot&>(l);
    const Shape &xs = values_[std::size_t(ins.at(0))].shape, &ys = values_[std::size_t(ins.at(1))].shape;
    auto [ax, ay] = d.axesFor(xs.rank(), ys.rank());
    auto prepare = [&](int in, int64_t& axis, const char* what) {
        std::string x = nhwc(in);
        const Shape& s = values_[std::size_t(in)].shape;
        if (d.normalize) { // Keras 3 ops.normalize: x / max(norm(x), 1e-7)
            const std::string ss = tmp(site, std::string(what) + "_square_sum"), mx = tmp(site, std::string(what) + "_max");
            const std::string norm = tmp(site, std::string(what) + "_norm"), y = tmp(site, std::string(what) + "_normalized");
            g_.node("ReduceSumSquare", {x}, ss, {OnnxAttr::integers("axes", {axis}), OnnxAttr::integer("keepdims", 1)});
            g_.node("Max", {ss, g_.initializer(site.base + "/epsilon", {}, std::vector<float>{1e-14f})}, mx);
            g_.node("Sqrt", {mx}, norm);
            g_.node("Div", {x, norm}, y);
            x = y;
        }
        if (s.rank() == 2) { // (N, d) -> (N, 1, d)
            const std::string r = tmp(site, std::string(what) + "_row");
            g_.node("Reshape", {x, g_.int64Initializer(site.base + "/" + what + "_row_shape", {0, 1, -1})}, r);
            x = r, axis = 2;
        }
        return x;
    };
    std::string x = prepare(ins[0], ax, "x"), y = prepare(ins[1], ay, "y");
    if (ax == 1) { // contract x's axis 1: (N, free, d)
        const std::string t = tmp(site, "x_t");
        g_.node("Transpose", {x}, t, {OnnxAttr::integers("perm", {0, 2, 1})});
        x = t;
    }
    if (ay == 2) { // contract y's axis 2: (N, d, free)
        const std::string t = tmp(site, "y_t");
        g_.node("Transpose", {y}, t, {OnnxAttr::integers("perm", {0, 2, 1})});
        y = t;
    }
    std::string z = tmp(site, "dot");
    g_.node("MatMul", {x, y}, z);
    if (xs.rank() == 2 || ys.rank() == 2) { // drop the rows of one added above
        std::vector<int64_t> target{0};
        for (std::size_t i = 1; i < outShape.rank(); ++i) target.push_back(outShape.isKnown(i) ? outShape[i] : -1);
        const std::string r = tmp(site, "dot_reshaped");
        g_.node("Reshape", {z, g_.int64Initializer(site.base + "/out_shape", target)}, r);
        z = r;
    }
    return result(z, Layout::Nhwc, outShape, site);
}

int OnnxLowering::repeatVector(const Layer& l, const std::vector<int>& ins, const Shape& outShape, const Site& site) {
    const auto& r = static_cast<const layers::RepeatVector&>(l);
    const std::string row = tmp(site, "row"), y = tmp(site, "repeated");
    g_.node("Reshape", {nhwc(ins.at(0)), g_.int64Initializer(site.base + "/row_shape", {0, 1, -1})}, row);
    g_.node("Expand", {row, g_.int64Initializer(site.base + "/repeats", {1, r.n, 1})}, y);
    return result(y, Layout::Nhwc, outShape, site);
}

int OnnxLowering::positionEmbedding(const Layer& l, const std::vector<int>& ins, const Shape& outShape, const Site& site) {
    const std::string x = nhwc(ins.at(0)), shape = tmp(site, "input_shape"), steps = tmp(site, "steps");
    const std::string rows = tmp(site, "rows"), y = tmp(site, "positions");
    g_.node("Shape", {x}, shape);
    g_.node("Slice", {shape, g_.int64Initializer(site.base + "/steps_begin", {1}), g_.int64Initializer(site.base + "/steps_end", {2})}, steps);
    g_.node("Slice", {weight(l, "embeddings"), g_.int64Initializer(site.base + "/rows_begin", {0}), steps,
                      g_.int64Initializer(site.base + "/rows_axis", {0})},
            rows);
    g_.node("Expand", {rows, shape}, y);
    return result(y, Layout::Nhwc, outShape, site);
}

} // namespace strata::storage
