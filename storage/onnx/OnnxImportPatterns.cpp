#include "storage/onnx/OnnxImportPatterns.h"

#include <cmath>
#include <map>
#include <numbers>
#include <optional>

namespace strata::storage {

namespace {

OnnxAttribute floatAttr(const std::string& name, float v) {
    OnnxAttribute a;
    a.name = name, a.type = 1, a.f = v;
    return a;
}
OnnxAttribute intAttr(const std::string& name, int64_t v) {
    OnnxAttribute a;
    a.name = name, a.type = 2, a.i = v;
    return a;
}
OnnxAttribute stringAttr(const std::string& name, const std::string& v) {
    OnnxAttribute a;
    a.name = name, a.type = 3, a.s = v;
    return a;
}

bool near(float a, double b) { return std::abs(double(a) - b) <= 1e-4 * std::max(1.0, std::abs(b)); }

class Matcher {
public:
    Matcher(const std::vector<OnnxNode>& nodes, const std::function<const OnnxTensor*(const std::string&)>& constant,
            const std::set<std::string>& outputs)
        : nodes_(nodes), constant_(constant), outputs_(outputs), removed_(nodes.size(), false) {
        for (std::size_t i = 0; i < nodes.size(); ++i) {
            for (const auto& in : nodes[i].inputs) ++uses_[in];
            for (const auto& out : nodes[i].outputs) producer_[out] = i;
            if (nodes[i].opType == "Constant" && !nodes[i].outputs.empty())
                if (const OnnxAttribute* a = nodes[i].attr("value")) constNodes_[nodes[i].outputs[0]] = &a->t;
            // torch.onnx.export shares equal weights through Identity nodes (a LayerNorm's bias).
            if (nodes[i].opType == "Identity" && nodes[i].inputs.size() == 1 && !nodes[i].outputs.empty())
                if (const OnnxTensor* c = tensor(nodes[i].inputs[0])) constNodes_[nodes[i].outputs[0]] = c;
        }
        for (const auto& o : outputs) ++uses_[o];
    }

    std::vector<OnnxNode> run() {
        std::vector<std::optional<OnnxNode>> fused(nodes_.size());
        for (std::size_t i = nodes_.size(); i-- > 0;) { // outermost first: a LayerNorm's Add before its Div
            if (removed_[i]) continue;
            interior_.clear();
            std::optional<OnnxNode> f = match(nodes_[i]);
            if (!f) continue;
            for (std::size_t k : interior_) removed_[k] = true;
            f->name = nodes_[i].name;
            f->outputs = {nodes_[i].outputs.at(0)};
            fused[i] = std::move(f);
        }
        std::vector<OnnxNode> out;
        for (std::size_t i = 0; i < nodes_.size(); ++i)
            if (!removed_[i]) out.push_back(fused[i] ? std::move(*fused[i]) : nodes_[i]);
        return out;
    }

private:
    // A constant tensor: an initializer, a Constant node, or an Identity of either.
    const OnnxTensor* tensor(const std::string& t) const {
        if (const OnnxTensor* c = constant_(t)) return c;
        const auto it = constNodes_.find(t);
        return it == constNodes_.end() ? nullptr : it->second;
    }
    // The scalar value of a constant tensor, if it is one.
    std::optional<float> scalar(const std::string& t) const {
        const OnnxTensor* c = tensor(t);
        if (!c || !c->isFloat() || c->floats.size() != 1) return std::nullopt;
        return c->floats[0];
    }
    bool isConstant(const std::string& t) const { return tensor(t) != nullptr; }

    // The node that makes `t` when it is an `op` whose output is used `uses` times and is no
    // graph output (so it may disappear into the fused node); it is recorded as interior.
    const OnnxNode* inner(const std::string& t, const char* op, int uses = 1) {
        const auto p = producer_.find(t);
        if (p == producer_.end() || removed_[p->second] || nodes_[p->second].opType != op) return nullptr;
        const auto u = uses_.find(t);
        if (outputs_.count(t) || u == uses_.end() || u->second != uses) return nullptr;
        interior_.push_back(p->second);
        return &nodes_[p->second];
    }

    // For a binary node, the input that is the scalar `value` and the other one.
    bool scalarOperand(const OnnxNode& n, double value, std::string& other) const {
        if (n.inputs.size() != 2) return false;
        for (int k = 0; k < 2; ++k) {
            const auto v = scalar(n.inputs[std::size_t(k)]);
            if (v && near(*v, value)) {
                other = n.inputs[std::size_t(1 - k)];
                return true;
            }
        }
        return false;
    }

    std::optional<OnnxNode> match(const OnnxNode& n) {
        if (n.opType == "Mul" && n.inputs.size() == 2) {
            for (int k = 0; k < 2; ++k) {
                const std::size_t mark = interior_.size();
                if (auto f = unaryTimesX(n.inputs[std::size_t(k)], n.inputs[std::size_t(1 - k)])) return f;
                interior_.resize(mark);
            }
            if (auto f = gelu(n)) return f;
            interior_.clear();
        }
        if (n.opType == "Add" || n.opType == "Mul" || n.opType == "Div")
            if (auto f = layerNorm(n)) return f;
        interior_.clear();
        return std::nullopt;
    }

    OnnxNode fusedNode(const char* op, std::vector<std::string> inputs, std::vector<OnnxAttribute> attrs = {}) const {
        OnnxNode f;
        f.opType = op;
        f.inputs = std::move(inputs);
        f.attributes = std::move(attrs);
        return f;
    }

    // x * f(x) for f = Sigmoid (SiLU), HardSigmoid(1/6, 1/2) (hard swish), Tanh(Softplus) (mish).
    std::optional<OnnxNode> unaryTimesX(const std::string& fx, const std::string& x) {
        if (const OnnxNode* s = inner(fx, "Sigmoid"); s && s->inputs.at(0) == x) return fusedNode("Swish", {x});
        interior_.clear();
        if (const OnnxNode* h = inner(fx, "HardSigmoid"); h && h->inputs.at(0) == x && near(h->floatAttr("alpha", 0.2f), 1.0 / 6) &&
                                                          near(h->floatAttr("beta", 0.5f), 0.5))
            return fusedNode("HardSwish", {x});
        interior_.clear();
        if (const OnnxNode* t = inner(fx, "Tanh"))
            if (const OnnxNode* sp = inner(t->inputs.at(0), "Softplus"); sp && sp->inputs.at(0) == x) return fusedNode("Mish", {x});
        interior_.clear();
        return std::nullopt;
    }

    // 0.5 * (x * (1 + g)) or (0.5 * x) * (1 + g), any operand order; g = Erf(x / sqrt 2) or
    // Tanh(sqrt(2/pi) (x + 0.044715 x^3)).
    std::optional<OnnxNode> gelu(const OnnxNode& root) {
        std::string prod, x, onePlus;
        if (scalarOperand(root, 0.5, prod)) { // 0.5 * Mul(x, 1 + g)
            const OnnxNode* p = inner(prod, "Mul");
            if (!p) return std::nullopt;
            for (int k = 0; k < 2; ++k) {
                const std::size_t mark = interior_.size();
                if (auto f = geluTail(p->inputs[std::size_t(k)], p->inputs[std::size_t(1 - k)])) return f;
                interior_.resize(mark);
            }
            return std::nullopt;
        }
        for (int k = 0; k < 2; ++k) { // Mul(0.5 * x, 1 + g)
            const std::size_t mark = interior_.size();
            const OnnxNode* h = inner(root.inputs[std::size_t(k)], "Mul");
            if (h && scalarOperand(*h, 0.5, x))
                if (auto f = geluTail(x, root.inputs[std::size_t(1 - k)])) return f;
            interior_.resize(mark);
        }
        return std::nullopt;
    }

    // onePlus = 1 + g(x): which GELU, if any.
    std::optional<OnnxNode> geluTail(const std::string& x, const std::string& onePlus) {
        const OnnxNode* a = inner(onePlus, "Add");
        std::string g;
        if (!a || !scalarOperand(*a, 1.0, g)) return std::nullopt;
        const std::size_t mark = interior_.size();
        if (const OnnxNode* e = inner(g, "Erf")) {
            const std::string& d = e->inputs.at(0);
            std::string arg;
            if (const OnnxNode* dv = inner(d, "Div"); dv && dv->inputs.size() == 2 && dv->inputs[0] == x) {
                const auto s = scalar(dv->inputs[1]);
                if (s && near(*s, std::numbers::sqrt2)) return fusedNode("Gelu", {x});
            }
            interior_.resize(mark + 1);
            if (const OnnxNode* m = inner(d, "Mul"); m && scalarOperand(*m, std::numbers::sqrt2 / 2, arg) && arg == x)
                return fusedNode("Gelu", {x});
            return std::nullopt;
        }
        interior_.resize(mark);
        const OnnxNode* t = inner(g, "Tanh");
        std::string sum, cube, xc;
        const OnnxNode* b = t ? inner(t->inputs.at(0), "Mul") : nullptr;
        if (!b || !scalarOperand(*b, std::sqrt(2.0 / std::numbers::pi), sum)) return std::nullopt;
        const OnnxNode* s = inner(sum, "Add");
        if (!s || s->inputs.size() != 2) return std::nullopt;
        const std::string& k = s->inputs[0] == x ? s->inputs[1] : s->inputs[0];
        if (s->inputs[0] != x && s->inputs[1] != x) return std::nullopt;
        const OnnxNode* km = inner(k, "Mul");
        if (!km || !scalarOperand(*km, 0.044715, cube) || !isCube(cube, x)) return std::nullopt;
        return fusedNode("Gelu", {x}, {stringAttr("approximate", "tanh")});
    }

    // x^3 as Pow(x, 3), Mul(x, Mul(x, x)) or Mul(Mul(x, x), x).
    bool isCube(const std::string& t, const std::string& x) {
        const std::size_t mark = interior_.size();
        if (const OnnxNode* p = inner(t, "Pow"); p && p->inputs.size() == 2 && p->inputs[0] == x) {
            const auto e = scalar(p->inputs[1]);
            if (e && *e == 3.0f) return true;
        }
        interior_.resize(mark);
        const OnnxNode* m = inner(t, "Mul");
        if (!m || m->inputs.size() != 2) return false;
        for (int k = 0; k < 2; ++k) {
            if (m->inputs[std::size_t(k)] != x) continue;
            const std::size_t at = interior_.size();
            if (const OnnxNode* sq = inner(m->inputs[std::size_t(1 - k)], "Mul"); sq && sq->inputs.size() == 2 && sq->inputs[0] == x &&
                                                                                  sq->inputs[1] == x)
                return true;
            interior_.resize(at);
        }
        return false;
    }

    // [Add(Mul(norm, gamma), beta) | Mul(norm, gamma) | Add(norm, beta) | norm], norm the Div.
    std::optional<OnnxNode> layerNorm(const OnnxNode& root) {
        std::string gamma, beta;
        const OnnxNode* div = nullptr;
        auto constOperand = [&](const OnnxNode& n, std::string& c, std::string& other) {
            if (n.inputs.size() != 2) return false;
            for (int k = 0; k < 2; ++k)
                if (isConstant(n.inputs[std::size_t(k)]) && !isConstant(n.inputs[std::size_t(1 - k)])) {
                    c = n.inputs[std::size_t(k)], other = n.inputs[std::size_t(1 - k)];
                    return true;
                }
            return false;
        };
        std::string rest;
        if (root.opType == "Add") {
            if (!constOperand(root, beta, rest)) return std::nullopt;
            if (const OnnxNode* m = inner(rest, "Mul")) {
                std::string normOut;
                if (!constOperand(*m, gamma, normOut)) return std::nullopt;
                div = inner(normOut, "Div");
            } else {
                div = inner(rest, "Div");
            }
        } else if (root.opType == "Mul") {
            if (!constOperand(root, gamma, rest)) return std::nullopt;
            div = inner(rest, "Div");
        } else {
            div = &root;
        }
        if (!div || div->inputs.size() != 2) return std::nullopt;
        const std::string& centered = div->inputs[0];
        const OnnxNode* sqrt = inner(div->inputs[1], "Sqrt");
        const OnnxNode* varEps = sqrt ? inner(sqrt->inputs.at(0), "Add") : nullptr;
        std::string var;
        const auto eps = varEps && varEps->inputs.size() == 2 ? [&]() -> std::optional<float> {
            for (int k = 0; k < 2; ++k)
                if (auto v = scalar(varEps->inputs[std::size_t(k)])) {
                    var = varEps->inputs[std::size_t(1 - k)];
                    return v;
                }
            return std::nullopt;
        }() : std::nullopt;
        if (!eps) return std::nullopt;
        const OnnxNode* varMean = inner(var, "ReduceMean");
        if (!varMean) return std::nullopt;
        const std::string& squared = varMean->inputs.at(0);
        const OnnxNode* sq = inner(squared, "Pow");
        if (sq) {
            const auto two = sq->inputs.size() == 2 ? scalar(sq->inputs[1]) : std::nullopt;
            if (sq->inputs[0] != centered || !two || *two != 2.0f) return std::nullopt;
        } else {
            sq = inner(squared, "Mul");
            if (!sq || sq->inputs.size() != 2 || sq->inputs[0] != centered || sq->inputs[1] != centered) return std::nullopt;
        }
        const int centeredUses = sq->opType == "Mul" ? 3 : 2; // the square and the Div
        const OnnxNode* sub = inner(centered, "Sub", centeredUses);
        if (!sub || sub->inputs.size() != 2) return std::nullopt;
        const std::string& x = sub->inputs[0];
        const OnnxNode* mean = inner(sub->inputs[1], "ReduceMean");
        if (!mean || mean->inputs.at(0) != x) return std::nullopt;
        const std::vector<int64_t> axes = mean->intsAttr("axes"), varAxes = varMean->intsAttr("axes");
        if (axes.size() != 1 || varAxes != axes || mean->intAttr("keepdims", 1) != 1 || varMean->intAttr("keepdims", 1) != 1)
            return std::nullopt;
        return fusedNode("LayerNormalization", {x, gamma, beta}, {intAttr("axis", axes[0]), floatAttr("epsilon", *eps)});
    }

    const std::vector<OnnxNode>& nodes_;
    const std::function<const OnnxTensor*(const std::string&)>& constant_;
    const std::set<std::string>& outputs_;
    std::vector<bool> removed_;
    std::map<std::string, int> uses_;
    std::map<std::string, std::size_t> producer_;
    std::map<std::string, const OnnxTensor*> constNodes_;
    std::vector<std::size_t> interior_;
};

} // namespace

std::vector<OnnxNode> fuseOnnxPatterns(const std::vector<OnnxNode>& nodes,
                                       const std::function<const OnnxTensor*(const std::string&)>& constant,
                                       const std::set<std::string>& graphOutputs) {
    return Matcher(nodes, constant, graphOutputs).run();
}

} // namespace strata::storage
