// Keras 3's random image augmentation layers (keras.layers.RandomFlip, RandomContrast,
// RandomTranslation, RandomRotation, RandomZoom; RandomCrop is in ImageResizeLayers.h): NHWC
// images, active only while training (in inference each is the identity, as Keras 3 defines them),
// so the traced graph differs with the training flag exactly as Dropout's does.
//
// Randomness: each layer draws its per-image parameters with the RandomUniform op, the Philox
// stream of Dropout (engine/ir/Philox.h): image i at optimizer step s gets
// u_i = philoxUniform(streamSeed, s, i), streamSeed the config's seed or, when it is null, a hash
// of the layer's object path and the run's seed. Deterministic given (seed, step), bit for bit the
// same on the CPU and Vulkan backends; augmentationUniforms() gives the same numbers on the host.
#pragma once

#include "engine/Layer.h"

#include <array>
#include <cstdint>
#include <vector>

namespace strata::layers {

// u_0 .. u_{count-1} of the stream (seed, step): what the RandomUniform op computes.
std::vector<float> augmentationUniforms(uint64_t seed, uint32_t step, int64_t count);

// A constant [n, 1] filled with v (a column of per-image transforms).
ir::ValueId filled(ir::Graph& g, int64_t n, double v);

// Config `seed` (null or a non-negative integer) and the per-image draw every random layer shares.
class RandomImageLayer : public Layer {
public:
    RandomImageLayer(const LayerTypeInfo& info, std::string name, nlohmann::json config);
    // The input shape: (batch, height, width, channels).
    Shape outputShape(const std::vector<Shape>& inputs) const override;
    // The seed of this layer's stream in a run seeded `runSeed`.
    uint64_t streamSeed(uint64_t runSeed) const;

    int64_t seed = -1; // -1: none given

protected:
    // RandomUniform of `shape` at the optimizer's step (optimizer/iter), seeded streamSeed.
    ir::ValueId uniforms(CallContext& ctx, Shape shape) const;
};

// keras.layers.RandomFlip: while training, image i is flipped when u_i <= 0.5 (Keras 3's
// less_equal); mode "horizontal" (left-right, the width axis), "vertical" (top-bottom) or
// "horizontal_and_vertical" (both, on the same draw, as Keras 3 does).
class RandomFlip : public RandomImageLayer {
public:
    RandomFlip(const LayerTypeInfo& info, std::string name, nlohmann::json config);
    // Per image a whole-pixel ImageTransform (nearest): the identity or the flip, exactly.
    LayerOutput call(CallContext& ctx, const std::vector<ir::ValueId>& inputs) const override;
    std::string keyConfigText() const override { return mode; }

    const std::string mode;
    bool horizontal() const { return mode != "vertical"; }
    bool vertical() const { return mode != "horizontal"; }
};

// keras.layers.RandomContrast: while training, per image a factor f_i = (1 - lower) + u_i (lower +
// upper), uniform in [1 - lower, 1 + upper]; per image and channel the mean m over height and
// width; y = clip((x - m) f_i + m, value_range). factor: a number in [0, 1] (lower = upper =
// factor, as Keras 3's documentation says) or [lower, upper] each in [0, 1].
class RandomContrast : public RandomImageLayer {
public:
    RandomContrast(const LayerTypeInfo& info, std::string name, nlohmann::json config);
    LayerOutput call(CallContext& ctx, const std::vector<ir::ValueId>& inputs) const override;
    std::string keyConfigText() const override;

    double lower = 0.0, upper = 0.0;
    std::array<double, 2> valueRange{0.0, 255.0};
};

// The layers that resample each image by an affine transform (Keras 3's RandomTranslation,
// RandomRotation, RandomZoom): while training, per-image parameters drawn from u_i become a
// transform [N, 8] in the graph, applied by the ImageTransform op (engine/ir/ImageGeometry.h) with
// interpolation "nearest" | "bilinear", fill_mode "constant" | "nearest" | "reflect" | "wrap" and
// fill_value (Keras 3's defaults: bilinear, reflect, 0). Differentiable in x (the op's adjoint).
class AffineImageLayer : public RandomImageLayer {
public:
    AffineImageLayer(const LayerTypeInfo& info, std::string name, nlohmann::json config);
    LayerOutput call(CallContext& ctx, const std::vector<ir::ValueId>& inputs) const override;

    int64_t interpolation = 1; // 0 nearest, 1 bilinear
    int64_t fillMode = 2;      // ir::ImageFill
    double fillValue = 0.0;

protected:
    // The transforms [N, 8] of images of shape s (NHWC), drawn with uniforms().
    virtual ir::ValueId transforms(CallContext& ctx, const Shape& s) const = 0;
    // A factor's [lower, upper]: a number f gives [-|f|, |f|], a list [a, b] its sorted values;
    // each must lie in [lo, hi] (lo itself excluded when loOpen). ConfigError naming `key` otherwise.
    std::array<double, 2> factorRange(const std::string& key, double lo, double hi, bool loOpen) const;
};

// keras.layers.RandomTranslation: image i shifted by dy_i = (hl + u_i0 (hu - hl)) H rows and
// dx_i = (wl + u_i1 (wu - wl)) W columns (u of shape [N, 2]); transform [1 0 -dx 0 1 -dy 0 0].
// height_factor, width_factor: numbers or [lower, upper] in [-1, 1].
class RandomTranslation : public AffineImageLayer {
public:
    RandomTranslation(const LayerTypeInfo& info, std::string name, nlohmann::json config);
    std::string keyConfigText() const override;
    std::array<double, 2> height{}, width{};

protected:
    ir::ValueId transforms(CallContext& ctx, const Shape& s) const override;
};

// keras.layers.RandomRotation: image i turned by theta_i = 2 pi (l + u_i (h - l)) radians (factor
// a fraction of a full turn, a number or [lower, upper] in [-1, 1]) about its centre
// ((W - 1) / 2, (H - 1) / 2); Keras 3's matrix [c -s cx - cx c + cy s, s c cy - cx s - cy c, 0 0].
class RandomRotation : public AffineImageLayer {
public:
    RandomRotation(const LayerTypeInfo& info, std::string name, nlohmann::json config);
    std::string keyConfigText() const override;
    std::array<double, 2> factor{};

protected:
    ir::ValueId transforms(CallContext& ctx, const Shape& s) const override;
};

// keras.layers.RandomZoom: per image zy = 1 + hl + u_i0 (hu - hl) and zx = 1 + wl + u_i1 (wu - wl)
// (zx = zy when width_factor is null); transform [zx 0 (W-1)/2 (1-zx), 0 zy (H-1)/2 (1-zy), 0 0]:
// a positive factor zooms out, a negative one in. Factors: numbers or [lower, upper] in (-1, 1].
class RandomZoom : public AffineImageLayer {
public:
    RandomZoom(const LayerTypeInfo& info, std::string name, nlohmann::json config);
    std::string keyConfigText() const override;
    std::array<double, 2> height{}, width{};
    bool sameZoom = true; // width_factor null: the height's zoom on both axes

protected:
    ir::ValueId transforms(CallContext& ctx, const Shape& s) const override;
};

} // namespace strata::layers
