// The Python source of the PyTorch export's layer classes (model.py): one snippet per Strata layer
// type, each a torch.nn.Module with Strata's (Keras') semantics on channels-last tensors, and the
// helpers they share. TorchCode writes only the snippets a model uses, in dependency order.
#pragma once

#include <string>
#include <vector>

namespace strata::storage::torch_snippets {

// The imports and the activation table (always written first).
const std::string& prelude();

// The snippet names needed for a Strata layer type, helpers first ("Conv2D" -> {"padding",
// "Conv2D"}; "Conv2DTranspose" crops instead of padding: {"Conv2DTranspose"}); empty for a type
// that has no snippet (Input, Block, and Dropout/Flatten/LeakyReLU, which use torch.nn's own classes).
std::vector<std::string> snippetsFor(const std::string& layerType);

// The source of one snippet by name; throws std::out_of_range for an unknown name.
const std::string& snippet(const std::string& name);

// The load()/build() helpers that read weights.json and weights.bin (written after the classes).
const std::string& loader();

} // namespace strata::storage::torch_snippets
