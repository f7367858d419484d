// Keras 3's Resizing and RandomCrop on NHWC images.
//
// Resizing follows tf.image.resize (Keras 3's ops.image.resize, antialias off): "bilinear" with
// half-pixel centres (source (o + 0.5) in / out - 0.5, the taps clamped to the image: PyTorch's
// interpolate(align_corners=False)); "nearest" reads floor((o + 0.5) in / out) (PyTorch's
// "nearest-exact"). crop_to_aspect_ratio first crops the largest centred box of the target's
// aspect ratio (Keras' box: crop_h = min(H, int(W height / width)), crop_w likewise, starts
// int((H - crop_h) / 2), int((W - crop_w) / 2)). Each axis is one constant matrix, applied by MatMul
// (both backends and autodiff have it).
#pragma once

#include "engine/layers/AugmentationLayers.h"

#include <array>
#include <cstdint>
#include <vector>

namespace strata::layers {

// The (out x in) matrix of a 1-D resize: row o holds the weights of the input cells output cell o reads.
std::vector<float> resizeMatrix(int64_t in, int64_t out, bool bilinear);

// Keras' centred crop box of an (h, w) image for a (height, width) target: {top, left, rows, columns}.
std::array<int64_t, 4> centerCropBox(int64_t h, int64_t w, int64_t height, int64_t width);

class Resizing : public Layer {
public:
    Resizing(const LayerTypeInfo& info, std::string name, nlohmann::json config);
    Shape outputShape(const std::vector<Shape>& inputs) const override;
    LayerOutput call(CallContext& ctx, const std::vector<ir::ValueId>& inputs) const override;
    std::string keyConfigText() const override;

    const int64_t height, width;
    const bool bilinear;
    const bool cropToAspectRatio;
};

// keras.layers.RandomCrop: while training, when the image is larger than (height, width) on both
// axes, the crop at rows h0.., columns w0.. with h0 = floor(u_0 (H - height + 1)),
// w0 = floor(u_1 (W - width + 1)), one offset for the whole batch as Keras 3 draws it (u of shape
// [2]); otherwise, and in inference, the centred box of the target's aspect ratio resized
// (bilinear) to (height, width), as Keras does.
class RandomCrop : public RandomImageLayer {
public:
    RandomCrop(const LayerTypeInfo& info, std::string name, nlohmann::json config);
    Shape outputShape(const std::vector<Shape>& inputs) const override;
    LayerOutput call(CallContext& ctx, const std::vector<ir::ValueId>& inputs) const override;
    std::string keyConfigText() const override;

    const int64_t height, width;
};

// x's centred box of the (height, width) aspect ratio, resized to (height, width).
ir::ValueId cropAndResize(ir::Graph& g, ir::ValueId x, int64_t height, int64_t width, bool bilinear, bool crop);

} // namespace strata::layers
