// What one sample costs a layer at inference: the multiply-adds of its weights (MACs), the other
// arithmetic it does (bias adds, activations, pooling, merges, normalization), and the bytes of
// the activation it produces; and, from those, the memory a training step needs at a batch size.
// One rule per layer type, in a table keyed by type as the file formats keep theirs: adding a
// layer type adds a row (tst_layercost walks the registry and fails on a missing one).
//
//   LayerCost c = layerCost(*li.layer, li.inputShapes, *li.outputShape); // per sample
//   TrainingMemory m = trainingMemory(totals, activationBytes, 32, optimizerSlotsPerVariable("adam"));
#pragma once

#include "engine/Layer.h"
#include "engine/Shape.h"

#include <cstdint>
#include <string>
#include <vector>

namespace strata {

struct LayerCost {
    int64_t macs = 0;            // multiply-adds with the layer's weights (kernel x input)
    int64_t ops = 0;             // other arithmetic: bias adds, activation functions, pools, merges, norms
    int64_t activationBytes = 0; // the layer's output (a block: every output inside it), float32
    // Throws ShapeError on overflow.
    LayerCost& operator+=(const LayerCost& o);
};

// Whether the cost table has a row for this layer type.
bool hasCostRule(const std::string& type);

// The cost of one sample through `layer`, given its input and output shapes (batch first, as
// shape inference gives them). Throws ShapeError when a per-sample dimension is unknown
// ("the cost needs known dimensions") or the counts overflow; StrataError for a type without a row.
LayerCost layerCost(const Layer& layer, const std::vector<Shape>& inputs, const Shape& output);

// Optimizer slots kept per trainable parameter (engine/ir/Optimizers.h): sgd 0 (1 with momentum),
// adam and adamw 2 (m, v), rmsprop 1 (rms) + 1 with momentum + 1 centered. Throws ConfigError
// naming an unknown optimizer.
int optimizerSlotsPerVariable(const std::string& optimizer, double momentum = 0.0, bool centered = false);

// Memory of one training step at a batch size, float32 throughout:
//   weights       every parameter (trainable and not)
//   gradients     one per trainable parameter
//   optimizer     `slots` per trainable parameter
//   activations   every layer's output per sample x batch (kept for the backward pass)
// Not counted: the gradients of activations while they flow back (a few layers' worth at a time),
// backend workspace (im2col buffers, kernels), the data pipeline and the framework itself.
struct TrainingMemory {
    int64_t batch = 0;
    int slotsPerVariable = 0;
    int64_t weightBytes = 0, gradientBytes = 0, optimizerBytes = 0, activationBytes = 0;
    int64_t totalBytes() const;
};
// Throws ShapeError on overflow (a huge batch of a huge model).
TrainingMemory trainingMemory(const ParamCounts& params, int64_t activationBytesPerSample, int64_t batch, int slotsPerVariable);

// The assumptions of trainingMemory, for a tooltip or --help.
const char* trainingMemoryAssumptions();

// "1.23 G", "45.6 M", "7.89 K", "512": a count with an SI suffix.
std::string readableCount(int64_t n);

} // namespace strata
