// The ONNX format's tables by layer type, as queries: can a layer type be exported (a row of the
// export table, storage/onnx/OnnxExportTable.cpp), can an ONNX graph produce it (the import table,
// storage/onnx/OnnxImportTable.cpp), and which ONNX operators the import handles. The registry-walk
// test (tests/storage/tst_format_tables.cpp) uses these to fail on a layer type with no row.
#pragma once

#include "storage/LayerFormatSupport.h"

#include <optional>
#include <string>
#include <vector>

namespace strata::storage {

// The export row of a layer type; nullopt: the table has no row for it.
std::optional<LayerFormatSupport> onnxExportSupport(const std::string& layerType);
// Supported when an import row produces the type (or it is Input: a graph input); a reason row
// when no ONNX pattern does; nullopt: no pattern produces it and no reason row.
std::optional<LayerFormatSupport> onnxImportSupport(const std::string& layerType);
// The op types the import table handles, in the table's order.
std::vector<std::string> onnxImportOps();

} // namespace strata::storage
