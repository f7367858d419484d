// ONNX's RNN, LSTM and GRU operators as SimpleRNN, LSTM, GRU or Bidirectional layers, and Gather
// as Embedding (a constant table looked up by a computed tensor of ids) or as the selection of
// one step (out[:, -1, :]: a Slice layer, then a reshape). PyTorch 1.13 writes an nn.LSTM with
// batch_first=True as Transpose(1, 0, 2) -> LSTM (zero initial states from ConstantOfShape of
// the batch size) -> Squeeze(1) -> Transpose(1, 0, 2); a bidirectional one as Transpose(0, 2, 1,
// 3) -> Reshape(T, N, 2u) after it. The operator's outputs are given as views of the Strata
// layer's (the layer, then a Reshape splitting the directions), so those Squeezes, Transposes
// and Reshapes only change the layout.
#include "storage/onnx/OnnxGraphImport.h"

#include <algorithm>
#include <cmath>

namespace strata::storage {

using json = nlohmann::json;

namespace {

// The Keras activation of an ONNX recurrent activation name (with its alpha and beta), or "".
std::string kerasActivation(const std::string& onnx, float alpha, float beta) {
    auto near = [](float a, float b) { return std::abs(a - b) < 1e-6f; };
    if (onnx == "Tanh") return "tanh";
    if (onnx == "Sigmoid") return "sigmoid";
    if (onnx == "Relu") return "relu";
    if (onnx == "Softsign") return "softsign";
    if (onnx == "Softplus") return "softplus";
    if (onnx == "Affine" && near(alpha, 1) && near(beta, 0)) return "linear";
    if (onnx == "HardSigmoid" && near(alpha, 1.0f / 6.0f) && near(beta, 0.5f)) return "hard_sigmoid";
    if (onnx == "Elu" && near(alpha, 1)) return "elu";
    return {};
}

bool takesAlpha(const std::string& f) {
    return f == "Affine" || f == "LeakyRelu" || f == "ThresholdedRelu" || f == "ScaledTanh" || f == "HardSigmoid" || f == "Elu";
}
bool takesBeta(const std::string& f) { return f == "Affine" || f == "ScaledTanh" || f == "HardSigmoid"; }

// Rows `rows` of a [rows, cols] block of `src` starting at `offset`, transposed: out[c][r].
std::vector<float> transposed(const std::vector<float>& src, std::size_t offset, int64_t rows, int64_t cols) {
    std::vector<float> out(std::size_t(rows * cols));
    for (int64_t r = 0; r < rows; ++r)
        for (int64_t c = 0; c < cols; ++c) out[std::size_t(c * rows + r)] = src[offset + std::size_t(r * cols + c)];
    return out;
}

// ONNX's LSTM gate blocks i, o, f, c in Keras' order i, f, c, o (columns of a (rows, 4u) matrix).
std::vector<float> kerasGateOrder(const std::vector<float>& m, int64_t rows, int64_t u) {
    std::vector<float> out(m.size());
    const int64_t from[4] = {0, 2, 3, 1}; // Keras block k is ONNX block from[k]
    for (int64_t r = 0; r < rows; ++r)
        for (int64_t k = 0; k < 4; ++k)
            std::copy_n(m.begin() + std::ptrdiff_t(r * 4 * u + from[k] * u), u, out.begin() + std::ptrdiff_t(r * 4 * u + k * u));
    return out;
}

} // namespace

void OnnxGraphImport::recurrent(const OnnxNode& n) {
    const bool lstm = n.opType == "LSTM", gru = n.opType == "GRU";
    const int64_t gates = lstm ? 4 : gru ? 3 : 1;
    auto given = [&](std::size_t k) { return k < n.inputs.size() && !n.inputs[k].empty(); };
    auto used = [&](std::size_t k) { return k < n.outputs.size() && !n.outputs[k].empty() && (uses_.count(n.outputs[k]) || graphOutputs_.count(n.outputs[k])); };
    const Value x = input(n, 0);
    if (x.shape.size() != 3) fail(n, "its input must be a sequence [steps, batch, features], got rank " + std::to_string(x.shape.size()));
    if (strataAxes(x) != std::vector<int64_t>{1, 0, 2})
        fail(n, "its input must be the time-major view (a Transpose(1, 0, 2)) of a batch-first sequence, as torch writes for "
                "batch_first=True; the batch is the first axis of Strata's tensors");
    if (n.intAttr("layout", 0) != 0) fail(n, "layout=1 is not supported");
    if (n.attr("clip")) fail(n, "clip is not supported (Keras' cells do not clip)");
    if (lstm && n.intAttr("input_forget", 0) != 0) fail(n, "input_forget=1 is not supported");
    if (given(4)) fail(n, "sequence_lens is not supported (every sequence runs its full length)");
    if (lstm && given(7)) fail(n, "peepholes (input P) are not supported");
    // Initial states: zeros are Strata's own start; computed ones (another layer's final state, as
    // torch's lstm(x, (h, c)) writes) become the layer's initial_state inputs.
    std::size_t computedStates = 0;
    for (std::size_t k : {std::size_t(5), std::size_t(6)}) {
        if (!given(k) || (k == 6 && !lstm) || batchZeros_.count(n.inputs[k])) continue;
        const OnnxTensor* t = constant(n.inputs[k]);
        if (!t) {
            ++computedStates;
            continue;
        }
        if (!t->isFloat() || std::any_of(t->floats.begin(), t->floats.end(), [](float v) { return v != 0; }))
            fail(n, std::string(k == 5 ? "initial_h" : "initial_c") + " is a constant other than zeros; Strata's initial states "
                    "are zeros or computed by other layers");
    }
    const std::string direction = n.stringAttr("direction", "forward");
    if (direction != "forward" && direction != "reverse" && direction != "bidirectional") fail(n, "direction '" + direction + "' is unknown");
    const int64_t dirs = direction == "bidirectional" ? 2 : 1;
    const OnnxTensor& w = requireConstant(n, 1, "W");
    const OnnxTensor& r = requireConstant(n, 2, "R");
    if (w.dims.size() != 3 || r.dims.size() != 3 || w.dims[0] != dirs || r.dims[0] != dirs || r.dims[1] % gates != 0)
        fail(n, "W " + json(w.dims).dump() + " and R " + json(r.dims).dump() + " are not [directions, gates x hidden, ...]");
    const int64_t u = r.dims[2], width = gates * u, features = w.dims[2];
    if (u < 1 || u > kMaxWindowAttr * 16 || r.dims[1] != width || w.dims[1] != width)
        fail(n, "W " + json(w.dims).dump() + " and R " + json(r.dims).dump() + " do not have " + std::to_string(gates) + " gates of the same size");
    if (n.intAttr("hidden_size", u) != u) fail(n, "hidden_size " + std::to_string(n.intAttr("hidden_size", u)) + " does not match R");
    if (x.shape[2] >= 0 && x.shape[2] != features)
        fail(n, "W reads " + std::to_string(features) + " features, the input has " + std::to_string(x.shape[2]));
    const OnnxTensor* b = given(3) ? &requireConstant(n, 3, "B") : nullptr;
    if (b && (b->dims != std::vector<int64_t>{dirs, 2 * width})) fail(n, "B " + json(b->dims).dump() + " is not [directions, 2 x gates x hidden]");
    if (!w.isFloat() || !r.isFloat() || (b && !b->isFloat())) fail(n, "W, R and B must be float tensors");

    // Activations, per direction: LSTM f, g, h; GRU f, g; RNN f.
    const std::vector<std::string> defaults = lstm ? std::vector<std::string>{"Sigmoid", "Tanh", "Tanh"}
                                              : gru ? std::vector<std::string>{"Sigmoid", "Tanh"}
                                                    : std::vector<std::string>{"Tanh"};
    std::vector<std::string> acts;
    if (const OnnxAttribute* a = n.attr("activations")) acts = a->strings;
    else
        for (int64_t d = 0; d < dirs; ++d) acts.insert(acts.end(), defaults.begin(), defaults.end());
    if (acts.size() != defaults.size() * std::size_t(dirs))
        fail(n, "activations has " + std::to_string(acts.size()) + " names for " + std::to_string(defaults.size() * std::size_t(dirs)));
    const OnnxAttribute* alphaAttr = n.attr("activation_alpha");
    const OnnxAttribute* betaAttr = n.attr("activation_beta");
    std::size_t nextAlpha = 0, nextBeta = 0;
    std::vector<std::string> keras;
    for (const std::string& f : acts) {
        float alpha = f == "HardSigmoid" ? 0.2f : f == "Affine" || f == "Elu" ? 1.0f : 0.0f, beta = f == "HardSigmoid" ? 0.5f : 0.0f;
        if (takesAlpha(f) && alphaAttr && nextAlpha < alphaAttr->floats.size()) alpha = alphaAttr->floats[nextAlpha++];
        if (takesBeta(f) && betaAttr && nextBeta < betaAttr->floats.size()) beta = betaAttr->floats[nextBeta++];
        const std::string k = kerasActivation(f, alpha, beta);
        if (k.empty()) fail(n, "the activation " + f + " (alpha " + std::to_string(alpha) + ", beta " + std::to_string(beta) + ") has no Keras equivalent in a recurrent layer");
        keras.push_back(k);
    }
    for (std::size_t k = 0; k < keras.size(); ++k)
        if (keras[k] != keras[k % defaults.size()] || (lstm && k % 3 == 2 && keras[k] != keras[k - 1]))
            fail(n, "its directions, or an LSTM's cell and output activations, differ; a Keras layer has one of each");

    // Y (every step), Y_h and Y_c (LSTM) are Keras' output and, with return_state, its states.
    const bool sequence = used(0), lastUsed = used(1), cellUsed = lstm && used(2);
    if (!sequence && !lastUsed && !cellUsed) return; // nothing reads it
    if (sequence && direction == "reverse")
        fail(n, "the full output of a reverse-direction layer is not supported (Keras' go_backwards returns it last step first)");
    const bool returnState = (sequence && lastUsed) || cellUsed;
    std::vector<int> inbound = {x.layer};
    if (computedStates > 0) {
        if (dirs == 2) fail(n, "computed initial states of a bidirectional layer are not supported");
        if (lstm && computedStates != 2)
            fail(n, "only one of initial_h and initial_c is computed; Strata's LSTM takes both initial states or neither");
        for (std::size_t k = 5; k < (lstm ? 7u : 6u); ++k) inbound.push_back(initialState(n, k, u));
    }

    json inner = {{"units", u}, {"activation", keras[gru || lstm ? 1 : 0]}, {"use_bias", b != nullptr}, {"return_sequences", sequence},
                  {"go_backwards", direction == "reverse"}};
    if (returnState) inner["return_state"] = true;
    if (lstm || gru) inner["recurrent_activation"] = keras[0];
    if (gru) inner["reset_after"] = n.intAttr("linear_before_reset", 0) != 0;
    const std::string type = lstm ? "LSTM" : gru ? "GRU" : "SimpleRNN";
    const std::string cellName = lstm ? "lstm" : gru ? "gru" : "simple_rnn";
    const int layer = addInnerLayer(n, dirs == 2 ? "Bidirectional" : type,
                                    dirs == 2 ? json{{"layer", {{"type", type}, {"config", inner}}}, {"merge_mode", "concat"}} : inner,
                                    inbound);
    PendingLayer& l = layers_[std::size_t(layer)];
    l.nameHint = n.name.empty() ? n.outputs.at(0) : n.name;
    for (int64_t d = 0; d < dirs; ++d) {
        const std::string prefix = dirs == 1 ? "" : (d == 0 ? "forward_" : "backward_") + cellName + "/";
        std::vector<float> kernel = transposed(w.floats, std::size_t(d * width * features), width, features);  // (features, width)
        std::vector<float> recurrentKernel = transposed(r.floats, std::size_t(d * width * u), width, u); // (u, width)
        std::vector<float> bias;
        if (b) {
            const auto wb = b->floats.begin() + std::ptrdiff_t(d * 2 * width), rb = wb + std::ptrdiff_t(width);
            if (gru && inner["reset_after"].get<bool>()) {
                bias.assign(wb, rb + std::ptrdiff_t(width)); // (2, width): ONNX's [Wb, Rb]
            } else { // one bias: the two add up
                bias.resize(std::size_t(width));
                for (int64_t j = 0; j < width; ++j) bias[std::size_t(j)] = wb[j] + rb[j];
            }
        }
        if (lstm) {
            kernel = kerasGateOrder(kernel, features, u);
            recurrentKernel = kerasGateOrder(recurrentKernel, u, u);
            if (b) bias = kerasGateOrder(bias, 1, u);
        }
        l.weights[prefix + "kernel"] = importedTensor({features, width}, kernel);
        l.weights[prefix + "recurrent_kernel"] = importedTensor({u, width}, recurrentKernel);
        if (b) l.weights[prefix + "bias"] = bias.size() == std::size_t(width) ? importedTensor({width}, bias) : importedTensor({2, width}, bias);
    }
    const int64_t steps = x.shape[0], batch = x.shape[1];
    if (returnState) {
        // The final states, outputs 1, 2, ... of the layer (Keras' order: h, c; the forward copy's,
        // then the backward copy's), as Y_h and Y_c [D, N, u]: each (N, u) state a (N, 1, u) row,
        // the directions concatenated, read with the batch second.
        const int per = lstm ? 2 : 1;
        std::vector<int> h, c;
        for (int64_t d = 0; d < dirs; ++d)
            for (int s = 0; s < per; ++s) {
                PendingLayer st;
                st.type = "State";
                st.stateOf = layer;
                st.output = int(1 + d * per + s);
                layers_.push_back(std::move(st));
                (s == 0 ? h : c).push_back(int(layers_.size()) - 1);
            }
        auto stateTensor = [&](const std::string& tensor, const std::vector<int>& parts) {
            stateParts_[tensor] = {parts, batch, u};
            if (!needsStateView(tensor)) return; // read as initial states and h[d] only
            std::vector<int> rows;
            for (int p : parts) rows.push_back(addInnerLayer(n, "Reshape", {{"target_shape", json{1, u}}}, {p}));
            Value v;
            v.layer = rows.size() == 1 ? rows[0] : addInnerLayer(n, "Concatenate", {{"axis", 1}}, rows);
            v.shape = {dirs, batch, u};
            values_[tensor] = withAxes(v, {1, 0, 2});
        };
        if (sequence && lastUsed) stateTensor(n.outputs[1], h);
        if (cellUsed) stateTensor(n.outputs[2], c);
    }
    if (!sequence && !lastUsed) return; // only the cell state is read
    // torch's batch-first view of Y: Squeeze(1) -> [T, N, u] for one direction, Transpose(0, 2, 1, 3)
    // -> Reshape [T, N, 2u] for two; that view is the layer's (N, T, D u) output read time-major.
    auto onlyConsumer = [&](const std::string& tensor, const char* op) -> const OnnxNode* {
        const auto c = consumers_.find(tensor);
        if (graphOutputs_.count(tensor) || c == consumers_.end() || c->second.size() != 1 || c->second[0]->opType != op) return nullptr;
        return c->second[0];
    };
    // An integer constant, also one from a Constant node after this one (torch writes those late).
    auto ints = [&](const std::string& name) { return laterInts(name); };
    auto timeMajorView = [&](const OnnxNode& last, std::vector<const OnnxNode*> skipped) {
        Value v;
        v.layer = layer;
        v.shape = {steps, batch, dirs * u};
        values_[last.outputs.at(0)] = withAxes(v, {1, 0, 2});
        for (const OnnxNode* k : skipped) handled_.insert(k->outputs.at(0));
        layers_[std::size_t(layer)].outputTensor = last.outputs.at(0); // layers_ grew: no reference held
    };
    if (sequence && dirs == 1)
        if (const OnnxNode* sq = onlyConsumer(n.outputs[0], "Squeeze"); sq && sq->inputs.size() == 2 && ints(sq->inputs[1]) == std::vector<int64_t>{1})
            return timeMajorView(*sq, {sq});
    if (sequence && dirs == 2)
        if (const OnnxNode* t = onlyConsumer(n.outputs[0], "Transpose"); t && t->intsAttr("perm") == std::vector<int64_t>{0, 2, 1, 3})
            if (const OnnxNode* rs = onlyConsumer(t->outputs.at(0), "Reshape"); rs && rs->inputs.size() == 2) {
                const std::vector<int64_t> to = ints(rs->inputs[1]);
                if (to.size() == 3 && (to[2] == 2 * u || to[2] == -1) && (to[0] == 0 || to[0] == steps) && (to[1] == 0 || to[1] == -1 || to[1] == batch))
                    return timeMajorView(*rs, {t, rs});
            }
    // The output as ONNX gives it: Y [T, D, N, u] is the layer's (N, T, D u) split into (N, T, D, u);
    // Y_h [D, N, u] is its (N, D u) split into (N, D, u).
    if (!sequence && dirs == 1) { // Y_h is the output: initial states and h[0] read the layer itself
        stateParts_[n.outputs[1]] = {{layer}, batch, u};
        if (!needsStateView(n.outputs[1])) return;
    }
    const int split = addInnerLayer(n, "Reshape", {{"target_shape", sequence ? json{-1, dirs, u} : json{dirs, u}}}, {layer});
    Value out;
    out.layer = split;
    out.shape = sequence ? std::vector<int64_t>{steps, dirs, batch, u} : std::vector<int64_t>{dirs, batch, u};
    values_[n.outputs.at(sequence ? 0 : 1)] = withAxes(out, sequence ? std::vector<int64_t>{1, 2, 0, 3} : std::vector<int64_t>{1, 0, 2});
}

int OnnxGraphImport::initialState(const OnnxNode& n, std::size_t k, int64_t units) {
    const std::string what = k == 5 ? "initial_h" : "initial_c";
    if (const auto it = stateParts_.find(n.inputs[k]); it != stateParts_.end() && it->second.layers.size() == 1)
        return it->second.layers[0]; // another layer's state
    const Value s = input(n, k);
    if (s.shape.size() != 3 || s.shape[0] != 1 || (s.shape[2] >= 0 && s.shape[2] != units))
        fail(n, what + " must be [1, batch, " + std::to_string(units) + "], got " + json(s.shape).dump());
    if (s.layout == Layout::FlatChw || strataAxes(s)[1] != 0) fail(n, what + " must have the batch as its second axis");
    // [1, N, u] holds the (N, u) state in its element order, whatever unit axis the Strata tensor has.
    return addInnerLayer(n, "Reshape", {{"target_shape", json{units}}}, {s.layer});
}

std::vector<int64_t> OnnxGraphImport::laterInts(const std::string& name, bool* scalar) const {
    const OnnxTensor* t = constant(name);
    for (std::size_t k = 0; !t && k < m_.graph.nodes.size(); ++k) {
        const OnnxNode& c = m_.graph.nodes[k];
        if (c.opType == "Constant" && !c.outputs.empty() && c.outputs[0] == name)
            if (const OnnxAttribute* v = c.attr("value")) t = &v->t;
    }
    if (!t || t->isFloat()) return {};
    if (scalar) *scalar = t->dims.empty();
    return t->ints;
}

bool OnnxGraphImport::needsStateView(const std::string& tensor) const {
    if (graphOutputs_.count(tensor)) return true;
    const auto readers = consumers_.find(tensor);
    if (readers == consumers_.end()) return false;
    for (const OnnxNode* c : readers->second) {
        const bool recurrent = c->opType == "LSTM" || c->opType == "GRU" || c->opType == "RNN";
        for (std::size_t k = 0; k < c->inputs.size(); ++k) {
            if (c->inputs[k] != tensor) continue;
            if (recurrent && (k == 5 || k == 6)) continue; // an initial state
            // torch's h[d]: Gather of one direction (axis 0, a scalar index)
            bool scalar = false;
            if (c->opType == "Gather" && k == 0 && c->intAttr("axis", 0) == 0 && c->inputs.size() == 2 &&
                laterInts(c->inputs[1], &scalar).size() == 1 && scalar)
                continue;
            return true;
        }
    }
    return false;
}

void OnnxGraphImport::gather(const OnnxNode& n) {
    if (n.inputs.size() != 2) fail(n, "needs a data and an indices input");
    const int64_t axis = n.intAttr("axis", 0);
    // One direction of a recurrent op's final states (torch's h_n[-1], c_n[0]): that state itself.
    if (const auto s = stateParts_.find(n.inputs[0]); s != stateParts_.end() && axis == 0) {
        bool scalar = false;
        const std::vector<int64_t> index = laterInts(n.inputs[1], &scalar);
        const int64_t count = int64_t(s->second.layers.size());
        if (scalar && index.size() == 1 && index[0] >= -count && index[0] < count) {
            Value v;
            v.layer = s->second.layers[std::size_t(index[0] < 0 ? index[0] + count : index[0])];
            v.shape = {s->second.batch, s->second.units};
            values_[n.outputs.at(0)] = v;
            return;
        }
    }
    if (const OnnxTensor* table = constant(n.inputs[0])) { // a constant table looked up by computed ids: Embedding
        const Value ids = input(n, 1);
        if (axis != 0) fail(n, "a lookup in a constant table must gather rows (axis 0), got axis " + std::to_string(axis));
        if (table->dims.size() != 2 || !table->isFloat()) fail(n, "a lookup table must be a 2-D float constant, got " + json(table->dims).dump());
        std::vector<int64_t> shape = ids.shape;
        shape.push_back(table->dims[1]);
        Value out = ids;
        std::vector<int64_t> axes = strataAxes(ids);
        axes.push_back(int64_t(axes.size())); // the embedding axis is last in both
        const int layer = addLayer(n, "Embedding", {{"input_dim", table->dims[0]}, {"output_dim", table->dims[1]}}, {ids.layer}, Layout::Same, shape);
        layers_[std::size_t(layer)].weights["embeddings"] = importedTensor(table->dims, table->floats);
        out.layer = layer;
        out.shape = shape;
        values_[n.outputs.at(0)] = withAxes(out, axes);
        return;
    }
    // One index along a non-batch axis of a computed tensor (torch's out[:, -1, :]): a Slice layer
    // keeping that step, then the axis dropped by a reshape.
    const Value x = input(n, 0);
    const OnnxTensor* indices = constant(n.inputs[1]);
    if (!indices) fail(n, "computed indices into a computed tensor are not supported (only a constant index)");
    const OnnxTensor& index = *indices;
    if (index.elementCount() != 1 || !index.dims.empty() || index.isFloat())
        fail(n, "only one integer index (a scalar) of a computed tensor is supported, got indices of shape " + json(index.dims).dump());
    const int64_t rank = int64_t(x.shape.size()), a = axis < 0 ? axis + rank : axis;
    if (a < 0 || a >= rank) fail(n, "axis " + std::to_string(axis) + " is out of range for rank " + std::to_string(rank));
    const std::vector<int64_t> axes = strataAxes(x);
    if (axes[std::size_t(a)] == 0) fail(n, "gathering along the batch axis is not supported");
    int64_t i = index.ints.at(0);
    const int64_t size = x.shape[std::size_t(a)];
    if (size >= 0 && (i < -size || i >= size)) fail(n, "index " + std::to_string(i) + " is out of range for " + std::to_string(size) + " elements");
    if (i < -kMaxDim || i > kMaxDim) fail(n, "index " + std::to_string(i) + " is out of range");
    Value step = x;
    step.layer = addInnerLayer(n, "Slice", {{"axis", axes[std::size_t(a)]}, {"start", i}, {"stop", i == -1 ? json(nullptr) : json(i + 1)}}, {x.layer});
    step.shape[std::size_t(a)] = 1;
    std::vector<int64_t> shape = x.shape;
    shape.erase(shape.begin() + a);
    if (!dropUnitAxes(n, step, {a})) reshapeTo(n, step, shape, false);
}

void OnnxGraphImport::castIds(const OnnxNode& n) {
    // Ids cast to an integer type for a Gather into a constant table (Strata's own Embedding
    // export): the Embedding casts them itself, so the cast is a view.
    const int64_t to = n.intAttr("to", 0);
    const auto readers = consumers_.find(n.outputs.at(0));
    const bool ids = (to == kOnnxInt64 || to == kOnnxInt32) && !graphOutputs_.count(n.outputs[0]) && readers != consumers_.end() &&
                     !readers->second.empty() && std::all_of(readers->second.begin(), readers->second.end(), [&](const OnnxNode* c) {
                         return c->opType == "Gather" && c->inputs.size() == 2 && c->inputs[1] == n.outputs[0] && constant(c->inputs[0]);
                     });
    if (!ids) fail(n, "Cast of a computed tensor has no Strata layer (only of ids that a Gather looks up in a constant table, and of constants)");
    alias(n, input(n, 0));
}

bool OnnxGraphImport::dropUnitAxes(const OnnxNode& n, const Value& x, const std::vector<int64_t>& drop) {
    if (x.layout == Layout::FlatChw) return false;
    const std::vector<int64_t> axes = strataAxes(x);
    std::vector<int64_t> rest, shape, dropped;
    std::vector<int64_t> strataDims(axes.size());
    for (std::size_t i = 0; i < axes.size(); ++i) {
        strataDims[std::size_t(axes[i])] = x.shape[i];
        if (std::find(drop.begin(), drop.end(), int64_t(i)) != drop.end()) {
            if (x.shape[i] != 1 || axes[i] == 0) return false;
            dropped.push_back(axes[i]);
        } else {
            rest.push_back(axes[i]), shape.push_back(x.shape[i]);
        }
    }
    // Dropping size-1 axes keeps the elements' order: a Reshape of the Strata tensor, whatever the
    // view's order; the view keeps the other axes where they were (torch's time-major views).
    json target = json::array();
    for (std::size_t j = 1; j < strataDims.size(); ++j)
        if (std::find(dropped.begin(), dropped.end(), int64_t(j)) == dropped.end())
            target.push_back(strataDims[j] >= 0 ? json(strataDims[j]) : json(-1));
    if (std::count(target.begin(), target.end(), json(-1)) > 1) return false;
    std::vector<int64_t> renumbered;
    for (int64_t a : rest)
        renumbered.push_back(a - std::count_if(dropped.begin(), dropped.end(), [&](int64_t d) { return d < a; }));
    Value out;
    out.layer = addLayer(n, "Reshape", {{"target_shape", target}}, {x.layer}, Layout::Same, shape);
    out.shape = shape;
    values_[n.outputs.at(0)] = withAxes(out, renumbered);
    return true;
}

} // namespace strata::storage
