// The Keras summary: a table of layers (name and type, output shape, parameter count, and for
// functional models what each layer is connected to) with totals, as text and as JSON.
#pragma once

#include "engine/ModelSpec.h"
#include "engine/ShapeInference.h"

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace strata {

struct SummaryRow {
    std::string name;
    std::string type;
    std::optional<Shape> outputShape; // absent when the layer has an error
    ParamCounts params;
    std::vector<std::string> inbound;
    int depth = 0;                    // > 0 for the layers of an expanded block
    std::vector<SummaryRow> children; // a block's layers (always filled; shown when expanded)
    bool hasError = false;
};

class SummaryTable {
public:
    static SummaryTable fromSpec(const ModelSpec& spec, const InferenceResult& inference, bool expandBlocks = false);

    std::string format() const;
    nlohmann::json toJson() const;

    std::string modelName;
    bool functional = false;
    bool expandBlocks = false;
    std::vector<SummaryRow> rows;
    ParamCounts totals;
};

// "2,410"
std::string withThousands(int64_t n);
// Keras' readable size of n float32 parameters: "9.41 KB", "0.00 B".
std::string readableParamBytes(int64_t params);

} // namespace strata
