// The PyTorch export's table by layer type (TorchLayerTable.cpp): for each type, the model.py
// snippets it needs (helpers first, from TorchSnippets) and the function that writes the Python
// expression making its submodule, or why the type cannot be exported. TorchCode looks rows up
// here; the registry-walk test (tests/storage/tst_format_tables.cpp) asks torchExportSupport.
#pragma once

#include "storage/LayerFormatSupport.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace strata {
class Layer;
namespace layers {
class Block;
}
} // namespace strata

namespace strata::storage {

// The row of a layer type; nullopt: the table has no row for it.
std::optional<LayerFormatSupport> torchExportSupport(const std::string& layerType);

// What a construct function may ask of the code generator, for the layer it constructs.
class TorchModuleBuilder {
public:
    // Records the layer's variable `var` as state_dict entry "ATTR.torchVar", permuted from Strata's
    // layout by `permute` (empty: the same); nothing when the layer has no such variable.
    virtual void tensor(const std::string& var, const std::string& torchVar, std::vector<int64_t> permute = {}) = 0;
    // The same for one row of `var` (row >= 0; -1: all of it) whose first axis, after the permute,
    // holds gate blocks to reorder (gateOrder; empty: as they are). Recurrent layers' weights.
    virtual void gateTensor(const std::string& var, const std::string& torchVar, std::vector<int64_t> permute, int64_t row,
                            std::vector<int64_t> gateOrder) = 0;
    // Writes the snippet `name` (one of the row's optionalSnippets) into model.py: the class the
    // construct function chose for this layer's configuration.
    virtual void useSnippet(const std::string& name) = 0;
    // Writes the nested class of a Block (its layers' rows applied in turn); returns its name.
    virtual std::string blockClass(const layers::Block& block) = 0;

protected:
    ~TorchModuleBuilder() = default;
};

// The Python expression that makes layer l's submodule ("Dense(64, 32, activation=\"relu\")").
using TorchConstruct = std::string (*)(const Layer& l, TorchModuleBuilder& b);

struct TorchLayerRule {
    std::vector<std::string> snippets; // TorchSnippets names, helpers first
    TorchConstruct construct = nullptr; // null: no submodule (Input: an argument of forward), or see below
    std::string notExportable;          // non-empty: why the type cannot be exported
    std::vector<std::string> optionalSnippets = {}; // classes the construct function may ask for (useSnippet)
};

// The row of a layer type, nullptr when there is none.
const TorchLayerRule* torchLayerRule(const std::string& layerType);
// Every snippet name the table uses that is a class in model.py (model names must avoid them).
std::vector<std::string> torchSnippetClassNames();
// The layer's path below the model ("encoder/dense"), as messages name it.
std::string torchLayerPath(const Layer& l);

} // namespace strata::storage
