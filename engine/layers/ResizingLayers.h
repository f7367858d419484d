// Layers that resize NHWC images without weights: UpSampling2D and Cropping2D (Keras 3 names,
// configs and semantics), and the config form they share with ZeroPadding2D.
#pragma once

#include "engine/Layer.h"

#include <array>

namespace strata::layers {

// Rows and columns at the four sides of an image, {top, bottom, left, right}, from Keras' forms:
// p (every side), [h, w] (top and bottom h, left and right w) or [[top, bottom], [left, right]].
// Throws ConfigError naming `key` for anything else or a value outside 0..kMaxDim.
std::array<int64_t, 4> imageSidesConfig(const nlohmann::json& v, const std::string& key);

// Keras' UpSampling2D: each image grows by size (rows, columns). interpolation "nearest" repeats
// every cell; "bilinear" interpolates with half-pixel centres, the edge cells clamped (Keras 3's
// ops.image.resize, PyTorch's align_corners=False).
class UpSampling2D : public Layer {
public:
    UpSampling2D(const LayerTypeInfo& info, std::string name, nlohmann::json config);
    Shape outputShape(const std::vector<Shape>& inputs) const override;
    // nearest: reshape, broadcast, reshape; bilinear: one constant interpolation matrix per axis,
    // applied by MatMul (so both backends and autodiff have it).
    LayerOutput call(CallContext& ctx, const std::vector<ir::ValueId>& inputs) const override;
    std::string keyConfigText() const override;

    const std::vector<int64_t> size;
    const std::string interpolation;
};

// Keras' Cropping2D: drops rows and columns at the sides of each image; cropping as
// ZeroPadding2D's padding ({top, bottom, left, right}).
class Cropping2D : public Layer {
public:
    Cropping2D(const LayerTypeInfo& info, std::string name, nlohmann::json config);
    Shape outputShape(const std::vector<Shape>& inputs) const override;
    LayerOutput call(CallContext& ctx, const std::vector<ir::ValueId>& inputs) const override; // two Slices
    std::string keyConfigText() const override;

    const std::array<int64_t, 4> cropping;
};

// The (out x in) matrix of 1-D bilinear upsampling by an integer factor with half-pixel centres:
// row o holds the weights of the input cells that output cell o interpolates.
std::vector<float> bilinearUpsamplingMatrix(int64_t in, int64_t factor);

} // namespace strata::layers
