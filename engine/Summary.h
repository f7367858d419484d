// The Keras summary: a table of layers (name and type, output shape, parameter count, and for
// functional models what each layer is connected to) with totals, as text and as JSON; with
// each layer's cost per sample (engine/LayerCost.h) and, when asked, a training step's memory.
#pragma once

#include "engine/LayerCost.h"
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
    std::vector<Shape> extraOutputShapes; // outputs 1, 2, ... (an LSTM's states with return_state)
    ParamCounts params;
    std::vector<std::string> inbound;
    std::vector<std::string> connectedTo; // Keras' "Connected to": "lstm[0][0]", "lstm[0][1]" (its state h)
    int depth = 0;                    // > 0 for the layers of an expanded block
    std::vector<SummaryRow> children; // a block's layers (always filled; shown when expanded)
    bool hasError = false;
    std::optional<LayerCost> cost;    // per sample; absent on an error or an unknown dimension
};

class SummaryTable {
public:
    static SummaryTable fromSpec(const ModelSpec& spec, const InferenceResult& inference, bool expandBlocks = false);

    // Keras' table; with showCosts a MACs column and lines for the costs and training memory.
    std::string format() const;
    // Always has the costs (macs, ops, activation_bytes per layer and in total, null when
    // unknown); "training_memory" when `training` is set.
    nlohmann::json toJson() const;

    std::string modelName;
    bool functional = false;
    bool expandBlocks = false;
    bool showCosts = false;
    std::vector<SummaryRow> rows;
    ParamCounts totals;
    LayerCost costTotals;      // the sum over the layers whose cost is known
    bool costsComplete = true; // every layer's cost is known
    std::optional<TrainingMemory> training;
    std::string trainingOptimizer; // the optimizer `training` counts the slots of

    // Sets `training` for this batch size and optimizer (the costs must be complete: otherwise it
    // stays unset). Throws ConfigError for an unknown optimizer, ShapeError on overflow.
    void estimateTraining(int64_t batch, const std::string& optimizer);
};

// "2,410"
std::string withThousands(int64_t n);
// Keras' readable size of n float32 parameters: "9.41 KB", "0.00 B".
std::string readableParamBytes(int64_t params);

} // namespace strata
