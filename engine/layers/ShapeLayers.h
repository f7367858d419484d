// Layers that only move data: Flatten, Reshape, Permute, Slice, Dropout (identity outside training).
#pragma once

#include "engine/Layer.h"

#include <optional>

namespace strata::layers {

class Flatten : public Layer {
public:
    using Layer::Layer;
    Shape outputShape(const std::vector<Shape>& inputs) const override;
    LayerOutput call(CallContext& ctx, const std::vector<ir::ValueId>& inputs) const override;
};

// target_shape excludes the batch dimension; one entry may be -1 (inferred).
class Reshape : public Layer {
public:
    Reshape(const LayerTypeInfo& info, std::string name, nlohmann::json config);
    Shape outputShape(const std::vector<Shape>& inputs) const override;
    LayerOutput call(CallContext& ctx, const std::vector<ir::ValueId>& inputs) const override;
    std::string keyConfigText() const override;

    std::vector<int64_t> targetShape;
};

// Keras' ZeroPadding2D: rows and columns of zeros around each NHWC image. padding: p (all four
// sides), [h, w] (top and bottom h, left and right w) or [[top, bottom], [left, right]].
class ZeroPadding2D : public Layer {
public:
    ZeroPadding2D(const LayerTypeInfo& info, std::string name, nlohmann::json config);
    Shape outputShape(const std::vector<Shape>& inputs) const override;
    // Zeros concatenated around: rows, then columns (so both backends and autodiff have it).
    LayerOutput call(CallContext& ctx, const std::vector<ir::ValueId>& inputs) const override;
    std::string keyConfigText() const override;

    int64_t top = 0, bottom = 0, left = 0, right = 0;
};

// Keras' Permute: output axis i (1-based, the batch axis 0 stays) is input axis dims[i - 1].
class Permute : public Layer {
public:
    Permute(const LayerTypeInfo& info, std::string name, nlohmann::json config);
    Shape outputShape(const std::vector<Shape>& inputs) const override;
    LayerOutput call(CallContext& ctx, const std::vector<ir::ValueId>& inputs) const override;
    std::string keyConfigText() const override;

    std::vector<int64_t> dims; // 1-based, a permutation of 1..rank-1
};

// A Strata addition (Keras has no such layer; torch's x[:, a:b] and x.chunk): keeps the elements
// start .. stop-1 of one axis. `axis` counts the batch as 0 and may be negative (-1: the last,
// the channels of an NHWC image); start and stop count from the end when negative, as Python's
// slices do, and stop null is the axis' end. The batch axis cannot be sliced.
class Slice : public Layer {
public:
    Slice(const LayerTypeInfo& info, std::string name, nlohmann::json config);
    Shape outputShape(const std::vector<Shape>& inputs) const override;
    LayerOutput call(CallContext& ctx, const std::vector<ir::ValueId>& inputs) const override;
    std::string keyConfigText() const override;

    // The axis (>= 1) and the [begin, end) the config means for an input of rank `rank` whose
    // axis has `size` elements. Throws ShapeError naming the layer when nothing would be left.
    struct Range {
        int64_t axis = 0, begin = 0, end = 0;
    };
    Range range(std::size_t rank, int64_t size) const;

    int64_t axis = -1, start = 0;
    std::optional<int64_t> stop; // none: to the end
};

class Dropout : public Layer {
public:
    Dropout(const LayerTypeInfo& info, std::string name, nlohmann::json config);
    Shape outputShape(const std::vector<Shape>& inputs) const override { return inputs.at(0); }
    // Training: a mask drawn per step (Philox keyed by the seed and optimizer/iter); else the identity.
    LayerOutput call(CallContext& ctx, const std::vector<ir::ValueId>& inputs) const override;
    bool supportsMasking() const override { return true; } // Keras: the mask passes through
    std::string keyConfigText() const override;

    const double rate;
    // The seed of the mask generator; -1 when the config leaves it to the run's seed.
    int64_t seed = -1;
};

} // namespace strata::layers
