// Recurrent layers over sequences (batch, steps, features), Keras semantics: SimpleRNN, LSTM (gate
// order i, f, c, o), GRU (gate order z, r, h; reset_after) and Bidirectional. A call unrolls the
// sequence: the input projection of every step is one matrix product, then each step emits its
// recurrent product and gate ops, so both backends and backpropagation through time come from the
// graph's ops, and a fixed sequence length traces one graph (recorded once on Vulkan).
// A mask on the input (batch, steps) is Keras 3's: at a masked step every state keeps its previous
// value and the output repeats the previous output (zeros before the first real step; Keras'
// zero_output_for_mask=False, its default; Bidirectional differs, below); the last output is the
// state after the last real step. With return_sequences the output carries the input's mask, in
// the input's order as Keras' compute_mask (also with go_backwards, whose steps come out last to
// first); otherwise none.
// return_state (Keras): the layer has extra outputs, its final states, taken as "NAME:1" (h) and,
// for an LSTM, "NAME:2" (c), each (batch, units), without masks. initial_state (Keras' call
// argument): inbound 2 (and 3 for an LSTM's c) start the recurrence instead of zeros.
#pragma once

#include "engine/Layer.h"

namespace strata::layers {

class RecurrentLayer : public Layer {
public:
    RecurrentLayer(const LayerTypeInfo& info, std::string name, nlohmann::json config);
    Shape outputShape(const std::vector<Shape>& inputs) const override;
    std::vector<Shape> extraOutputShapes(const std::vector<Shape>& inputs) const override;
    std::vector<std::string> extraOutputNames() const override;
    std::vector<VariableSpec> variableSpecs(const std::vector<Shape>& inputs) const override;
    LayerOutput call(CallContext& ctx, const std::vector<ir::ValueId>& inputs) const override;
    std::string keyConfigText() const override;
    // The hidden state after each step of x (batch, steps, features), (batch, units) each, in the
    // order the steps are taken (last to first with go_backwards). `mask` (batch, steps) or kNoValue.
    // `h0` and `c0` (an LSTM's carry), (batch, units), start the recurrence; kNoValue: zeros. The
    // final carry of an LSTM goes to `finalC` when given.
    std::vector<ir::ValueId> unroll(CallContext& ctx, ir::ValueId x, ir::ValueId mask = ir::kNoValue,
                                    ir::ValueId h0 = ir::kNoValue, ir::ValueId c0 = ir::kNoValue,
                                    ir::ValueId* finalC = nullptr) const;
    // States per sample: 2 for an LSTM (h, c), else 1 (h).
    int stateCount() const { return isLstm() ? 2 : 1; }
    bool supportsMasking() const override { return true; }
    ir::ValueId computeMask(CallContext& ctx, const std::vector<ir::ValueId>& inputs,
                            const std::vector<ir::ValueId>& masks) const override;
    bool outputMasked(const std::vector<bool>& masked) const override;
    std::string maskEffect(const std::vector<bool>& masked) const override;

    // Gates per step: 1 (SimpleRNN), 4 (LSTM), 3 (GRU).
    int64_t gates() const;
    bool isLstm() const { return type() == "LSTM"; }
    bool isGru() const { return type() == "GRU"; }
    // GRU with reset_after (the default, and cuDNN's and PyTorch's form): the reset gate multiplies
    // the recurrent product (with its own bias), not the state before it.
    bool resetAfter() const { return resetAfter_; }

    const int64_t units;
    const std::string activation, recurrentActivation; // recurrentActivation: LSTM and GRU gates
    const bool useBias, returnSequences, goBackwards, returnState;

protected:
    // LSTM with unit_forget_bias: the forget gate's bias starts at one (Keras).
    void buildVariables(const std::vector<Shape>& inputs, uint64_t seed) override;

private:
    bool resetAfter_ = false, unitForgetBias_ = false;
    std::string kernelInit_, recurrentInit_, biasInit_;
};

// Keras' Bidirectional: a forward and a backward copy of one recurrent layer (config "layer":
// {"type": "LSTM", "config": {...}}), their outputs merged by merge_mode (concat, sum, mul, ave).
// With return_sequences the backward output is reversed back to the input's order first. The two
// copies are submodules forward_<name> and backward_<name>. With a mask and return_sequences a
// masked step outputs 0 (Keras 3's bidirectional.py sets zero_output_for_mask = return_sequences on
// both copies), not the previous output; the states are kept as in the copies alone. With the
// wrapped layer's return_state the extra outputs are the forward copy's final states, then the
// backward copy's (Keras: [output, forward h, (c,) backward h, (c)]).
class Bidirectional : public Layer {
public:
    Bidirectional(const LayerTypeInfo& info, std::string name, nlohmann::json config);
    Shape outputShape(const std::vector<Shape>& inputs) const override;
    std::vector<Shape> extraOutputShapes(const std::vector<Shape>& inputs) const override;
    std::vector<std::string> extraOutputNames() const override;
    ParamCounts countParams(const std::vector<Shape>& inputs) const override;
    LayerOutput call(CallContext& ctx, const std::vector<ir::ValueId>& inputs) const override;
    std::string keyConfigText() const override;
    // Keras: the mask goes to both copies; the output carries it with return_sequences.
    bool supportsMasking() const override { return true; }
    ir::ValueId computeMask(CallContext& ctx, const std::vector<ir::ValueId>& inputs,
                            const std::vector<ir::ValueId>& masks) const override;
    bool outputMasked(const std::vector<bool>& masked) const override { return forward_->outputMasked(masked); }
    std::string maskEffect(const std::vector<bool>& masked) const override;

    const RecurrentLayer& forwardLayer() const { return *forward_; }
    const RecurrentLayer& backwardLayer() const { return *backward_; }
    const std::string mergeMode;

protected:
    void buildVariables(const std::vector<Shape>& inputs, uint64_t seed) override;

private:
    RecurrentLayer* forward_ = nullptr;  // owned as submodules once built, by this layer before
    RecurrentLayer* backward_ = nullptr;
    std::unique_ptr<Layer> ownedForward_, ownedBackward_;
};

} // namespace strata::layers
