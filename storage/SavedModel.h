// The saved-model folder (DESIGN.md): everything needed to run a trained model, loadable with
// nothing but the folder (no project, no GUI, no model code beyond the engine itself).
//
//   NAME/saved_model.json          {"format": "strata.saved_model/1", "spec", "signatures", "metadata"}
//   NAME/fingerprint.json          SHA-256 of the spec, of the index and of the data file
//   NAME/variables/variables.index {"format": "strata.variables/1", "num_shards": 1,
//                                   "variables": {key: {dtype, shape, shard, offset, length, crc32c}}}
//   NAME/variables/variables.data-00000-of-00001   raw little-endian tensor bytes, 64-byte aligned
//   NAME/text_vectorization.json   a model trained on a text column: the vectorizer (options and
//                                  vocabulary, engine/data/TextVectorization.h) that makes its input ids
//
// writeSavedModel builds the folder under a temporary name beside NAME, syncs it and renames it,
// so NAME is either complete or absent, whenever the writer is killed. SavedModel::load checks
// everything but the tensor bytes up front (format, spec, index bounds, shapes) and each tensor's
// crc32c when it is read.
#pragma once

#include "engine/Model.h"
#include "storage/VariableSource.h"

#include <filesystem>
#include <memory>

#include <nlohmann/json.hpp>

namespace strata::storage {

inline constexpr const char* kSavedModelFormat = "strata.saved_model/1";
inline constexpr const char* kVariablesIndexFormat = "strata.variables/1";
inline constexpr const char* kVariablesDataFile = "variables.data-00000-of-00001";

struct SignatureTensor {
    std::string name;
    Shape shape; // batch dimension first (unknown)
    DType dtype = DType::F32;
};

struct ServingSignature {
    std::vector<SignatureTensor> inputs, outputs;
};

// The serving signature of a model: its Input layers and output layers with their shapes.
ServingSignature servingSignature(const Model& model);

// Writes the built `model`'s variables and spec to `dir`, which must not exist yet. `metadata` is
// stored as given (with strata_version and created_at added), except metadata.training's
// "text_vectorization", which is written as text_vectorization.json (metadata names the file). Throws StorageError naming the path.
void writeSavedModel(const Model& model, const std::filesystem::path& dir, nlohmann::json metadata = nlohmann::json::object());

class SavedModel : public VariableSource {
public:
    // Throws StorageError naming the folder and the file or key at fault.
    static SavedModel load(const std::filesystem::path& dir);

    const std::filesystem::path& dir() const { return dir_; }
    const ModelSpec& spec() const { return spec_; }
    const ServingSignature& signature() const { return signature_; }
    const nlohmann::json& metadata() const { return metadata_; }
    const nlohmann::json& fingerprint() const { return fingerprint_; }
    // text_vectorization.json as stored (checked by TextVectorization::fromJson where it is used);
    // null when the folder has none.
    const nlohmann::json& textVectorization() const { return textVectorization_; }

    // A built model holding the stored weights (every key must match: see restoreModel).
    std::unique_ptr<Model> instantiate() const;

    std::string description() const override;
    const std::vector<VariableEntry>& entries() const override { return entries_; }
    Tensor read(const VariableEntry& entry) const override;

private:
    std::filesystem::path dir_;
    ModelSpec spec_;
    ServingSignature signature_;
    nlohmann::json metadata_, fingerprint_, textVectorization_;
    std::vector<VariableEntry> entries_;
    std::vector<int64_t> offsets_;
};

} // namespace strata::storage
