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
    // Every non-Input layer has exactly one inbound: the layer before it.
    bool isSequential() const;
    // A name not used by any layer: `base`, `base_1`, `base_2`, ... (Keras' scheme).
    std::string uniqueName(const std::string& base) const;
};

} // namespace strata
