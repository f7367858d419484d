// The model spec (strata.model/1): the one description of a model, shared by the editor, the CLI,
// the project file and exports. Parsing keeps what was written (config as given, whether inbound
// was given) so that writing it back changes nothing; problems inside a layer entry are kept for
// validation to report, and only a document that is not a model spec at all is rejected here.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace strata {

inline constexpr const char* kModelFormat = "strata.model/1";

// A layer output as an inbound or outputs entry names it: "NAME" is the layer's output (its first),
// "NAME:K" its output K (K >= 1) for a layer with several, as Keras' call returns a list: a
// recurrent layer's [output, state_h, state_c] with return_state. A layer whose name is the whole
// string wins, so a layer named "a:1" is still reached by its name.
struct OutputRef {
    int layer = -1; // index into the spec's layers; -1: no such layer
    int output = 0;
};
inline constexpr int kMaxLayerOutputs = 64;
// Splits "NAME:K" (K decimal, 1..kMaxLayerOutputs, no sign or leading zero) into NAME and K.
bool splitOutputSuffix(const std::string& ref, std::string& layer, int& output);
// `indexOf(name)` is the index of the layer with that name, or -1.
template <class IndexOf>
OutputRef resolveOutputRef(const std::string& ref, const IndexOf& indexOf) {
    if (const int i = indexOf(ref); i >= 0) return {i, 0};
    std::string name;
    int k = 0;
    if (splitOutputSuffix(ref, name, k))
        if (const int i = indexOf(name); i >= 0) return {i, k};
    return {};
}
// The entry naming output `output` of layer `layer`: "NAME", or "NAME:K".
std::string outputRefText(const std::string& layer, int output);
// The entry `ref` with its layer renamed from `from` to `to` (the K kept), or `ref` unchanged when
// it names another layer. `isLayer(name)` says whether a layer has that exact name.
template <class IsLayer>
std::string renameOutputRef(const std::string& ref, const std::string& from, const std::string& to, const IsLayer& isLayer) {
    if (ref == from) return to;
    std::string name;
    int k = 0;
    if (!isLayer(ref) && splitOutputSuffix(ref, name, k) && name == from) return outputRefText(to, k);
    return ref;
}

struct LayerSpec {
    std::string name;
    std::string type;
    nlohmann::json config = nlohmann::json::object(); // as written; defaults are not filled in
    std::vector<std::string> inbound;
    bool inboundGiven = true;  // false: Sequential shorthand, inbound is the previous layer
    bool nameGiven = true;     // false: a default name (dense, dense_1, ...) was assigned
    std::vector<std::string> problems; // malformed entry parts, reported by validation
};

struct ModelSpec {
    std::string name = "model";
    std::vector<std::string> inputs;  // Input layer names; all Input layers when not given
    std::vector<std::string> outputs; // output layer names; the last layer when not given
    std::vector<LayerSpec> layers;
    bool inputsGiven = true, outputsGiven = true;

    // Throws SpecFormatError when `j` is not a strata.model/1 document.
    static ModelSpec fromJson(const nlohmann::json& j);
    // Parses JSON text; `source` (a file name) prefixes messages. Throws SpecFormatError.
    static ModelSpec parse(const std::string& text, const std::string& source = "model spec");
    static ModelSpec load(const std::string& path);

    nlohmann::json toJson() const;
    // Index of the layer with this name, or -1.
    int indexOf(const std::string& layerName) const;
    // The layer and output an inbound or outputs entry names (OutputRef; linear in the layers).
    OutputRef resolve(const std::string& ref) const;
    // Every non-Input layer has exactly one inbound: the layer before it.
    bool isSequential() const;
    // A name not used by any layer: `base`, `base_1`, `base_2`, ... (Keras' scheme).
    std::string uniqueName(const std::string& base) const;
};

} // namespace strata
