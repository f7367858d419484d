// What a file format can do with one layer type, as the format tables (storage/onnx/OnnxLayerTable.h,
// storage/torch/TorchLayerTable.h) answer it: a rule exists, or the reason there is none.
#pragma once

#include <string>

namespace strata::storage {

struct LayerFormatSupport {
    bool supported = false; // a rule exists for this layer type
    std::string reason;     // when !supported: why, as the export/import reports it
};

} // namespace strata::storage
