#include "engine/layers/RecurrentLayers.h"

#include "engine/Error.h"
#include "engine/LayerRegistry.h"
#include "engine/Masks.h"
#include "engine/ir/Composite.h"

namespace strata::layers {

namespace {

const char* kSequenceShape = "(batch, steps, features)";

ir::ValueId act(ir::Graph& g, const std::string& name, ir::ValueId x) {
    return name == "linear" ? x : ir::activation(g, name, x);
}

} // namespace

RecurrentLayer::RecurrentLayer(const LayerTypeInfo& info, std::string name, nlohmann::json config)
    : Layer(info, std::move(name), std::move(config)), units(intConfig("units", 1)),
      activation(activationConfig("activation")),
      recurrentActivation(info.defaults.contains("recurrent_activation") ? activationConfig("recurrent_activation")
                                                                         : std::string("linear")),
      useBias(cfg("use_bias").get<bool>()), returnSequences(cfg("return_sequences").get<bool>()),
      goBackwards(cfg("go_backwards").get<bool>()), returnState(cfg("return_state").get<bool>()), kernelInit_(initializerConfig("kernel_initializer")),
      recurrentInit_(initializerConfig("recurrent_initializer")), biasInit_(initializerConfig("bias_initializer")) {
    if (activation == "softmax") configError("activation", "softmax is not a per-unit activation");
    if (recurrentActivation == "softmax") configError("recurrent_activation", "softmax is not a per-unit activation");
    if (isGru()) resetAfter_ = cfg("reset_after").get<bool>();
    if (isLstm()) unitForgetBias_ = cfg("unit_forget_bias").get<bool>();
}

int64_t RecurrentLayer::gates() const { return isLstm() ? 4 : isGru() ? 3 : 1; }

Shape RecurrentLayer::outputShape(const std::vector<Shape>& inputs) const {
    const Shape& in = inputs.at(0);
    requireRank(in, 3, kSequenceShape);
    if (!in.isKnown(2)) throw ShapeError("needs a known number of input features, got " + in.toString());
    if (in.isKnown(1) && in[1] == 0) throw ShapeError("needs at least one step, got " + in.toString());
    // Keras' initial_state: every state or none.
    if (inputs.size() != 1 && int(inputs.size()) != 1 + stateCount())
        throw ShapeError(isLstm() ? "takes the sequence, or the sequence and its initial states h and c (3 inputs), got " +
                                        std::to_string(inputs.size()) + " inputs"
                                  : "takes the sequence, or the sequence and its initial state (2 inputs), got " +
                                        std::to_string(inputs.size()) + " inputs");
    const Shape state{in[0], units};
    for (std::size_t k = 1; k < inputs.size(); ++k)
        if (!inputs[k].isCompatibleWith(state))
            throw ShapeError(std::string("its initial state ") + (k == 1 ? "h" : "c") + " (input " + std::to_string(k + 1) +
                             ") must be " + state.toString() + ", got " + inputs[k].toString());
    return returnSequences ? Shape{in[0], in[1], units} : Shape{in[0], units};
}

std::vector<Shape> RecurrentLayer::extraOutputShapes(const std::vector<Shape>& inputs) const {
    if (!returnState) return {};
    const Shape state{inputs.at(0)[0], units};
    return std::vector<Shape>(std::size_t(stateCount()), state);
}

std::vector<std::string> RecurrentLayer::extraOutputNames() const {
    if (!returnState) return {};
    if (isLstm()) return {"state_h", "state_c"};
    return {"state"};
}

std::vector<VariableSpec> RecurrentLayer::variableSpecs(const std::vector<Shape>& inputs) const {
    const int64_t features = inputs.at(0)[2], width = gates() * units;
    const Shape kernel{features, width}, recurrent{units, width};
    (void)kernel.numElements(), (void)recurrent.numElements(); // checked: too large to count is an error
    std::vector<VariableSpec> v{{"kernel", kernel, true, kernelInit_, features, width},
                                {"recurrent_kernel", recurrent, true, recurrentInit_, units, width}};
    // GRU with reset_after has two biases, (2, 3 * units): the input's, then the recurrent one's.
    if (useBias) v.push_back({"bias", resetAfter_ ? Shape{2, width} : Shape{width}, true, biasInit_, features, width});
    return v;
}

void RecurrentLayer::buildVariables(const std::vector<Shape>& inputs, uint64_t seed) {
    Layer::buildVariables(inputs, seed);
    if (!isLstm() || !useBias || !unitForgetBias_) return;
    // Keras: bias = concat(bias_initializer(units), ones(units), bias_initializer(2 * units)).
    Variable* bias = findVariable("bias");
    float* b = bias->value().f32();
    for (int64_t i = units; i < 2 * units; ++i) b[i] = 1.0f;
}

std::vector<ir::ValueId> RecurrentLayer::unroll(CallContext& ctx, ir::ValueId x, ir::ValueId mask, ir::ValueId h0,
                                                ir::ValueId c0, ir::ValueId* finalC) const {
    ir::Graph& g = ctx.graph();
    const Shape s = g.shape(x);
    const int64_t n = s[0], steps = s[1], features = s[2], u = units, width = gates() * u;
    if (steps < 1) throw ShapeError("needs at least one step, got " + s.toString());
    if (mask != ir::kNoValue) masks::requireSequenceMask(g, mask, x, type().c_str());
    for (ir::ValueId v : {h0, c0})
        if (v != ir::kNoValue && g.shape(v) != Shape{n, u})
            throw ShapeError("its initial state must be " + Shape{n, u}.toString() + ", got " + g.shape(v).toString());
    if (c0 != ir::kNoValue && !isLstm()) throw StrataError("only an LSTM has an initial carry state c");
    const ir::ValueId kernel = ctx.variable(*this, "kernel");
    const ir::ValueId recurrent = ctx.variable(*this, "recurrent_kernel");
    ir::ValueId inputBias = ir::kNoValue, recurrentBias = ir::kNoValue;
    if (useBias) {
        const ir::ValueId bias = ctx.variable(*this, "bias");
        if (resetAfter_) {
            inputBias = g.reshape(g.slice(bias, 0, 0, 1), Shape{width});
            recurrentBias = g.reshape(g.slice(bias, 0, 1, 1), Shape{width});
        } else {
            inputBias = bias;
        }
    }
    // Every step's input projection at once, time major: (steps, n, width).
    ir::ValueId xw = g.matmul(g.reshape(g.transpose(x, {1, 0, 2}), Shape{steps * n, features}), kernel);
    if (inputBias != ir::kNoValue) xw = g.add(xw, inputBias);
    xw = g.reshape(xw, Shape{steps, n, width});
    auto gate = [&](ir::ValueId v, int64_t k) { return g.slice(v, 1, k * u, u); };

    // GRU without reset_after: the candidate's recurrent kernel multiplies r * h separately.
    ir::ValueId recurrentZr = ir::kNoValue, recurrentH = ir::kNoValue;
    if (isGru() && !resetAfter_) {
        recurrentZr = g.slice(recurrent, 1, 0, 2 * u);
        recurrentH = g.slice(recurrent, 1, 2 * u, u);
    }

    std::vector<ir::ValueId> out;
    out.reserve(std::size_t(steps));
    ir::ValueId h = h0, c = c0; // kNoValue: the zero initial state
    // Keras' masked step: each state is where(mask_t, new, previous); the zero initial state is kNoValue.
    auto keep = [&](ir::ValueId mt, ir::ValueId next, ir::ValueId prev) {
        return prev == ir::kNoValue ? g.mul(mt, next) : masks::select(g, mt, next, prev);
    };
    for (int64_t k = 0; k < steps; ++k) {
        const int64_t t = goBackwards ? steps - 1 - k : k;
        const ir::ValueId xt = g.reshape(g.slice(xw, 0, t, 1), Shape{n, width});
        const ir::ValueId hPrev = h, cPrev = c;
        if (isLstm()) {
            const ir::ValueId z = h == ir::kNoValue ? xt : g.add(xt, g.matmul(h, recurrent));
            const ir::ValueId i = act(g, recurrentActivation, gate(z, 0));
            const ir::ValueId candidate = act(g, activation, gate(z, 2));
            const ir::ValueId o = act(g, recurrentActivation, gate(z, 3));
            const ir::ValueId ic = g.mul(i, candidate);
            c = c == ir::kNoValue ? ic : g.add(g.mul(act(g, recurrentActivation, gate(z, 1)), c), ic);
            h = g.mul(o, act(g, activation, c));
        } else if (isGru()) {
            ir::ValueId zGate, rGate, candidate;
            if (resetAfter_) {
                ir::ValueId hr = ir::kNoValue; // h U + recurrent bias
                if (h != ir::kNoValue) hr = g.matmul(h, recurrent);
                if (recurrentBias != ir::kNoValue)
                    hr = hr == ir::kNoValue ? g.broadcastTo(recurrentBias, Shape{n, width}) : g.add(hr, recurrentBias);
                const ir::ValueId zr = hr == ir::kNoValue ? g.slice(xt, 1, 0, 2 * u)
                                                          : g.add(g.slice(xt, 1, 0, 2 * u), g.slice(hr, 1, 0, 2 * u));
                zGate = act(g, recurrentActivation, gate(zr, 0));
                rGate = act(g, recurrentActivation, gate(zr, 1));
                candidate = hr == ir::kNoValue ? gate(xt, 2) : g.add(gate(xt, 2), g.mul(rGate, gate(hr, 2)));
            } else {
                const ir::ValueId zr = h == ir::kNoValue ? g.slice(xt, 1, 0, 2 * u)
                                                         : g.add(g.slice(xt, 1, 0, 2 * u), g.matmul(h, recurrentZr));
                zGate = act(g, recurrentActivation, gate(zr, 0));
                rGate = act(g, recurrentActivation, gate(zr, 1));
                candidate = h == ir::kNoValue ? gate(xt, 2) : g.add(gate(xt, 2), g.matmul(g.mul(rGate, h), recurrentH));
            }
            candidate = act(g, activation, candidate);
            // h = z * h_prev + (1 - z) * candidate = candidate + z * (h_prev - candidate)
            h = h == ir::kNoValue ? g.sub(candidate, g.mul(zGate, candidate))
                                  : g.add(candidate, g.mul(zGate, g.sub(h, candidate)));
        } else {
            h = act(g, activation, h == ir::kNoValue ? xt : g.add(xt, g.matmul(h, recurrent)));
        }
        if (mask != ir::kNoValue) {
            const ir::ValueId mt = g.reshape(g.slice(mask, 1, t, 1), Shape{n, 1});
            h = keep(mt, h, hPrev);
            if (isLstm()) c = keep(mt, c, cPrev);
        }
        out.push_back(h);
    }
    if (finalC) *finalC = c;
    return out;
}

namespace {

// (n, units) states, in order, as the sequence (n, steps, units).
ir::ValueId stack(ir::Graph& g, const std::vector<ir::ValueId>& states) {
    std::vector<ir::ValueId> parts;
    parts.reserve(states.size());
    for (ir::ValueId h : states) {
        const Shape s = g.shape(h);
        parts.push_back(g.reshape(h, Shape{s[0], 1, s[1]}));
    }
    return parts.size() == 1 ? parts[0] : g.concat(parts, 1);
}

} // namespace

LayerOutput RecurrentLayer::call(CallContext& ctx, const std::vector<ir::ValueId>& in) const {
    const ir::ValueId h0 = in.size() > 1 ? in[1] : ir::kNoValue;
    const ir::ValueId c0 = isLstm() && in.size() > 2 ? in[2] : ir::kNoValue;
    ir::ValueId c = ir::kNoValue;
    const std::vector<ir::ValueId> states = unroll(ctx, in.at(0), ctx.inputMask(0), h0, c0, &c);
    LayerOutput y;
    y.value = returnSequences ? stack(ctx.graph(), states) : states.back();
    if (returnState) {
        y.extra.push_back(states.back());
        if (isLstm()) y.extra.push_back(c);
    }
    return y;
}

ir::ValueId RecurrentLayer::computeMask(CallContext&, const std::vector<ir::ValueId>&, const std::vector<ir::ValueId>& masks) const {
    return returnSequences && !masks.empty() ? masks[0] : ir::kNoValue;
}

bool RecurrentLayer::outputMasked(const std::vector<bool>& masked) const { return returnSequences && !masked.empty() && masked[0]; }

std::string RecurrentLayer::maskEffect(const std::vector<bool>& masked) const {
    return !masked.empty() && masked[0] ? "masked steps keep the previous state and repeat the previous output" : "";
}

std::string RecurrentLayer::keyConfigText() const {
    std::string s = std::to_string(units);
    if (returnSequences) s += " seq";
    if (returnState) s += " +state";
    if (goBackwards) s += " backwards";
    if (activation != "tanh") s += " " + activation;
    return s;
}

Bidirectional::Bidirectional(const LayerTypeInfo& info, std::string name, nlohmann::json config)
    : Layer(info, std::move(name), std::move(config)), mergeMode(choiceConfig("merge_mode", {"concat", "sum", "mul", "ave"})) {
    const nlohmann::json& inner = cfg("layer");
    if (!inner.is_object() || !inner.contains("type") || !inner["type"].is_string())
        configError("layer", "must be {\"type\": \"LSTM\", \"config\": {...}} with type SimpleRNN, LSTM or GRU, got " +
                                 inner.dump());
    for (auto it = inner.begin(); it != inner.end(); ++it)
        if (it.key() != "type" && it.key() != "config" && it.key() != "name")
            configError("layer", "unknown key '" + it.key() + "' (known: type, config, name)");
    const std::string type = inner["type"].get<std::string>();
    if (type != "SimpleRNN" && type != "LSTM" && type != "GRU")
        configError("layer", "must wrap a SimpleRNN, LSTM or GRU, got " + inner["type"].dump());
    nlohmann::json innerConfig = inner.value("config", nlohmann::json::object());
    if (!innerConfig.is_object()) configError("layer", "config must be an object, got " + innerConfig.dump());
    const std::string innerName =
        inner.contains("name") && inner["name"].is_string() ? inner["name"].get<std::string>() : defaultLayerName(type);
    try {
        ownedForward_ = LayerRegistry::instance().create(type, "forward_" + innerName, innerConfig);
        nlohmann::json backwardConfig = innerConfig;
        backwardConfig["go_backwards"] = !static_cast<RecurrentLayer&>(*ownedForward_).goBackwards;
        ownedBackward_ = LayerRegistry::instance().create(type, "backward_" + innerName, backwardConfig);
    } catch (const StrataError& e) {
        configError("layer", std::string(e.what()));
    }
    forward_ = static_cast<RecurrentLayer*>(ownedForward_.get());
    backward_ = static_cast<RecurrentLayer*>(ownedBackward_.get());
}

Shape Bidirectional::outputShape(const std::vector<Shape>& inputs) const {
    Shape s = forward_->outputShape(inputs);
    if (mergeMode == "concat") s[s.rank() - 1] = 2 * forward_->units;
    return s;
}

std::vector<Shape> Bidirectional::extraOutputShapes(const std::vector<Shape>& inputs) const {
    std::vector<Shape> s = forward_->extraOutputShapes(inputs);
    const std::vector<Shape> b = backward_->extraOutputShapes(inputs);
    s.insert(s.end(), b.begin(), b.end());
    return s;
}

std::vector<std::string> Bidirectional::extraOutputNames() const {
    std::vector<std::string> out;
    for (const char* copy : {"forward_", "backward_"})
        for (const std::string& n : forward_->extraOutputNames()) out.push_back(copy + n);
    return out;
}

ParamCounts Bidirectional::countParams(const std::vector<Shape>& inputs) const {
    ParamCounts p = forward_->countParams(inputs);
    p += backward_->countParams(inputs);
    return p;
}

void Bidirectional::buildVariables(const std::vector<Shape>& inputs, uint64_t seed) {
    forward_->build(inputs, seed);
    backward_->build(inputs, seed);
    if (ownedForward_) addSubmodule(std::move(ownedForward_));
    if (ownedBackward_) addSubmodule(std::move(ownedBackward_));
}

LayerOutput Bidirectional::call(CallContext& ctx, const std::vector<ir::ValueId>& in) const {
    ir::Graph& g = ctx.graph();
    ir::ValueId fc = ir::kNoValue, bc = ir::kNoValue;
    const std::vector<ir::ValueId> f = forward_->unroll(ctx, in.at(0), ctx.inputMask(0), ir::kNoValue, ir::kNoValue, &fc);
    std::vector<ir::ValueId> b = backward_->unroll(ctx, in.at(0), ctx.inputMask(0), ir::kNoValue, ir::kNoValue, &bc);
    ir::ValueId fy, by;
    if (forward_->returnSequences) {
        // Both in the input's order: the forward copy takes the steps as given unless the wrapped
        // layer itself goes backwards; the backward copy's output is reversed back.
        fy = stack(g, f);
        std::vector<ir::ValueId> reversed(b.rbegin(), b.rend());
        by = stack(g, reversed);
    } else {
        fy = f.back(), by = b.back();
    }
    ir::ValueId y;
    if (mergeMode == "concat") {
        y = g.concat({fy, by}, int64_t(g.shape(fy).rank()) - 1);
    } else if (mergeMode == "sum") {
        y = g.add(fy, by);
    } else if (mergeMode == "mul") {
        y = g.mul(fy, by);
    } else { // ave
        Tensor half(Shape{});
        half.fill(0.5f);
        y = g.mul(g.add(fy, by), g.constant(std::move(half)));
    }
    // Keras' Bidirectional forces zero_output_for_mask = return_sequences on both copies: a masked
    // step outputs 0 in both (their states are still kept), so every merge is 0 there too.
    const ir::ValueId mask = ctx.inputMask(0);
    if (forward_->returnSequences && mask != ir::kNoValue) y = g.mul(y, masks::expandLast(g, mask));
    LayerOutput out;
    out.value = y;
    if (forward_->returnState) { // the final states: the backward copy's after its last step, the first
        out.extra.push_back(f.back());
        if (forward_->isLstm()) out.extra.push_back(fc);
        out.extra.push_back(b.back());
        if (forward_->isLstm()) out.extra.push_back(bc);
    }
    return out;
}

ir::ValueId Bidirectional::computeMask(CallContext& ctx, const std::vector<ir::ValueId>& in,
                                       const std::vector<ir::ValueId>& masks) const {
    return forward_->computeMask(ctx, in, masks);
}

std::string Bidirectional::maskEffect(const std::vector<bool>& masked) const {
    if (masked.empty() || !masked[0]) return {};
    if (!forward_->returnSequences) return forward_->maskEffect(masked);
    return "masked steps keep the previous state and output zeros";
}

std::string Bidirectional::keyConfigText() const {
    return forward_->type() + " " + forward_->keyConfigText() + (mergeMode == "concat" ? "" : " " + mergeMode);
}

void registerRecurrentLayers(std::vector<LayerTypeInfo>& out) {
    const nlohmann::json common = {{"units", 32},
                                   {"activation", "tanh"},
                                   {"use_bias", true},
                                   {"kernel_initializer", "glorot_uniform"},
                                   {"recurrent_initializer", "orthogonal"},
                                   {"bias_initializer", "zeros"},
                                   {"return_sequences", false},
                                   {"return_state", false},
                                   {"go_backwards", false}};
    out.push_back({"SimpleRNN", "Sequence",
                   "Fully connected recurrence h = activation(x W + h U + b) over the steps; the last state, or "
                   "every step's with return_sequences; with return_state also its final state (output :1); a "
                   "second inbound is its initial state",
                   common, 1, 2, {}, makeLayer<RecurrentLayer>});
    nlohmann::json lstm = common;
    lstm["recurrent_activation"] = "sigmoid";
    lstm["unit_forget_bias"] = true;
    out.push_back({"LSTM", "Sequence",
                   "Long short-term memory (Keras gate order i, f, c, o); the last state, or every step's with "
                   "return_sequences; with return_state also its final states h and c (outputs :1 and :2); "
                   "inbounds 2 and 3 are its initial states h and c",
                   lstm, 1, 3, {}, makeLayer<RecurrentLayer>});
    nlohmann::json gru = common;
    gru["recurrent_activation"] = "sigmoid";
    gru["reset_after"] = true;
    out.push_back({"GRU", "Sequence",
                   "Gated recurrent unit (Keras gate order z, r, h; reset_after as cuDNN and PyTorch); the last "
                   "state, or every step's with return_sequences; with return_state also its final state "
                   "(output :1); a second inbound is its initial state",
                   gru, 1, 2, {}, makeLayer<RecurrentLayer>});
    out.push_back({"Bidirectional", "Sequence",
                   "Runs a SimpleRNN, LSTM or GRU forwards and backwards over the steps and merges the two "
                   "(concat, sum, mul or ave)",
                   {{"layer", {{"type", "LSTM"}, {"config", {{"units", 32}}}}}, {"merge_mode", "concat"}}, 1, 1, {},
                   makeLayer<Bidirectional>});
}

} // namespace strata::layers
