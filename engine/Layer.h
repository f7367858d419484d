// Layer: a Module with the Keras lifecycle. The constructor stores (and checks) config only;
// build() creates the variables on the first call from the input shapes; a later call with an
// incompatible shape is rejected with a ShapeError naming the layer and both shapes.
#pragma once

#include "engine/LayerCall.h"
#include "engine/Module.h"
#include "engine/Shape.h"

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace strata {

struct LayerTypeInfo;

// A variable a layer will create when built.
struct VariableSpec {
    std::string name;
    Shape shape;
    bool trainable = true;
    std::string initializer;
    int64_t fanIn = 0; // for variance-scaling initializers
    int64_t fanOut = 0;
};

struct ParamCounts {
    int64_t trainable = 0;
    int64_t nonTrainable = 0;
    int64_t total() const { return trainable + nonTrainable; }
    // Throws ShapeError on overflow (a hostile spec's sum of huge layers).
    ParamCounts& operator+=(const ParamCounts& o);
};

class Layer : public Module {
public:
    // `config` holds the keys the spec gave (already checked by LayerRegistry::normalizeConfig);
    // every other key takes its default.
    Layer(const LayerTypeInfo& info, std::string name, nlohmann::json config);

    const std::string& type() const;
    const LayerTypeInfo& info() const { return *info_; }
    // The full config, every key present (defaults filled in).
    const nlohmann::json& config() const;
    // One config value: the given one, else the default.
    const nlohmann::json& cfg(const std::string& key) const;
    // {"name", "type", "config"} as in a strata.model/1 layer entry (without inbound).
    nlohmann::json toJson() const;

    // Output shape (batch dimension first) for the given input shapes. Throws ShapeError with a
    // message that does not repeat the layer name (callers prefix it).
    virtual Shape outputShape(const std::vector<Shape>& inputs) const = 0;
    // A layer with several outputs (Keras' call returns a list, e.g. an LSTM's [output, state_h,
    // state_c] with return_state): the shapes of outputs 1, 2, ... for these inputs, which other
    // layers take as "NAME:1", "NAME:2" (ModelSpec.h, OutputRef); none by default. Output 0 is
    // outputShape's. Called after outputShape succeeded on the same inputs.
    virtual std::vector<Shape> extraOutputShapes(const std::vector<Shape>& inputs) const;
    // What outputs 1, 2, ... are, for ports and messages ("state_h", "state_c"); as many as
    // extraOutputShapes gives.
    virtual std::vector<std::string> extraOutputNames() const { return {}; }
    // The variables build() will create for these inputs (none by default).
    virtual std::vector<VariableSpec> variableSpecs(const std::vector<Shape>& inputs) const;
    virtual ParamCounts countParams(const std::vector<Shape>& inputs) const;
    // The ops this layer emits for `inputs` (graph values, in inbound order), as a Keras layer's
    // call() computes (its extra outputs in LayerOutput::extra): the layer's whole computation, used by the tracer for both backends and
    // autodiff. ctx.training() selects training behaviour (Dropout masks, batch statistics).
    // Throws StrataError when the layer cannot run on these values.
    virtual LayerOutput call(CallContext& ctx, const std::vector<ir::ValueId>& inputs) const = 0;
    // A short label of the key config for a node or a list row, e.g. "128 relu".
    virtual std::string keyConfigText() const { return {}; }

    // Masks, as Keras 3 carries them (LayerCall.h; engine/README.md "Masks"). supportsMasking:
    // Keras' supports_masking, whether the output gets computeMask's mask (false: a mask reaching
    // the layer is dropped). computeMask: Keras' compute_mask, given the call's inputs and their
    // masks (kNoValue: none); by default the first input's mask passes through.
    virtual bool supportsMasking() const { return false; }
    virtual ir::ValueId computeMask(CallContext& ctx, const std::vector<ir::ValueId>& inputs,
                                    const std::vector<ir::ValueId>& masks) const;
    // The same flow without a graph, for the exports: whether the output carries a mask when the
    // inputs do (`masked`, one per input), and how a mask changes the output in inference ("" when
    // it does not, e.g. "masked steps keep the previous state"). Consistent with call/computeMask.
    virtual bool outputMasked(const std::vector<bool>& masked) const;
    virtual std::string maskEffect(const std::vector<bool>& masked) const;

    // Creates the variables on the first call (initialized from `seed` and each variable's path);
    // later calls only check that the shapes are compatible with the first ones.
    void build(const std::vector<Shape>& inputs, uint64_t seed = 0);
    bool built() const { return built_; }
    const std::vector<Shape>& buildInputShapes() const { return buildShapes_; }

protected:
    // Hook for layers that own sublayers (Block). The default creates variableSpecs().
    virtual void buildVariables(const std::vector<Shape>& inputs, uint64_t seed);
    // Throws ConfigError("key: message").
    [[noreturn]] void configError(const std::string& key, const std::string& message) const;
    int64_t intConfig(const std::string& key, int64_t min) const;
    std::vector<int64_t> pairConfig(const std::string& key, int64_t min) const;
    std::string choiceConfig(const std::string& key, const std::vector<std::string>& choices) const;
    std::string activationConfig(const std::string& key) const;
    std::string initializerConfig(const std::string& key) const;

private:
    const LayerTypeInfo* info_;
    nlohmann::json given_;
    mutable nlohmann::json full_; // built on first use of config()
    bool built_ = false;
    std::vector<Shape> buildShapes_;
};

// Checks rank and known dims: "expects a 4D input (batch, height, width, channels), got (None, 3)".
void requireRank(const Shape& s, std::size_t rank, const char* what);
std::string shapesText(const std::vector<Shape>& shapes);

} // namespace strata
