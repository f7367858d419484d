// Pooling layers (NHWC, Keras semantics): MaxPooling2D, AveragePooling2D, GlobalAveragePooling2D,
// GlobalMaxPooling2D.
#pragma once

#include "engine/Layer.h"
#include "engine/ir/ConvGeometry.h"

#include <array>

namespace strata::layers {

// MaxPooling2D and AveragePooling2D. padding is Keras' "valid" or "same" or, a Strata extension
// (PyTorch's and ONNX's pools), explicit [[top, bottom], [left, right]], each pad smaller than
// the window: max pooling never takes a pad, the average counts only the input's cells.
// ceil_mode (Strata extension, "valid" or explicit padding) rounds output sizes up as PyTorch does.
class Pooling2D : public Layer {
public:
    Pooling2D(const LayerTypeInfo& info, std::string name, nlohmann::json config);
    Shape outputShape(const std::vector<Shape>& inputs) const override;
    LayerOutput call(CallContext& ctx, const std::vector<ir::ValueId>& inputs) const override;
    std::string keyConfigText() const override;
    bool isMax() const { return type() == "MaxPooling2D"; }
    bool explicitPads() const { return padding == "explicit"; }
    // The geometry for the IR.
    ir::Pool2DParams params() const;

    const std::vector<int64_t> poolSize, strides;
    std::string padding; // "valid", "same" or "explicit" (then pads)
    std::array<int64_t, 4> pads{}; // top, bottom, left, right
    bool ceilMode = false;
};

class GlobalAveragePooling2D : public Layer {
public:
    GlobalAveragePooling2D(const LayerTypeInfo& info, std::string name, nlohmann::json config);
    Shape outputShape(const std::vector<Shape>& inputs) const override;
    LayerOutput call(CallContext& ctx, const std::vector<ir::ValueId>& inputs) const override;

    const bool keepDims;
};

// Keras' GlobalMaxPooling2D: the maximum of each channel over height and width, (N, H, W, C) →
// (N, C), or (N, 1, 1, C) with keepdims.
class GlobalMaxPooling2D : public Layer {
public:
    GlobalMaxPooling2D(const LayerTypeInfo& info, std::string name, nlohmann::json config);
    Shape outputShape(const std::vector<Shape>& inputs) const override;
    // A max pool whose one window is the whole image (its gradient goes to the first maximum).
    LayerOutput call(CallContext& ctx, const std::vector<ir::ValueId>& inputs) const override;

    const bool keepDims;
};

} // namespace strata::layers
