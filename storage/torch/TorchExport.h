// The PyTorch export: a trained model as PyTorch code that runs with nothing but torch (1.13 or
// later) and the folder, giving the engine's results.
//
//   NAME/model.py       a torch.nn.Module subclass named after the model (see TorchCode.h), with
//                       build() (untrained) and load(path=None) (trained weights, eval mode)
//   NAME/weights.json   {"format": "strata.torch_weights/1", "data_file", "data_bytes", "sha256",
//                        "variables": [{strata_path, strata_shape, torch_name, torch_shape, permute,
//                                       offset, length, trainable}]}
//   NAME/weights.bin    every variable as raw little-endian float32 in Strata's layout, 64-byte
//                       aligned; model.py reads it with torch.frombuffer and permutes to PyTorch's
//   NAME/README.txt     how to load it, and the layout conventions
//
// Like writeSavedModel, the folder is written under a temporary name beside NAME, synced and
// renamed, so NAME is complete or absent.
#pragma once

#include "engine/Model.h"

#include <filesystem>

#include <nlohmann/json.hpp>

namespace strata::storage {

inline constexpr const char* kTorchWeightsFormat = "strata.torch_weights/1";

// Writes the built `model` with its current weights to `dir`, which must not exist yet.
// `metadata` (e.g. the project and checkpoint it came from) goes into weights.json and model.py's
// docstring. Throws StorageError naming the folder, or the layer and its type when a layer cannot
// be expressed in PyTorch.
void writeTorchExport(const Model& model, const std::filesystem::path& dir, nlohmann::json metadata = nlohmann::json::object());

} // namespace strata::storage
