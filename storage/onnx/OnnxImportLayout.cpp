// OnnxGraphImport: the ops that only move data (Transpose, Reshape, Flatten, and Squeeze/Unsqueeze
// of a computed tensor) over the layouts of OnnxGraphImport.h. A Transpose only changes the layout
// (which ONNX axis is which Strata axis); a Reshape is a Strata Reshape in the Strata tensor's own
// order when that order keeps the ONNX element order (each group of merged or split ONNX axes is
// contiguous and in order there), else a Permute to the ONNX order comes first. So a channel
// shuffle, Reshape (N, g, C/g, H, W) -> Transpose (0, 2, 1, 3, 4) -> Reshape (N, C, H, W) of an
// NCHW image, is Reshape (H, W, g, C/g) -> Permute (1, 2, 4, 3) -> Reshape (H, W, C) in NHWC, and a
// flattened NCHW image has PyTorch's (C, H, W) element order: a Permute to NCHW, then Flatten
// (unless only Dense layers read it: their kernel rows are permuted instead, FlatChw).
#include "storage/onnx/OnnxGraphImport.h"

#include <algorithm>
#include <numeric>

namespace strata::storage {

using nlohmann::json;

namespace {

std::string list(const std::vector<int64_t>& v) { return json(v).dump(); }

std::vector<int64_t> identity(std::size_t rank) {
    std::vector<int64_t> v(rank);
    std::iota(v.begin(), v.end(), 0);
    return v;
}

int64_t product(const std::vector<int64_t>& v, std::size_t from = 0) {
    int64_t n = 1;
    for (std::size_t k = from; k < v.size(); ++k) {
        if (v[k] < 0 || n < 0) n = -1;
        else if (__builtin_mul_overflow(n, v[k], &n)) throw StrataError("the shape " + list(v) + " has too many elements");
    }
    return n;
}

const std::vector<int64_t> kChannelsFirst = {0, 3, 1, 2};

} // namespace

std::vector<int64_t> OnnxGraphImport::strataAxes(const Value& v) {
    if (v.layout == Layout::ChannelsFirst) return kChannelsFirst;
    if (v.layout == Layout::Permuted) return v.perm;
    return identity(v.shape.size());
}

OnnxGraphImport::Value OnnxGraphImport::withAxes(Value v, const std::vector<int64_t>& axes) {
    v.perm.clear();
    v.chw.clear();
    if (axes == identity(axes.size())) v.layout = Layout::Same;
    else if (axes == kChannelsFirst) v.layout = Layout::ChannelsFirst;
    else v.layout = Layout::Permuted, v.perm = axes;
    return v;
}

int OnnxGraphImport::addInnerLayer(const OnnxNode& n, const std::string& type, json config, std::vector<int> inbound) {
    PendingLayer l;
    l.type = type;
    l.config = std::move(config);
    l.inbound = std::move(inbound);
    l.nameHint = n.name.empty() ? n.outputs.at(0) : n.name;
    l.outputTensor = n.outputs.at(0) + "#" + type; // no ONNX tensor
    layers_.push_back(std::move(l));
    return int(layers_.size()) - 1;
}

OnnxGraphImport::Value OnnxGraphImport::materialize(const OnnxNode& n, const Value& v) {
    if (v.layout == Layout::Same) return v;
    if (v.layout == Layout::FlatChw) fail(n, "its input '" + n.inputs.at(0) + "' is a flattened NCHW image that only a Gemm or MatMul may read");
    const std::vector<int64_t> axes = strataAxes(v);
    // Keras' Permute: output axis i (1-based, batch excluded) is input axis dims[i - 1].
    const std::vector<int64_t> dims(axes.begin() + 1, axes.end());
    Value out = v;
    out.layer = addInnerLayer(n, "Permute", {{"dims", dims}}, {v.layer});
    return withAxes(out, identity(v.shape.size()));
}

bool OnnxGraphImport::onlyMatMulsRead(const std::string& tensor) const {
    if (graphOutputs_.count(tensor)) return false;
    const auto it = consumers_.find(tensor);
    if (it == consumers_.end()) return false;
    return std::all_of(it->second.begin(), it->second.end(), [&](const OnnxNode* c) {
        return (c->opType == "Gemm" || c->opType == "MatMul") && !c->inputs.empty() && c->inputs[0] == tensor;
    });
}

void OnnxGraphImport::transpose(const OnnxNode& n) {
    const Value x = input(n, 0);
    const std::size_t rank = x.shape.size();
    if (rank < 2) fail(n, "transposing a tensor of rank " + std::to_string(rank) + " is not supported");
    std::vector<int64_t> perm = n.intsAttr("perm");
    if (perm.empty()) perm = identity(rank), std::reverse(perm.begin(), perm.end()); // the default reverses the axes
    std::vector<int64_t> sorted = perm;
    std::sort(sorted.begin(), sorted.end());
    if (sorted != identity(rank)) fail(n, "perm " + list(perm) + " is not a permutation of the " + std::to_string(rank) + " axes");
    if (x.layout == Layout::FlatChw) {
        if (perm[0] != 0) fail(n, "perm " + list(perm) + " moves the batch axis; only the other axes may be permuted");
        return alias(n, x); // rank 2, perm [0, 1]
    }
    const std::vector<int64_t> axes = strataAxes(x);
    std::vector<int64_t> outAxes(rank), shape(rank);
    for (std::size_t i = 0; i < rank; ++i) outAxes[i] = axes[std::size_t(perm[i])], shape[i] = x.shape[std::size_t(perm[i])];
    // The batch may leave the first axis only for the time-major view a recurrent op reads
    // (torch's batch_first layers); a Transpose back brings it first again.
    const auto readers = consumers_.find(n.outputs.at(0));
    const bool recurrentReads = !graphOutputs_.count(n.outputs.at(0)) && readers != consumers_.end() && !readers->second.empty() &&
                                std::all_of(readers->second.begin(), readers->second.end(), [&](const OnnxNode* c) {
                                    return (c->opType == "LSTM" || c->opType == "GRU" || c->opType == "RNN") && c->inputs.at(0) == n.outputs[0];
                                });
    if (outAxes[0] != 0 && !recurrentReads)
        fail(n, "perm " + list(perm) + " moves the batch axis; only the other axes may be permuted (or a sequence made time-major for "
                "an RNN, LSTM or GRU)");
    Value out = withAxes(x, outAxes);
    out.shape = shape;
    alias(n, out);
}

void OnnxGraphImport::reshapeTo(const OnnxNode& n, const Value& xIn, std::vector<int64_t> out, bool flattenLayer) {
    // A rank-4 result is wanted as an NCHW image (as PyTorch's next Conv, pool or elementwise op
    // reads it, or as a graph output) unless only ops that take any order read it: Transpose,
    // Reshape, Flatten, a MatMul over its last axis (Strata's own NHWC files).
    const auto readers = consumers_.find(n.outputs.at(0));
    const bool anyOrder = !graphOutputs_.count(n.outputs.at(0)) && readers != consumers_.end() && !readers->second.empty() &&
                          std::all_of(readers->second.begin(), readers->second.end(), [](const OnnxNode* c) {
                              for (const char* op : {"Transpose", "Reshape", "Flatten", "MatMul", "Gemm", "Shape", "Squeeze", "Unsqueeze"})
                                  if (c->opType == op) return true;
                              return false;
                          });
    const bool wantNchw = out.size() == 4 && !anyOrder;
    reshapeInOrder(n, xIn, out, flattenLayer, wantNchw);
    Value r = values_.at(n.outputs[0]);
    if (!wantNchw || r.layout == Layout::ChannelsFirst) return;
    // A Permute to NHWC, so the ONNX tensor is an NCHW image again.
    const std::vector<int64_t> axes = strataAxes(r);
    std::vector<int64_t> dims(3);
    for (std::size_t i = 1; i < 4; ++i) dims[std::size_t(kChannelsFirst[i] - 1)] = axes[i];
    r.layer = addInnerLayer(n, "Permute", {{"dims", dims}}, {r.layer});
    values_[n.outputs[0]] = withAxes(r, kChannelsFirst);
}

void OnnxGraphImport::reshapeInOrder(const OnnxNode& n, const Value& xIn, std::vector<int64_t> out, bool flattenLayer, bool wantNchw) {
    Value x = xIn;
    if (x.layout == Layout::FlatChw) {
        if (out.size() == 2) return alias(n, x);
        x = materialize(n, x); // fails naming the input
    }
    const std::string type = flattenLayer && out.size() == 2 ? "Flatten" : "Reshape";
    auto add = [&](const Value& from, const std::vector<int64_t>& strataTarget, Value result) {
        json config = type == "Flatten" ? json::object() : json{{"target_shape", strataTarget}};
        if (from.layout == Layout::Same && type == "Reshape" && from.shape == out) return alias(n, result); // no change
        if (type == "Reshape" && from.layer >= 0 && n.inputs.at(0) == layers_[std::size_t(from.layer)].outputTensor) {
            // A reshape of a Reshape that nothing else reads (x.squeeze(-1).squeeze(-1)): one layer.
            PendingLayer& prev = layers_[std::size_t(from.layer)];
            const auto u = uses_.find(n.inputs[0]);
            if (prev.type == "Reshape" && u != uses_.end() && u->second == 1 && !graphOutputs_.count(n.inputs[0])) {
                prev.config = config;
                prev.outputTensor = n.outputs[0];
                values_[n.outputs[0]] = result;
                return;
            }
        }
        const int l = addLayer(n, type, config, {from.layer}, Layout::Same, out);
        result.layer = l;
        values_[n.outputs[0]] = result;
    };
    if (x.layout == Layout::Same) {
        std::vector<int64_t> rest(out.begin() + 1, out.end());
        Value r = withAxes(x, identity(out.size()));
        r.shape = out;
        return add(x, rest, r);
    }
    if (product(x.shape, 1) < 0 || product(out, 1) < 0)
        fail(n, "reshaping an NCHW or permuted tensor of unknown size " + list(x.shape) + " is not supported");
    // Groups of ONNX input axes and output axes of equal sizes (axes of size 1 aside).
    struct Group {
        std::vector<std::size_t> in, out;
    };
    std::vector<std::size_t> inAx, outAx;
    for (std::size_t i = 1; i < x.shape.size(); ++i)
        if (x.shape[i] != 1) inAx.push_back(i);
    for (std::size_t j = 1; j < out.size(); ++j)
        if (out[j] != 1) outAx.push_back(j);
    std::vector<Group> groups;
    for (std::size_t i = 0, j = 0; i < inAx.size() && j < outAx.size();) {
        Group g{{inAx[i]}, {outAx[j]}};
        int64_t a = x.shape[inAx[i++]], b = out[outAx[j++]];
        while (a != b) {
            if (a < b && i < inAx.size()) g.in.push_back(inAx[i]), a *= x.shape[inAx[i++]];
            else if (b < a && j < outAx.size()) g.out.push_back(outAx[j]), b *= out[outAx[j++]];
            else fail(n, "target shape " + list(out) + " does not hold the values of " + list(x.shape));
        }
        groups.push_back(g);
    }
    // The input's axes (size 1 aside) in the Strata tensor's order; each group must be a run of them, in order.
    const std::vector<int64_t> axes = strataAxes(x);
    std::vector<std::size_t> memory = inAx;
    std::sort(memory.begin(), memory.end(), [&](std::size_t a, std::size_t b) { return axes[a] < axes[b]; });
    std::vector<const Group*> order;
    bool keepsOrder = true;
    for (std::size_t pos = 0; pos < memory.size() && keepsOrder;) {
        const auto g = std::find_if(groups.begin(), groups.end(), [&](const Group& gr) { return gr.in.front() == memory[pos]; });
        keepsOrder = g != groups.end() && pos + g->in.size() <= memory.size() && std::equal(g->in.begin(), g->in.end(), memory.begin() + long(pos));
        if (keepsOrder) order.push_back(&*g), pos += g->in.size();
    }
    if (!keepsOrder) {
        // Permute the input so the groups are runs in the order the output wants them: NCHW for a
        // wanted image where the groups allow it, else the ONNX order (which always does).
        std::vector<std::vector<int64_t>> candidates;
        if (wantNchw) candidates.push_back(kChannelsFirst);
        candidates.push_back(identity(out.size()));
        std::vector<std::size_t> desired;
        for (const auto& cand : candidates) {
            std::vector<std::size_t> m = outAx;
            std::sort(m.begin(), m.end(), [&](std::size_t a, std::size_t b) { return cand[a] < cand[b]; });
            std::vector<std::size_t> inOrder = {0};
            bool fits = true;
            for (std::size_t pos = 0; pos < m.size() && fits;) {
                const auto g = std::find_if(groups.begin(), groups.end(), [&](const Group& gr) { return gr.out.front() == m[pos]; });
                fits = g != groups.end() && pos + g->out.size() <= m.size() && std::equal(g->out.begin(), g->out.end(), m.begin() + long(pos));
                if (fits) inOrder.insert(inOrder.end(), g->in.begin(), g->in.end()), pos += g->out.size();
            }
            if (!fits) continue;
            for (std::size_t i = 1; i < x.shape.size(); ++i)
                if (x.shape[i] == 1) inOrder.push_back(i);
            desired = inOrder;
            break;
        }
        std::vector<int64_t> dims, newAxes(x.shape.size());
        for (std::size_t s = 0; s < desired.size(); ++s) {
            if (s > 0) dims.push_back(axes[desired[s]]);
            newAxes[desired[s]] = int64_t(s);
        }
        if (desired.size() != x.shape.size() || newAxes == axes) fail(n, "internal: no order of " + list(x.shape) + " reshapes to " + list(out));
        Value permuted = withAxes(x, newAxes);
        permuted.layer = addInnerLayer(n, "Permute", {{"dims", dims}}, {x.layer});
        return reshapeInOrder(n, permuted, out, flattenLayer, wantNchw);
    }
    // The output's non-1 axes in the same order; its layout: NCHW for a wanted image if that order
    // allows it, else the ONNX order if it allows, else that order with the axes of size 1 last.
    std::vector<std::size_t> outMemory;
    for (const Group* g : order) outMemory.insert(outMemory.end(), g->out.begin(), g->out.end());
    auto fits = [&](const std::vector<int64_t>& cand) {
        std::vector<std::size_t> m = outAx;
        std::sort(m.begin(), m.end(), [&](std::size_t a, std::size_t b) { return cand[a] < cand[b]; });
        return m == outMemory;
    };
    std::vector<int64_t> outAxes;
    if (wantNchw && fits(kChannelsFirst)) outAxes = kChannelsFirst;
    else if (fits(identity(out.size()))) outAxes = identity(out.size());
    else {
        std::vector<std::size_t> strataOrder = {0};
        strataOrder.insert(strataOrder.end(), outMemory.begin(), outMemory.end());
        for (std::size_t j = 1; j < out.size(); ++j)
            if (out[j] == 1) strataOrder.push_back(j);
        outAxes.assign(out.size(), 0);
        for (std::size_t s = 0; s < strataOrder.size(); ++s) outAxes[strataOrder[s]] = int64_t(s);
    }
    std::vector<int64_t> strataShape(out.size()), strataIn(x.shape.size());
    for (std::size_t j = 0; j < out.size(); ++j) strataShape[std::size_t(outAxes[j])] = out[j];
    for (std::size_t i = 0; i < x.shape.size(); ++i) strataIn[std::size_t(axes[i])] = x.shape[i];
    Value r = withAxes(x, outAxes);
    r.shape = out;
    if (strataShape == strataIn) return alias(n, r); // the Strata tensor is unchanged
    if (type == "Flatten" && r.layout != Layout::Same) r = withAxes(r, identity(out.size())); // (N, features): one order
    json config = type == "Flatten" ? json::object() : json{{"target_shape", std::vector<int64_t>(strataShape.begin() + 1, strataShape.end())}};
    r.layer = addLayer(n, type, config, {x.layer}, Layout::Same, out);
    values_[n.outputs[0]] = r;
}

void OnnxGraphImport::flatten(const OnnxNode& n) {
    const Value x = input(n, 0);
    if (n.intAttr("axis", 1) != 1) fail(n, "axis=" + std::to_string(n.intAttr("axis", 1)) + " is not supported (only 1: keep the batch)");
    if (x.shape.size() == 2) return alias(n, x);
    const int64_t features = product(x.shape, 1);
    const bool sameOrder = x.layout == Layout::ChannelsFirst && (x.shape[1] == 1 || x.shape[2] * x.shape[3] == 1);
    if (x.layout == Layout::ChannelsFirst && !sameOrder && features > 0 && onlyMatMulsRead(n.outputs[0])) {
        addLayer(n, "Flatten", json::object(), {x.layer}, Layout::FlatChw, {x.shape[0], features});
        values_[n.outputs[0]].chw = {x.shape[1], x.shape[2], x.shape[3]};
        return;
    }
    if (x.layout != Layout::Same && features < 0) fail(n, "flattening an NCHW image of unknown size is not supported");
    reshapeTo(n, x, {x.shape[0], features}, true);
}

void OnnxGraphImport::reshape(const OnnxNode& n) {
    const Value x = input(n, 0);
    const OnnxTensor& shapeTensor = requireConstant(n, 1, "shape");
    if (shapeTensor.isFloat()) fail(n, "the shape '" + n.inputs[1] + "' is not an integer tensor");
    std::vector<int64_t> target = shapeTensor.ints;
    if (!target.empty() && target[0] == kBatchDim) target[0] = 0; // x.view(x.size(0), ...)
    for (int64_t t : target)
        if (t == kBatchDim) fail(n, "the batch size may only be the first dimension of the target shape");
    if (n.intAttr("allowzero", 0) != 0 && std::count(target.begin(), target.end(), int64_t(0)))
        fail(n, "allowzero=1 with a 0 in the target shape is not supported");
    if (target.size() < 2 || (target[0] != 0 && target[0] != -1 && target[0] != x.shape[0]))
        fail(n, "target shape " + list(target) + " does not keep the batch dimension first");
    std::vector<int64_t> rest(target.begin() + 1, target.end());
    for (std::size_t k = 0; k < rest.size(); ++k) {
        if (rest[k] == 0) {
            if (k + 1 >= x.shape.size() || x.shape[k + 1] < 0) fail(n, "target shape " + list(target) + " copies an unknown dimension");
            rest[k] = x.shape[k + 1];
        } else if (rest[k] < -1) fail(n, "target shape " + list(target) + " has a negative dimension");
    }
    const int64_t features = product(x.shape, 1);
    if (std::count(rest.begin(), rest.end(), int64_t(-1)) + (target[0] == -1) > 1)
        fail(n, "target shape " + list(target) + " leaves more than one dimension to infer");
    int64_t known = 1; // the product of the given dims of `rest`
    for (int64_t r : rest)
        if (r > 0 && __builtin_mul_overflow(known, r, &known)) fail(n, "target shape " + list(target) + " has too many elements");
    if (features > 0 && known > 0) // one -1 in `rest`: infer it
        for (int64_t& r : rest)
            if (r == -1) {
                if (features % known != 0) fail(n, "target shape " + list(target) + " does not divide " + std::to_string(features) + " values");
                r = features / known;
            }
    if (features > 0 && product(rest) != features) fail(n, "target shape " + list(target) + " does not hold " + std::to_string(features) + " values");
    std::vector<int64_t> shape = {x.shape[0]};
    shape.insert(shape.end(), rest.begin(), rest.end());
    if (shape.size() == 2 && x.layout == Layout::ChannelsFirst) {
        OnnxNode asFlatten = n;
        asFlatten.attributes.clear();
        return flatten(asFlatten);
    }
    reshapeTo(n, x, shape, false);
}

void OnnxGraphImport::squeeze(const OnnxNode& n) {
    const Value x = input(n, 0);
    std::vector<int64_t> axes = n.intsAttr("axes");
    if (n.inputs.size() > 1 && !n.inputs[1].empty()) axes = requireConstant(n, 1, "shape").ints;
    const int64_t rank = int64_t(x.shape.size());
    // The batch is Strata's axis 0, ONNX's first axis unless a recurrent op's output view moved it.
    const int64_t batch = x.layout == Layout::FlatChw ? 0 : int64_t(std::find(strataAxes(x).begin(), strataAxes(x).end(), 0) - strataAxes(x).begin());
    std::vector<int64_t> out, dropped;
    for (int64_t k = 0; k < rank; ++k) {
        const bool named = std::any_of(axes.begin(), axes.end(), [&](int64_t a) { return (a < 0 ? a + rank : a) == k; });
        if (axes.empty() ? (k != batch && x.shape[std::size_t(k)] == 1) : named) {
            if (k == batch) fail(n, "squeezing the batch axis is not supported");
            if (x.shape[std::size_t(k)] != 1) fail(n, "axis " + std::to_string(k) + " has size " + std::to_string(x.shape[std::size_t(k)]) + ", not 1");
            dropped.push_back(k);
        } else out.push_back(x.shape[std::size_t(k)]);
    }
    if (out.size() < 2) fail(n, "squeezing to a rank below 2 is not supported");
    if (x.layout == Layout::Permuted && batch != 0 && dropUnitAxes(n, x, dropped)) return; // a recurrent op's time-major view
    reshapeTo(n, x, out, false);
}

void OnnxGraphImport::unsqueeze(const OnnxNode& n) {
    const Value x = input(n, 0);
    std::vector<int64_t> axes = n.intsAttr("axes");
    if (n.inputs.size() > 1 && !n.inputs[1].empty()) axes = requireConstant(n, 1, "shape").ints;
    const int64_t rank = int64_t(x.shape.size() + axes.size());
    // A (N, u) state unsqueezed to [1, N, u] for recurrent ops' initial_h / initial_c only (Strata's
    // own export of initial_state): those ops read the (N, u) layer itself (initialState).
    const auto readers = consumers_.find(n.outputs.at(0));
    const bool onlyInitialStates =
        !graphOutputs_.count(n.outputs.at(0)) && readers != consumers_.end() && !readers->second.empty() &&
        std::all_of(readers->second.begin(), readers->second.end(), [&](const OnnxNode* c) {
            if (c->opType != "LSTM" && c->opType != "GRU" && c->opType != "RNN") return false;
            for (std::size_t k = 0; k < c->inputs.size(); ++k)
                if (c->inputs[k] == n.outputs[0] && k != 5 && k != 6) return false;
            return true;
        });
    if (onlyInitialStates && axes.size() == 1 && (axes[0] == 0 || axes[0] == -rank) && x.shape.size() == 2 &&
        x.layout == Layout::Same) {
        stateParts_[n.outputs[0]] = {{x.layer}, x.shape[0], x.shape[1]};
        return;
    }
    std::vector<bool> inserted(std::size_t(rank), false);
    for (int64_t a : axes) {
        const int64_t k = a < 0 ? a + rank : a;
        if (k <= 0 || k >= rank) fail(n, "axis " + std::to_string(a) + " is not supported (the batch axis stays first)");
        if (inserted[std::size_t(k)]) fail(n, "axis " + std::to_string(a) + " is given twice");
        inserted[std::size_t(k)] = true;
    }
    std::vector<int64_t> out;
    for (std::size_t k = 0, from = 0; k < std::size_t(rank); ++k) out.push_back(inserted[k] ? 1 : x.shape.at(from++));
    reshapeTo(n, x, out, false);
}

} // namespace strata::storage
