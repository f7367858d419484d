// The PyTorch code of a built model (model.py of the PyTorch export, see TorchExport.h): one
// torch.nn.Module class named after the model, a submodule per layer named after the layer, a
// forward() that follows the spec's graph on channels-last tensors, a nested class per Block,
// and the mapping of every Strata variable to its state_dict entry and layout.
#pragma once

#include "engine/Model.h"

#include <optional>
#include <set>
#include <string>
#include <vector>

namespace strata::storage {

// One state_dict entry made from a Strata variable, as the export stores it. A variable has one
// entry, or one per row (`row`: a GRU's input and recurrent biases, (2, 3 * units)).
struct TorchTensor {
    const Variable* variable = nullptr;
    std::string torchName;        // state_dict key, e.g. "encoder.dense.weight"
    std::vector<int64_t> permute; // Strata layout -> PyTorch layout (tensor.permute); empty: same
    std::optional<int64_t> row;   // only this row (index of the first axis) of the variable, taken first
    std::vector<int64_t> gateOrder; // after the permute: the equal blocks of the first axis in this
                                    // order (Keras' GRU gates z, r, h -> torch's r, z, n: {1, 0, 2})
    bool trainable = true;        // effectively trainable in Strata (false: a frozen layer or variable)
};

struct TorchCode {
    std::string className;           // the model's class in model.py
    std::string source;              // the text of model.py
    std::vector<TorchTensor> tensors; // every variable of the model, in layer order
};

// `header` goes first in model.py's docstring (where the model came from). Throws StorageError
// naming the layer and its type for a layer PyTorch code cannot express.
TorchCode generateTorchCode(const Model& model, const std::string& header);

// A valid Python identifier made from `name` (other characters become '_', a leading digit gets a
// '_' before it, keywords and names nn.Module uses get a '_' after them), not in `taken`; the
// result is added to `taken`.
std::string pythonIdentifier(const std::string& name, std::set<std::string>& taken);
// A class name from a model name: "digits_mlp" -> "DigitsMlp", not in `taken` (added to it).
std::string pythonClassName(const std::string& name, std::set<std::string>& taken);
// A Python string literal holding `text`.
std::string pythonString(const std::string& text);

} // namespace strata::storage
