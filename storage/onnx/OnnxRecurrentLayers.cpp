// Export rules of Embedding and the recurrent layers (engine/layers/EmbeddingLayers.h,
// RecurrentLayers.h). Embedding is a Gather of the table by the ids cast to int64. SimpleRNN,
// LSTM and GRU are ONNX's RNN, LSTM and GRU operators on the time-major copy of the (N, T, F)
// sequence; Bidirectional is the operator with direction "bidirectional". The variables are
// written as they are (named by path, so the embedded spec restores them) and the operator's W, R
// and B are made from them by nodes: a Transpose, for LSTM a Gather putting Keras' gate order
// i, f, c, o into ONNX's i, o, f, c (GRU's z, r, h is the same in both), and a zero recurrent
// bias (Keras has one bias; GRU with reset_after has both, as ONNX's linear_before_reset = 1).
#include "storage/onnx/OnnxLowering.h"

#include "engine/layers/EmbeddingLayers.h"
#include "engine/layers/RecurrentLayers.h"

#include <limits>

namespace strata::storage {

namespace {

// ONNX's name (and alpha, beta) of a Keras activation inside a recurrent operator, or "" when the
// operator has none for it.
struct CellActivation {
    std::string name;
    float alpha = 0, beta = 0;
    bool hasAlpha = false, hasBeta = false; // whether the function takes them
};

CellActivation cellActivation(const std::string& keras) {
    if (keras == "tanh") return {"Tanh"};
    if (keras == "sigmoid") return {"Sigmoid"};
    if (keras == "relu") return {"Relu"};
    if (keras == "linear") return {"Affine", 1.0f, 0.0f, true, true};
    if (keras == "hard_sigmoid") return {"HardSigmoid", 1.0f / 6.0f, 0.5f, true, true}; // Keras 3: relu6(x + 3) / 6
    if (keras == "elu") return {"Elu", 1.0f, 0.0f, true, false};
    if (keras == "softsign") return {"Softsign"};
    if (keras == "softplus") return {"Softplus"};
    return {};
}

} // namespace

int OnnxLowering::embedding(const Layer& l, const std::vector<int>& ins, const Shape& outShape, const Site& site) {
    const std::string ids = tmp(site, "ids"), y = tmp(site, "embedded");
    g_.node("Cast", {nhwc(ins.at(0))}, ids, {OnnxAttr::integer("to", kOnnxInt64)});
    g_.node("Gather", {weight(l, "embeddings"), ids}, y, {OnnxAttr::integer("axis", 0)});
    return result(y, Layout::Nhwc, outShape, site);
}

// W, R and B of one direction, as [1, G*u, F], [1, G*u, u] and [1, 2*G*u] (B empty without bias).
OnnxLowering::CellWeights OnnxLowering::cellWeights(const Layer& cell, const Site& site) {
    const auto& r = static_cast<const layers::RecurrentLayer&>(cell);
    const int64_t u = r.units, width = r.gates() * u;
    std::string gateOrder; // LSTM: rows of ONNX's i, o, f, c from Keras' i, f, c, o
    if (r.isLstm()) {
        std::vector<int64_t> rows;
        for (int64_t block : {0, 3, 1, 2})
            for (int64_t k = 0; k < u; ++k) rows.push_back(block * u + k);
        gateOrder = g_.int64Initializer(site.base + "/" + cell.name() + "/iofc_rows", rows);
    }
    const std::string shape3 = g_.int64Initializer(site.base + "/" + cell.name() + "/w_shape", {1, width, -1});
    // variable (in, width) -> [1, width, in] in ONNX's gate order
    auto matrix = [&](const std::string& variable, const char* what) {
        const std::string t = tmp(site, std::string(what) + "_t");
        g_.node("Transpose", {weight(cell, variable)}, t, {OnnxAttr::integers("perm", {1, 0})});
        std::string rows = t;
        if (!gateOrder.empty()) {
            rows = tmp(site, std::string(what) + "_iofc");
            g_.node("Gather", {t, gateOrder}, rows, {OnnxAttr::integer("axis", 0)});
        }
        const std::string out = tmp(site, what);
        g_.node("Reshape", {rows, shape3}, out);
        return out;
    };
    CellWeights w{matrix("kernel", "W"), matrix("recurrent_kernel", "R"), {}};
    if (!r.useBias) return w;
    const std::string flat = g_.int64Initializer(site.base + "/" + cell.name() + "/b_shape", {1, 2 * width});
    std::string both;
    if (r.resetAfter()) { // (2, width): the input's bias, then the recurrent one's, as ONNX's [Wb, Rb]
        both = weight(cell, "bias");
    } else {
        std::string bias = weight(cell, "bias");
        if (!gateOrder.empty()) {
            const std::string reordered = tmp(site, "b_iofc");
            g_.node("Gather", {bias, gateOrder}, reordered, {OnnxAttr::integer("axis", 0)});
            bias = reordered;
        }
        both = tmp(site, "b_wr");
        g_.node("Concat", {bias, g_.initializer(site.base + "/" + cell.name() + "/recurrent_bias", {width},
                                                std::vector<float>(std::size_t(width), 0.0f))},
                both, {OnnxAttr::integer("axis", 0)});
    }
    w.b = tmp(site, "B");
    g_.node("Reshape", {both, flat}, w.b);
    return w;
}

// The operator over `cells` (one, or the forward-in-time and backward-in-time copies); returns
// Y, Y_h and (LSTM) Y_c. `in`: the sequence, then the initial states h and c (Keras'
// initial_state, one direction) when given. Throws for an activation the operator has no name for.
OnnxLowering::RecurrentOutputs OnnxLowering::recurrentOp(const Layer& l, const std::vector<const Layer*>& cells,
                                                         const std::string& direction, const std::vector<int>& in,
                                                         const Site& site) {
    const int x = in.at(0);
    const auto& r = static_cast<const layers::RecurrentLayer&>(*cells.at(0));
    std::vector<std::string> w, rr, b;
    for (const Layer* c : cells) {
        const CellWeights cw = cellWeights(*c, site);
        w.push_back(cw.w), rr.push_back(cw.r), b.push_back(cw.b);
    }
    auto joined = [&](const std::vector<std::string>& parts, const char* what) {
        if (parts.size() == 1) return parts[0];
        const std::string out = tmp(site, what);
        g_.node("Concat", parts, out, {OnnxAttr::integer("axis", 0)});
        return out;
    };
    const std::string xt = tmp(site, "time_major");
    g_.node("Transpose", {nhwc(x)}, xt, {OnnxAttr::integers("perm", {1, 0, 2})});
    std::vector<std::string> inputs = {xt, joined(w, "W_dirs"), joined(rr, "R_dirs")};
    if (r.useBias) inputs.push_back(joined(b, "B_dirs"));
    if (in.size() > 1) { // initial_h (and initial_c): [directions, N, u]; absent optional inputs are ""
        if (!r.useBias) inputs.push_back("");
        inputs.push_back(""); // sequence_lens
        for (std::size_t k = 1; k < in.size(); ++k) {
            const std::string state = tmp(site, k == 1 ? "initial_h" : "initial_c");
            g_.node("Unsqueeze", {nhwc(in[k]), g_.int64Initializer(site.base + "/state_axis", {0})}, state);
            inputs.push_back(state);
        }
    }

    std::vector<OnnxAttr> attrs = {OnnxAttr::integer("hidden_size", r.units), OnnxAttr::text("direction", direction)};
    if (r.isGru()) attrs.push_back(OnnxAttr::integer("linear_before_reset", r.resetAfter() ? 1 : 0));
    const bool defaults = r.activation == "tanh" && (r.gates() == 1 || r.recurrentActivation == "sigmoid");
    if (!defaults) {
        // Per direction: LSTM f, g, h; GRU f, g; RNN f (f the gates' activation, g and h the cell's).
        std::vector<std::string> acts = r.isLstm()   ? std::vector<std::string>{r.recurrentActivation, r.activation, r.activation}
                                        : r.isGru() ? std::vector<std::string>{r.recurrentActivation, r.activation}
                                                    : std::vector<std::string>{r.activation};
        std::vector<std::string> names;
        std::vector<float> alphas, betas;
        for (std::size_t d = 0; d < cells.size(); ++d)
            for (const std::string& a : acts) {
                const CellActivation c = cellActivation(a);
                if (c.name.empty())
                    throw onnxLayerError(l.name(), l.type(), "ONNX's " + std::string(r.isLstm() ? "LSTM" : r.isGru() ? "GRU" : "RNN") +
                                                                 " operator has no activation '" + a + "'");
                // The alphas and betas are consumed in order by the functions that take one.
                names.push_back(c.name);
                if (c.hasAlpha) alphas.push_back(c.alpha);
                if (c.hasBeta) betas.push_back(c.beta);
            }
        attrs.push_back(OnnxAttr::texts("activations", names));
        if (!alphas.empty()) attrs.push_back(OnnxAttr::reals("activation_alpha", alphas));
        if (!betas.empty()) attrs.push_back(OnnxAttr::reals("activation_beta", betas));
    }
    const char* op = r.isLstm() ? "LSTM" : r.isGru() ? "GRU" : "RNN";
    RecurrentOutputs out{tmp(site, "Y"), tmp(site, "Y_h"), r.isLstm() ? tmp(site, "Y_c") : std::string()};
    std::vector<std::string> outputs = {out.y, out.yh};
    if (r.isLstm()) outputs.push_back(out.yc);
    g_.node(op, inputs, outputs, std::move(attrs));
    return out;
}

void OnnxLowering::extraOutput(const std::string& tensor, const Shape& shape, const Site& site, const std::string& what) {
    Value v{tensor, {}, shape, site.base + "/" + what, {}};
    values_.push_back(std::move(v));
    extra_.push_back(int(values_.size()) - 1);
}

// [T, D, N, u] (Y) as (N, T, D * u); `reverse`: the steps last to first.
std::string OnnxLowering::sequenceOutput(const std::string& y, bool reverse, const Site& site) {
    std::string steps = y;
    if (reverse) {
        steps = tmp(site, "Y_reversed");
        g_.node("Slice", {y, g_.int64Initializer(site.base + "/rev_starts", {-1}),
                          g_.int64Initializer(site.base + "/rev_ends", {std::numeric_limits<int64_t>::min()}),
                          g_.int64Initializer(site.base + "/rev_axes", {0}), g_.int64Initializer(site.base + "/rev_steps", {-1})},
                steps);
    }
    const std::string t = tmp(site, "Y_batch_major"), out = tmp(site, "sequence");
    g_.node("Transpose", {steps}, t, {OnnxAttr::integers("perm", {2, 0, 1, 3})});
    g_.node("Reshape", {t, g_.int64Initializer(site.base + "/seq_shape", {0, 0, -1})}, out);
    return out;
}

int OnnxLowering::recurrent(const Layer& l, const std::vector<int>& ins, const Shape& outShape, const Site& site) {
    const auto& r = static_cast<const layers::RecurrentLayer&>(l);
    const RecurrentOutputs o = recurrentOp(l, {&l}, r.goBackwards ? "reverse" : "forward", ins, site);
    // return_state: the final states (N, u), Y_h and Y_c without their direction axis.
    std::vector<std::pair<std::string, std::string>> states;
    if (r.returnState) {
        const Shape state{outShape[0], r.units};
        for (const auto& [tensor, what] : {std::pair<std::string, const char*>{o.yh, "state_h"}, {o.yc, "state_c"}}) {
            if (tensor.empty()) continue;
            const std::string s = tmp(site, what);
            g_.node("Squeeze", {tensor, g_.int64Initializer(site.base + "/dir_axis", {0})}, s);
            states.push_back({s, what});
        }
    }
    int id;
    if (r.returnSequences) { // ONNX aligns a reverse direction's Y with the input; Keras returns it in the order taken
        id = result(sequenceOutput(o.y, r.goBackwards, site), Layout::Nhwc, outShape, site);
    } else if (!states.empty()) {
        id = result(states[0].first, Layout::Nhwc, outShape, site); // the output is the final h
        states[0].first = nhwc(id); // result() may have renamed it after the layer
    } else {
        const std::string last = tmp(site, "last");
        g_.node("Squeeze", {o.yh, g_.int64Initializer(site.base + "/dir_axis", {0})}, last);
        id = result(last, Layout::Nhwc, outShape, site);
    }
    for (const auto& [tensor, what] : states) extraOutput(tensor, Shape{outShape[0], r.units}, site, what);
    return id;
}

int OnnxLowering::bidirectional(const Layer& l, const std::vector<int>& ins, const Shape& outShape, const Site& site) {
    const auto& b = static_cast<const layers::Bidirectional&>(l);
    const layers::RecurrentLayer &fw = b.forwardLayer(), &bw = b.backwardLayer();
    // ONNX's first direction runs forward in time: the backward copy when the wrapped layer itself
    // goes backwards. Keras merges (forward copy, backward copy), both in the forward copy's order.
    const bool swapped = fw.goBackwards;
    const RecurrentOutputs o = recurrentOp(l, swapped ? std::vector<const Layer*>{&bw, &fw} : std::vector<const Layer*>{&fw, &bw},
                                           "bidirectional", {ins.at(0)}, site);
    const std::string &y = o.y, &yh = o.yh;
    std::string merged;
    // Both directions' outputs: [T, 2, N, u] or [2, N, u], split into the forward copy's and the backward copy's.
    auto direction = [&](const std::string& t, int64_t d, bool sequence) {
        const std::string part = tmp(site, d == 0 ? "dir0" : "dir1"), out = tmp(site, d == 0 ? "dir0_sq" : "dir1_sq");
        const int64_t axis = sequence ? 1 : 0;
        g_.node("Slice", {t, g_.int64Initializer(site.base + "/d_start", {d}), g_.int64Initializer(site.base + "/d_end", {d + 1}),
                          g_.int64Initializer(site.base + "/d_axis", {axis})},
                part);
        g_.node("Squeeze", {part, g_.int64Initializer(site.base + "/d_sq", {axis})}, out);
        return out; // [T, N, u] or [N, u]
    };
    if (fw.returnSequences) {
        if (b.mergeMode == "concat" && !swapped) {
            merged = sequenceOutput(y, false, site);
        } else {
            // Each copy as (N, T, u) in Keras' order: reversed in time when the wrapped layer goes backwards.
            std::string parts[2];
            for (int64_t d = 0; d < 2; ++d) {
                std::string s = direction(y, d, true);
                if (swapped) {
                    const std::string rev = tmp(site, "dir_reversed");
                    g_.node("Slice", {s, g_.int64Initializer(site.base + "/rev_starts", {-1}),
                                      g_.int64Initializer(site.base + "/rev_ends", {std::numeric_limits<int64_t>::min()}),
                                      g_.int64Initializer(site.base + "/rev_axes", {0}), g_.int64Initializer(site.base + "/rev_steps", {-1})},
                            rev);
                    s = rev;
                }
                const std::string bm = tmp(site, "dir_batch_major");
                g_.node("Transpose", {s}, bm, {OnnxAttr::integers("perm", {1, 0, 2})});
                parts[swapped ? 1 - d : d] = bm;
            }
            merged = mergeDirections(b.mergeMode, parts[0], parts[1], site);
        }
    } else {
        std::string parts[2];
        for (int64_t d = 0; d < 2; ++d) parts[swapped ? 1 - d : d] = direction(yh, d, false);
        merged = mergeDirections(b.mergeMode, parts[0], parts[1], site);
    }
    const int id = result(merged, Layout::Nhwc, outShape, site);
    if (fw.returnState) { // Keras: the forward copy's final states, then the backward copy's
        const Shape state{outShape[0], fw.units};
        std::string h[2], c[2];
        for (int64_t d = 0; d < 2; ++d) {
            h[swapped ? 1 - d : d] = direction(yh, d, false);
            if (fw.isLstm()) c[swapped ? 1 - d : d] = direction(o.yc, d, false);
        }
        for (int copy = 0; copy < 2; ++copy) {
            extraOutput(h[copy], state, site, copy == 0 ? "forward_state_h" : "backward_state_h");
            if (fw.isLstm()) extraOutput(c[copy], state, site, copy == 0 ? "forward_state_c" : "backward_state_c");
        }
    }
    return id;
}

std::string OnnxLowering::mergeDirections(const std::string& mode, const std::string& f, const std::string& b, const Site& site) {
    const std::string y = tmp(site, "merged");
    if (mode == "concat") {
        g_.node("Concat", {f, b}, y, {OnnxAttr::integer("axis", -1)});
    } else if (mode == "sum") {
        g_.node("Add", {f, b}, y);
    } else if (mode == "mul") {
        g_.node("Mul", {f, b}, y);
    } else { // ave
        const std::string s = tmp(site, "sum");
        g_.node("Add", {f, b}, s);
        g_.node("Mul", {s, g_.scalar(site.base + "/half", 0.5f)}, y);
    }
    return y;
}

} // namespace strata::storage
