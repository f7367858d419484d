#include "storage/onnx/OnnxImportAttention.h"

#include "storage/StorageError.h"

#include <algorithm>
#include <cmath>
#include <deque>
#include <map>
#include <optional>

namespace strata::storage {

namespace {

struct Mismatch {
    std::string why;
};

// One of q, k, v: the batch-first tensor it projects and the (in, width) kernel, row-major.
struct Projection {
    std::string source;
    int64_t in = 0, width = 0;
    std::vector<float> kernel;
    std::vector<float> bias; // empty: none
};

bool isPerm(const OnnxNode& n, std::vector<int64_t> perm) { return n.opType == "Transpose" && n.intsAttr("perm") == perm; }

OnnxAttribute tensorAttr(const std::string& name, std::vector<int64_t> dims, std::vector<float> values) {
    OnnxAttribute a;
    a.name = name;
    a.type = 4;
    a.t.name = name;
    a.t.dataType = 1;
    a.t.dims = std::move(dims);
    a.t.floats = std::move(values);
    return a;
}
OnnxAttribute intAttribute(const std::string& name, int64_t v) {
    OnnxAttribute a;
    a.name = name, a.type = 2, a.i = v;
    return a;
}

class AttentionMatcher {
public:
    AttentionMatcher(const std::vector<OnnxNode>& nodes, const std::function<const OnnxTensor*(const std::string&)>& constant)
        : nodes_(nodes), constant_(constant) {
        for (std::size_t i = 0; i < nodes.size(); ++i) {
            for (const auto& in : nodes[i].inputs) consumers_[in].push_back(i);
            for (const auto& out : nodes[i].outputs) producer_[out] = i;
            if (nodes[i].opType == "Constant" && !nodes[i].outputs.empty())
                if (const OnnxAttribute* a = nodes[i].attr("value")) constNodes_[nodes[i].outputs[0]] = &a->t;
            if (nodes[i].opType == "Identity" && nodes[i].inputs.size() == 1 && !nodes[i].outputs.empty())
                if (const OnnxTensor* c = tensor(nodes[i].inputs[0])) constNodes_[nodes[i].outputs[0]] = c;
            if (nodes[i].opType == "Reshape" && nodes[i].inputs.size() == 2 && !nodes[i].outputs.empty()) // Strata's kernels
                foldReshape(nodes[i]);
        }
    }

    // Whether Softmax node s reads a MatMul of two computed tensors (attention scores), through
    // an optional Add of a mask.
    bool attentionLike(const OnnxNode& s) const {
        const OnnxNode* p = made(s.inputs.empty() ? std::string() : s.inputs[0]);
        if (p && p->opType == "Add" && p->inputs.size() == 2) p = made(tensor(p->inputs[0]) ? p->inputs[1] : p->inputs[0]);
        if (p && p->opType == "Mul" && p->inputs.size() == 2 && tensor(p->inputs[1])) p = made(p->inputs[0]); // baddbmm's alpha
        return p && p->opType == "MatMul" && p->inputs.size() == 2 && !tensor(p->inputs[0]) && !tensor(p->inputs[1]);
    }

    // The fused node for the attention around Softmax node s; interior() then lists the nodes it
    // replaces, the last of them (the final Transpose) where the fused node goes.
    OnnxNode match(std::size_t s) {
        interior_.clear();
        const OnnxNode& softmax = nodes_[s];
        interior_.push_back(s);
        const int64_t axis = softmax.intAttr("axis", -1);
        if (axis != -1 && axis != 2) throw Mismatch{"the Softmax is over axis " + std::to_string(axis) + ", not the keys (-1)"};
        const OnnxNode* scores = &produced(softmax.inputs.at(0), nullptr, "the scores");
        bool causal = false;
        if (scores->opType == "Add") {
            const std::size_t k = tensor(scores->inputs.at(0)) ? 0 : 1;
            const OnnxTensor* mask = tensor(scores->inputs.at(k));
            if (!mask) throw Mismatch{"the scores are added to a computed tensor (a key padding mask), which is not supported"};
            requireCausal(*mask, scores->inputs.at(k));
            causal = true;
            scores = &produced(scores->inputs.at(1 - k), nullptr, "the scores");
        }
        double alpha = 1; // baddbmm(mask, q, k^T) writes MatMul, Mul by its alpha (1), Add of the mask
        if (scores->opType == "Mul" && scores->inputs.size() == 2) {
            const OnnxTensor* c = tensor(scores->inputs[1]);
            if (!c || !c->isFloat() || c->floats.size() != 1 || !(c->floats[0] > 0)) throw Mismatch{"the scores are multiplied by something other than a positive number"};
            alpha = c->floats[0];
            scores = &produced(scores->inputs[0], "MatMul", "the scores");
        }
        if (scores->opType != "MatMul") throw Mismatch{"the scores are no MatMul of queries and keys"};

        // q / sqrt(head_dim)
        const OnnxNode& scaled = produced(scores->inputs.at(0), nullptr, "the scaled queries");
        double scale = 0;
        std::string qHeads;
        if ((scaled.opType == "Div" || scaled.opType == "Mul") && scaled.inputs.size() == 2) {
            const OnnxTensor* c = tensor(scaled.inputs[1]);
            if (c && c->isFloat() && c->floats.size() == 1 && c->floats[0] > 0)
                scale = scaled.opType == "Div" ? 1.0 / c->floats[0] : c->floats[0], qHeads = scaled.inputs[0];
        }
        if (qHeads.empty()) throw Mismatch{"the queries are not scaled by a constant before the scores"};
        scale *= alpha;
        const OnnxNode& qT = produced(qHeads, "Transpose", "the queries' heads");
        if (isPerm(qT, {0, 2, 1, 3})) return matchBatchFirst(softmax, *scores, qT, scale, causal);
        if (!isPerm(qT, {1, 0, 2})) throw Mismatch{"the queries' heads are not transposed (1, 0, 2) or (0, 2, 1, 3)"};
        const Projection q = headsOf(qT.inputs.at(0), "queries");

        const OnnxNode& kT = produced(scores->inputs.at(1), "Transpose", "the transposed keys");
        std::string kView;
        if (isPerm(kT, {1, 2, 0})) kView = kT.inputs.at(0);
        else if (isPerm(kT, {0, 2, 1})) {
            const OnnxNode& k2 = produced(kT.inputs.at(0), "Transpose", "the keys' heads");
            if (!isPerm(k2, {1, 0, 2})) throw Mismatch{"the keys' heads are not transposed (1, 0, 2)"};
            kView = k2.inputs.at(0);
        } else
            throw Mismatch{"the keys are not transposed (1, 2, 0)"};
        const Projection k = headsOf(kView, "keys");

        // Softmax -> MatMul with the values' heads
        const OnnxNode& context = onlyUse(softmax.outputs.at(0), "MatMul", "the attention weights");
        if (context.inputs.at(0) != softmax.outputs[0]) throw Mismatch{"the attention weights are not the left operand of the MatMul with the values"};
        const OnnxNode& vT = produced(context.inputs.at(1), "Transpose", "the values' heads");
        if (!isPerm(vT, {1, 0, 2})) throw Mismatch{"the values' heads are not transposed (1, 0, 2)"};
        const Projection v = headsOf(vT.inputs.at(0), "values");

        // back to (T, N, E), the output projection, batch-first again
        const OnnxNode& merged = onlyUse(context.outputs.at(0), "Transpose", "the attention's result");
        if (!isPerm(merged, {1, 0, 2})) throw Mismatch{"the attention's result is not transposed (1, 0, 2)"};
        const OnnxNode& flat = onlyUse(merged.outputs.at(0), "Reshape", "the merged heads");
        const Projection out = outputProjection(flat.outputs.at(0));
        const OnnxNode& unflat = onlyUse(out.source, "Reshape", "the output projection");
        const OnnxNode* after = soleConsumer(unflat.outputs.at(0));
        if (!after || !isPerm(*after, {1, 0, 2}))
            throw Mismatch{"its output is not transposed back to batch-first (1, 0, 2); only batch_first=True attention imports "
                           "(Strata's sequences are batch-first)"};
        const OnnxNode& last = onlyUse(unflat.outputs.at(0), "Transpose", "the attention's output");

        const int64_t e = q.width;
        if (k.width != e || v.width != e) throw Mismatch{"the query, key and value projections differ in width"};
        if (out.in != e) throw Mismatch{"the output projection does not read " + std::to_string(e) + " features"};
        const double headDim = 1.0 / (scale * scale);
        const auto hd = int64_t(std::llround(headDim));
        if (hd < 1 || std::abs(headDim - double(hd)) > 1e-3 * headDim || e % hd != 0)
            throw Mismatch{"the query scale " + std::to_string(scale) + " is not 1/sqrt(head_dim) for a head_dim dividing " + std::to_string(e)};
        const int64_t heads = e / hd;

        return fusedNode(q, k, v, out, heads, hd, hd, causal, last.outputs.at(0));
    }

    const std::vector<std::size_t>& interior() const { return interior_; }    std::size_t anchor() const { return interior_.back(); }

private:
    // The fused node making `output`; the node making it is the region's last (its anchor).
    OnnxNode fusedNode(const Projection& q, const Projection& k, const Projection& v, const Projection& out, int64_t heads, int64_t keyDim,
                       int64_t valueDim, bool causal, const std::string& output) {
        OnnxNode fused;
        fused.name = nodes_[producer_.at(out.source)].name;
        fused.opType = kFusedAttentionOp;
        fused.inputs = {q.source, v.source};
        if (k.source != v.source) fused.inputs.push_back(k.source);
        fused.outputs = {output};
        const bool bias = !q.bias.empty() || !k.bias.empty() || !v.bias.empty() || !out.bias.empty();
        fused.attributes = {intAttribute("num_heads", heads), intAttribute("key_dim", keyDim), intAttribute("value_dim", valueDim),
                            intAttribute("causal", causal ? 1 : 0), intAttribute("use_bias", bias ? 1 : 0)};
        auto addVars = [&](const std::string& sub, const Projection& p, std::vector<int64_t> kernelDims, std::vector<int64_t> biasDims) {
            fused.attributes.push_back(tensorAttr(sub + "/kernel", std::move(kernelDims), p.kernel));
            if (bias) fused.attributes.push_back(tensorAttr(sub + "/bias", std::move(biasDims), p.bias.empty() ? std::vector<float>(std::size_t(p.width), 0.0f) : p.bias));
        };
        addVars("query", q, {q.in, heads, keyDim}, {heads, keyDim});
        addVars("key", k, {k.in, heads, keyDim}, {heads, keyDim});
        addVars("value", v, {v.in, heads, valueDim}, {heads, valueDim});
        addVars("attention_output", out, {heads, valueDim, out.width}, {out.width});
        interior_.push_back(producer_.at(output));
        return fused;
    }

    // Strata's own export (OnnxAttentionLayers.cpp): batch-first heads (N, heads, L, width) made by
    // Reshape (0, 0, heads, width) and Transpose (0, 2, 1, 3) of each projection, keys transposed
    // (0, 1, 3, 2), the result Transposed (0, 2, 1, 3), Reshaped (0, 0, heads * width) and projected.
    OnnxNode matchBatchFirst(const OnnxNode& softmax, const OnnxNode& scores, const OnnxNode& qT, double scale, bool causal) {
        auto heads = [&](const OnnxNode& t, const std::string& what, int64_t& h, int64_t& w) {
            const OnnxNode& r = produced(t.inputs.at(0), "Reshape", "the " + what + "' heads");
            const OnnxTensor* shape = tensor(r.inputs.at(1));
            if (!shape || shape->isFloat() || shape->ints.size() != 4 || shape->ints[2] < 1 || shape->ints[3] < 1)
                throw Mismatch{"the " + what + " are not reshaped to (0, 0, heads, width)"};
            h = shape->ints[2], w = shape->ints[3];
            Projection p = linear(r.inputs.at(0), what, false);
            if (p.width != h * w) throw Mismatch{"the " + what + "' projection is not heads * width wide"};
            return p;
        };
        int64_t hq = 0, wq = 0, hk = 0, wk = 0, hv = 0, wv = 0;
        const Projection q = heads(qT, "queries", hq, wq);
        const OnnxNode& kT = produced(scores.inputs.at(1), "Transpose", "the transposed keys");
        if (!isPerm(kT, {0, 1, 3, 2})) throw Mismatch{"the keys are not transposed (0, 1, 3, 2)"};
        const OnnxNode& kHeads = produced(kT.inputs.at(0), "Transpose", "the keys' heads");
        if (!isPerm(kHeads, {0, 2, 1, 3})) throw Mismatch{"the keys' heads are not transposed (0, 2, 1, 3)"};
        const Projection k = heads(kHeads, "keys", hk, wk);
        const OnnxNode& context = onlyUse(softmax.outputs.at(0), "MatMul", "the attention weights");
        if (context.inputs.at(0) != softmax.outputs[0]) throw Mismatch{"the attention weights are not the left operand of the MatMul with the values"};
        const OnnxNode& vT = produced(context.inputs.at(1), "Transpose", "the values' heads");
        if (!isPerm(vT, {0, 2, 1, 3})) throw Mismatch{"the values' heads are not transposed (0, 2, 1, 3)"};
        const Projection v = heads(vT, "values", hv, wv);
        const OnnxNode& merged = onlyUse(context.outputs.at(0), "Transpose", "the attention's result");
        if (!isPerm(merged, {0, 2, 1, 3})) throw Mismatch{"the attention's result is not transposed (0, 2, 1, 3)"};
        const OnnxNode& flat = onlyUse(merged.outputs.at(0), "Reshape", "the merged heads");
        const Projection out = outputProjection(flat.outputs.at(0));
        if (hk != hq || hv != hq || wk != wq) throw Mismatch{"the queries, keys and values have different heads"};
        if (out.in != hq * wv) throw Mismatch{"the output projection does not read heads * value width features"};
        if (std::abs(scale * std::sqrt(double(wq)) - 1.0) > 1e-4) throw Mismatch{"the query scale is not 1/sqrt(key_dim)"};
        return fusedNode(q, k, v, out, hq, wq, wv, causal, out.source);
    }

    // A Reshape of a constant (Strata's kernels, written as the variables and reshaped in the graph): folded.
    void foldReshape(const OnnxNode& r) {
        const OnnxTensor* x = tensor(r.inputs[0]);
        const OnnxTensor* shape = tensor(r.inputs[1]);
        if (!x || !x->isFloat() || !shape || shape->isFloat() || x->elementCount() != int64_t(x->floats.size())) return;
        std::vector<int64_t> dims = shape->ints;
        int64_t known = 1, unknown = -1;
        for (std::size_t d = 0; d < dims.size(); ++d) {
            if (dims[d] == 0 && d < x->dims.size()) dims[d] = x->dims[d];
            if (dims[d] == -1 && unknown < 0) unknown = int64_t(d);
            else if (dims[d] < 1 || __builtin_mul_overflow(known, dims[d], &known)) return;
        }
        if (unknown >= 0) {
            if (known == 0 || x->elementCount() % known != 0) return;
            dims[std::size_t(unknown)] = x->elementCount() / known;
        } else if (known != x->elementCount())
            return;
        OnnxTensor t = *x;
        t.name = r.outputs[0];
        t.dims = std::move(dims);
        folded_.push_back(std::move(t));
        constNodes_[r.outputs[0]] = &folded_.back();
    }

    const OnnxTensor* tensor(const std::string& t) const {
        if (const OnnxTensor* c = constant_(t)) return c;
        const auto it = constNodes_.find(t);
        return it == constNodes_.end() ? nullptr : it->second;
    }
    const OnnxNode* made(const std::string& t) const {
        const auto p = producer_.find(t);
        return p == producer_.end() ? nullptr : &nodes_[p->second];
    }
    // The node making t (of type op, when given), recorded as interior.
    const OnnxNode& produced(const std::string& t, const char* op, const std::string& what) {
        const auto p = producer_.find(t);
        if (p == producer_.end()) throw Mismatch{what + " ('" + t + "') are made by no node"};
        const OnnxNode& n = nodes_[p->second];
        if (op && n.opType != op) throw Mismatch{what + " are made by a " + n.opType + ", not a " + op};
        interior_.push_back(p->second);
        return n;
    }
    // The one node of type op reading t besides Shape nodes (torch's shape arithmetic), interior.
    const OnnxNode& onlyUse(const std::string& t, const char* op, const std::string& what) {
        const OnnxNode* found = nullptr;
        std::size_t index = 0;
        for (std::size_t c : consumers_[t]) {
            if (nodes_[c].opType == "Shape") continue;
            if (found && &nodes_[c] != found) throw Mismatch{what + " ('" + t + "') are read by more than the attention"};
            found = &nodes_[c], index = c;
        }
        if (!found) throw Mismatch{what + " ('" + t + "') are read by nothing"};
        if (found->opType != op) throw Mismatch{what + " are read by a " + found->opType + ", not a " + op};
        interior_.push_back(index);
        return *found;
    }

    // The projection whose (T, N * heads, head_dim) view is `view` (a Reshape).
    Projection headsOf(const std::string& view, const std::string& what) {
        const OnnxNode& reshape = produced(view, "Reshape", "the " + what + "' heads");
        const std::string t = reshape.inputs.at(0);
        const OnnxNode* p = made(t);
        if (p && p->opType == "Slice") return chunkOf(t, what);
        return linear(t, what);
    }

    // x @ W [+ b], x the Transpose (1, 0, 2) of a batch-first tensor, W and b constants.
    Projection linear(const std::string& t, const std::string& what, bool timeMajor = true) {
        const OnnxNode* n = &produced(t, nullptr, "the " + what + "' projection");
        const OnnxTensor* b = nullptr;
        if (n->opType == "Add" && n->inputs.size() == 2) {
            const std::size_t k = tensor(n->inputs[0]) ? 0 : 1;
            b = tensor(n->inputs[k]);
            if (!b) throw Mismatch{"the " + what + "' projection adds a computed tensor"};
            n = &produced(n->inputs[1 - k], "MatMul", "the " + what + "' projection");
        }
        if (n->opType != "MatMul") throw Mismatch{"the " + what + " are no MatMul by a constant (in_proj)"};
        const OnnxTensor* w = tensor(n->inputs.at(1));
        if (!w || !w->isFloat() || w->dims.size() != 2) throw Mismatch{"the " + what + "' projection is no MatMul by a constant 2-D weight"};
        Projection p;
        p.in = w->dims[0], p.width = w->dims[1];
        if (p.in < 1 || p.width < 1 || w->elementCount() != int64_t(w->floats.size())) throw Mismatch{"the " + what + "' projection weight is empty or short"};
        p.kernel = w->floats;
        if (b) {
            if (!b->isFloat() || int64_t(b->floats.size()) != p.width) throw Mismatch{"the " + what + "' projection bias has not " + std::to_string(p.width) + " values"};
            p.bias = b->floats;
        }
        if (!timeMajor) {
            p.source = n->inputs.at(0);
            return p;
        }
        const OnnxNode& x = produced(n->inputs.at(0), "Transpose", "the " + what + "' input");
        if (!isPerm(x, {1, 0, 2}))
            throw Mismatch{"the " + what + "' input is not a batch-first sequence transposed (1, 0, 2); only batch_first=True attention imports"};
        p.source = x.inputs.at(0);
        return p;
    }

    // torch's chunk of one packed projection (q, k, v of self-attention; k, v of key = value
    // attention): the Slice making t is part `index` of the Slices of the packed tensor, whose
    // bounds follow one another from 0.
    Projection chunkOf(const std::string& t, const std::string& what) {
        const OnnxNode& slice = produced(t, "Slice", "the " + what);
        const std::string packed = slice.inputs.at(0);
        std::vector<const OnnxNode*> parts;
        for (std::size_t c : consumers_[packed])
            if (nodes_[c].opType == "Slice") parts.push_back(&nodes_[c]);
        auto constantInt = [&](const OnnxNode& s, std::size_t k) -> std::optional<int64_t> {
            const OnnxTensor* c = k < s.inputs.size() ? tensor(s.inputs[k]) : nullptr;
            if (!c || c->isFloat() || c->ints.size() != 1) return std::nullopt;
            return c->ints[0];
        };
        for (const OnnxNode* s : parts) {
            const auto axis = constantInt(*s, 3);
            if (!axis || (*axis != -1 && *axis != 2)) throw Mismatch{"the packed projection is sliced on another axis than the features"};
            if (s->inputs.size() > 4 && !s->inputs[4].empty() && constantInt(*s, 4) != std::optional<int64_t>(1))
                throw Mismatch{"the packed projection is sliced with a step"};
        }
        std::vector<const OnnxNode*> order;
        for (const OnnxNode* s : parts)
            if (constantInt(*s, 1) == std::optional<int64_t>(0)) order.push_back(s);
        if (order.size() != 1) throw Mismatch{"the packed projection's slices do not start once at 0"};
        while (order.size() < parts.size()) {
            const OnnxNode* prev = order.back();
            const OnnxNode* next = nullptr;
            for (const OnnxNode* s : parts) {
                const bool sameTensor = s->inputs.at(1) == prev->inputs.at(2);
                const auto a = constantInt(*s, 1), b = constantInt(*prev, 2);
                if (s != prev && (sameTensor || (a && b && *a == *b))) next = s;
            }
            if (!next) throw Mismatch{"the packed projection's slices are not consecutive chunks"};
            order.push_back(next);
        }
        if (order.size() < 2 || order.size() > 3) throw Mismatch{"the packed projection is cut into " + std::to_string(order.size()) + " parts, not 2 or 3"};
        const auto index = int64_t(std::find(order.begin(), order.end(), &slice) - order.begin());
        Projection all = linear(packed, what);
        const auto count = int64_t(order.size());
        if (all.width % count != 0) throw Mismatch{"the packed projection's " + std::to_string(all.width) + " features do not split in " + std::to_string(count)};
        const int64_t w = all.width / count;
        for (const OnnxNode* s : order) { // constant bounds must be the chunk's
            const int64_t i = int64_t(std::find(order.begin(), order.end(), s) - order.begin());
            const auto start = constantInt(*s, 1), end = constantInt(*s, 2);
            if ((start && *start != i * w) || (end && *end != (i + 1) * w && !(i == count - 1 && *end >= all.width)))
                throw Mismatch{"the packed projection's slice " + std::to_string(i) + " is not its chunk of " + std::to_string(w) + " features"};
        }
        Projection p;
        p.source = all.source, p.in = all.in, p.width = w;
        for (int64_t r = 0; r < all.in; ++r)
            for (int64_t c = 0; c < w; ++c) p.kernel.push_back(all.kernel[std::size_t(r * all.width + index * w + c)]);
        if (!all.bias.empty()) p.bias.assign(all.bias.begin() + index * w, all.bias.begin() + (index + 1) * w);
        return p;
    }

    // The Gemm (or MatMul [+ Add]) reading the merged heads `t`: kernel (in, width); source = its output.
    Projection outputProjection(const std::string& t) {
        Projection p;
        const OnnxNode& n = onlyUse(t, consumerOp(t), "the merged heads");
        const OnnxTensor* w = n.inputs.size() > 1 ? tensor(n.inputs[1]) : nullptr;
        if (!w || !w->isFloat() || w->dims.size() != 2 || w->elementCount() != int64_t(w->floats.size()))
            throw Mismatch{"the output projection is no product with a constant 2-D weight"};
        const bool transB = n.opType == "Gemm" && n.intAttr("transB", 0) == 1;
        if (n.opType == "Gemm" && (n.intAttr("transA", 0) != 0 || n.floatAttr("alpha", 1) != 1.0f || n.floatAttr("beta", 1) != 1.0f))
            throw Mismatch{"the output projection's Gemm has transA, alpha or beta"};
        p.in = transB ? w->dims[1] : w->dims[0], p.width = transB ? w->dims[0] : w->dims[1];
        p.kernel.resize(std::size_t(p.in * p.width));
        for (int64_t r = 0; r < p.in; ++r)
            for (int64_t c = 0; c < p.width; ++c)
                p.kernel[std::size_t(r * p.width + c)] = transB ? w->floats[std::size_t(c * p.in + r)] : w->floats[std::size_t(r * p.width + c)];
        p.source = n.outputs.at(0);
        const OnnxTensor* b = n.opType == "Gemm" && n.inputs.size() > 2 && !n.inputs[2].empty() ? tensor(n.inputs[2]) : nullptr;
        if (n.opType == "Gemm" && n.inputs.size() > 2 && !n.inputs[2].empty() && !b) throw Mismatch{"the output projection's bias is computed"};
        if (n.opType == "MatMul") // + Add of a constant bias
            if (const OnnxNode* add = soleConsumer(p.source); add && add->opType == "Add" && add->inputs.size() == 2) {
                const std::size_t k = add->inputs[0] == p.source ? 1 : 0;
                if ((b = tensor(add->inputs[k]))) p.source = onlyUse(p.source, "Add", "the output projection").outputs.at(0);
            }
        if (b) {
            if (!b->isFloat() || int64_t(b->floats.size()) != p.width) throw Mismatch{"the output projection's bias has not " + std::to_string(p.width) + " values"};
            p.bias = b->floats;
        }
        return p;
    }
    const char* consumerOp(const std::string& t) const {
        const OnnxNode* c = soleConsumer(t);
        return c && c->opType == "Gemm" ? "Gemm" : "MatMul";
    }
    // The one node reading t besides Shape nodes, or nullptr.
    const OnnxNode* soleConsumer(const std::string& t) const {
        const auto it = consumers_.find(t);
        const OnnxNode* found = nullptr;
        if (it != consumers_.end())
            for (std::size_t c : it->second) {
                if (nodes_[c].opType == "Shape") continue;
                if (found && found != &nodes_[c]) return nullptr;
                found = &nodes_[c];
            }
        return found;
    }

    // A (T, S) or (1, T, S) constant that is 0 on and below the diagonal and -inf (or below -1e4) above.
    static void requireCausal(const OnnxTensor& m, const std::string& name) {
        std::vector<int64_t> d = m.dims;
        while (d.size() > 2 && d.front() == 1) d.erase(d.begin());
        int64_t count = 0;
        const bool shaped = m.isFloat() && d.size() == 2 && d[0] >= 0 && d[1] >= 0 && !__builtin_mul_overflow(d[0], d[1], &count) &&
                            count == int64_t(m.floats.size());
        bool causal = shaped;
        for (int64_t i = 0; causal && i < d[0]; ++i)
            for (int64_t j = 0; causal && j < d[1]; ++j) {
                const float x = m.floats[std::size_t(i * d[1] + j)];
                causal = j <= i ? x == 0.0f : x <= -1e4f;
            }
        if (!causal) throw Mismatch{"its attention mask '" + name + "' is not the causal one (0 up to the diagonal, -inf after)"};
    }

    const std::vector<OnnxNode>& nodes_;
    const std::function<const OnnxTensor*(const std::string&)>& constant_;
    std::map<std::string, std::vector<std::size_t>> consumers_;
    std::map<std::string, std::size_t> producer_;
    std::map<std::string, const OnnxTensor*> constNodes_;
    std::vector<std::size_t> interior_;
    std::deque<OnnxTensor> folded_; // Reshapes of constants (stable addresses)
};

} // namespace

std::vector<OnnxNode> dropUnusedOnnxNodes(const std::vector<OnnxNode>& nodes, const std::set<std::string>& graphOutputs) {
    std::vector<bool> live(nodes.size(), false);
    std::set<std::string> read(graphOutputs.begin(), graphOutputs.end());
    for (std::size_t i = nodes.size(); i-- > 0;) { // nodes are in topological order: readers come later
        for (const auto& out : nodes[i].outputs)
            if (!out.empty() && read.count(out)) live[i] = true;
        if (live[i])
            for (const auto& in : nodes[i].inputs) read.insert(in);
    }
    std::vector<OnnxNode> out;
    for (std::size_t i = 0; i < nodes.size(); ++i)
        if (live[i]) out.push_back(nodes[i]);
    return out;
}

std::vector<OnnxNode> fuseTorchAttention(const std::vector<OnnxNode>& input,
                                         const std::function<const OnnxTensor*(const std::string&)>& constant,
                                         const std::set<std::string>& graphOutputs, const std::string& source) {
    bool any = false;
    for (const OnnxNode& n : input) any = any || n.opType == "Softmax";
    if (!any) return input;
    const std::vector<OnnxNode> nodes = dropUnusedOnnxNodes(input, graphOutputs); // attention weights nobody reads
    AttentionMatcher matcher(nodes, constant);
    std::vector<bool> removed(nodes.size(), false);
    std::map<std::size_t, OnnxNode> fused; // at the index of the region's last node
    std::set<std::string> inner;           // tensors the fused regions made
    for (std::size_t s = 0; s < nodes.size(); ++s) {
        if (nodes[s].opType != "Softmax" || removed[s] || !matcher.attentionLike(nodes[s])) continue;
        try {
            OnnxNode f = matcher.match(s);
            for (std::size_t i : matcher.interior()) {
                removed[i] = true;
                for (const auto& o : nodes[i].outputs) inner.insert(o);
            }
            inner.erase(f.outputs[0]);
            fused[matcher.anchor()] = std::move(f);
        } catch (const Mismatch& m) {
            throw StorageError(source + ": " + nodes[s].label() + ": attention as torch 1.13 exports nn.MultiheadAttention was expected: " + m.why);
        }
    }
    if (fused.empty()) return input;
    std::vector<OnnxNode> out;
    for (std::size_t i = 0; i < nodes.size(); ++i) {
        if (const auto f = fused.find(i); f != fused.end()) out.push_back(f->second);
        else if (!removed[i]) out.push_back(nodes[i]);
    }
    out = dropUnusedOnnxNodes(out, graphOutputs);
    for (const OnnxNode& n : out)
        for (const auto& in : n.inputs)
            if (inner.count(in))
                throw StorageError(source + ": " + n.label() + " reads '" + in +
                                   "', a tensor inside an attention imported as one MultiHeadAttention layer");
    for (const auto& o : graphOutputs)
        if (inner.count(o)) throw StorageError(source + ": graph output '" + o + "' is a tensor inside an attention imported as one MultiHeadAttention layer");
    return out;
}

} // namespace strata::storage
