// Importing an ONNX model as a Strata model: a strata.model/1 spec plus the variable values,
// keyed by checkpoint key ("model/dense/kernel/.ATTRIBUTES/VARIABLE_VALUE").
//
//   const ImportedModel m = importOnnxFile("net.onnx");
//   std::unique_ptr<Model> model = m.instantiate();     // built, holding the imported weights
//   writeImportedSavedModel(m, "net_saved");            // a saved-model folder
//
// Two routes:
//   - a file Strata exported carries its spec in metadata_props["strata.model"]; that spec is
//     used as it is and each variable is read from the initializer named by its object path
//     (Conv2D kernels back from OIHW to HWIO). options.useEmbeddedSpec = false skips this route.
//   - any other file is translated node by node (OnnxGraphImport): NCHW graphs (PyTorch's)
//     become NHWC specs, weights are transposed or permuted so the outputs are the same.
// Whatever cannot be expressed is a StorageError naming the file and the node ("net.onnx:
// node 'Conv_3' (Conv): group=2 is not supported"); nothing is returned or written then.
#pragma once

#include "engine/Model.h"
#include "engine/ModelSpec.h"
#include "engine/Tensor.h"

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace strata::storage {

struct OnnxModel;

struct OnnxImportOptions {
    bool useEmbeddedSpec = true; // use metadata_props["strata.model"] when present
    std::string modelName;       // the spec's name; default: the embedded spec's, else the file's stem
    // How the graph route reads rank-4 graph inputs: "nchw" (PyTorch's images), "nhwc" (Keras',
    // Strata's), or "" to decide per file: metadata_props["strata.input_layout"] when the file has
    // it (Strata writes "nhwc"), else NHWC when the input's first use is a Transpose to NCHW, else NCHW.
    std::string inputLayout;
};

// Checks an inputLayout value ("", "nchw" or "nhwc", any case) and returns it lower-cased; throws
// StorageError naming `where` and the values it takes otherwise.
std::string checkInputLayout(const std::string& value, const std::string& where);

struct ImportedModel {
    ModelSpec spec;
    std::map<std::string, Tensor> variables; // checkpoint key -> value
    bool fromEmbeddedSpec = false;            // the spec came from Strata's own metadata
    std::vector<std::string> notes;           // what a person should know (layout changes, ...)
    // Set by importOnnxModel: the model built once from the spec, holding the imported values (the
    // check that every variable fits). A caller that only reads it (writes a saved model, records a
    // checkpoint, counts parameters) uses this one; instantiate() makes a fresh one to change.
    std::shared_ptr<const Model> model;

    // A built model holding the imported values. Throws StorageError when a variable is missing
    // or has another shape (naming the key).
    std::unique_ptr<Model> instantiate() const;
};

ImportedModel importOnnxModel(const OnnxModel& onnx, const std::string& source, const OnnxImportOptions& options = {});
ImportedModel importOnnxFile(const std::filesystem::path& file, const OnnxImportOptions& options = {});

// writeSavedModel of instantiate(), with {"imported_from": source} in the metadata.
// Writes m.model (instantiated when unset) as a saved-model folder.
void writeImportedSavedModel(const ImportedModel& m, const std::filesystem::path& dir, const std::string& source);

} // namespace strata::storage
