// Fuzz target: ONNX import (storage/onnx), as `strata-cli import MODEL.onnx` reads a file: the
// ModelProto parse (libprotobuf), Strata's checks before libonnx, libonnx's checker, shape
// inference and version converter (uninstrumented: a crash there still ends the run), the
// embedded-spec route of Strata's own exports and the node-by-node
// translation of other graphs (forced too, on the same bytes), each building the model with the
// imported weights.
#include "storage/onnx/OnnxImport.h"
#include "tests/fuzz/FuzzSupport.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace strata;
    const std::filesystem::path file = fuzz::scratch() / "model.onnx";
    fuzz::writeFile(file, fuzz::asText(data, size));
    storage::OnnxImportOptions translate;
    translate.useEmbeddedSpec = false;
    for (const storage::OnnxImportOptions& options : {storage::OnnxImportOptions{}, translate}) {
        try {
            storage::importOnnxFile(file, options);
        } catch (const StrataError&) {
        }
    }
    return 0;
}
