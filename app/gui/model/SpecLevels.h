// Nested blocks as levels: the spec at a path of Block layer names ({} is the model itself),
// read from and written back into the Block configs of the levels above it.
#pragma once

#include "engine/ModelSpec.h"

#include <string>
#include <vector>

namespace strata::gui {

using LevelPath = std::vector<std::string>;

// A layer entry as the editor writes it (inbound explicit except for Input layers).
LayerSpec layerEntry(std::string name, std::string type, nlohmann::json config, std::vector<std::string> inbound = {});

// The spec of a Block layer's config; throws SpecFormatError when it is not a spec.
ModelSpec blockInnerSpec(const LayerSpec& block);
// The config of a Block holding `inner` (nested specs carry no "format" tag, as in the examples).
nlohmann::json blockConfig(const ModelSpec& inner);

// The spec at `path`; throws StrataError naming the missing block.
ModelSpec specAt(const ModelSpec& root, const LevelPath& path);
// Replaces the spec at `path` inside `root` by `level`.
void setSpecAt(ModelSpec& root, const LevelPath& path, const ModelSpec& level);
// The longest prefix of `path` that still names blocks in `root`.
LevelPath existingPrefix(const ModelSpec& root, const LevelPath& path);

// "encoder/dense": the key of a layer's position at a level.
std::string positionKey(const LevelPath& path, const std::string& layer);
std::string pathPrefix(const LevelPath& path); // "encoder/" or ""

// Editor convention: inputs are the Input layers and outputs the layers nothing consumes, in
// layer order; every layer lists its inbound explicitly.
void normalizeInputsOutputs(ModelSpec& spec);

} // namespace strata::gui
