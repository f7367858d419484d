// Exporting a trained model as one ONNX file (opset 13, IR version 7) that onnxruntime and other
// ONNX tools load and run with the engine's inference results:
//
//   graph inputs   one per Input layer, named after it, NHWC as the model takes them, first
//                  dimension "batch" (symbolic), unknown dimensions symbolic too
//   graph outputs  one per output layer, named after it
//   initializers   the variables, named by their object path ("model/dense_1/kernel"); Conv2D
//                  kernels are stored OIHW (ONNX) instead of HWIO (Keras)
//   metadata_props strata.model (the spec as JSON), plus the caller's metadata
//
// Every layer type of the engine is lowered (OnnxLowering); Dropout is the identity and
// BatchNormalization uses its moving statistics, as in inference. The file is written under a
// temporary name beside it, synced and renamed, so it is either complete or absent; an existing
// file is replaced only once the new one is complete.
#pragma once

#include "engine/Model.h"

#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

namespace strata::storage {

inline constexpr int64_t kOnnxOpset = 13;
inline constexpr int64_t kOnnxIrVersion = 7;

// The ModelProto bytes of the built `model`. `metadata` entries become metadata_props (strings
// as they are, other values as JSON). Throws StorageError naming the layer and its type when a
// layer cannot be expressed in ONNX.
std::string onnxModelBytes(const Model& model, const nlohmann::json& metadata = nlohmann::json::object());

// Writes onnxModelBytes to `file` atomically. Throws StorageError naming the file (and the layer).
void writeOnnxModel(const Model& model, const std::filesystem::path& file,
                    const nlohmann::json& metadata = nlohmann::json::object());

} // namespace strata::storage
