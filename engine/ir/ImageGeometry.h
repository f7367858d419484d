// The sampling rule of the ImageTransform op (TF's ImageProjectiveTransformV3, which Keras 3's
// ops.image.affine_transform follows), shared by the CPU kernel; gpu/shaders/image_transform.comp
// writes the same formulas in GLSL.
//
// Output pixel (row i, column j) of image n, transform t = [a0 a1 a2 b0 b1 b2 c0 c1]:
//   k = c0 j + c1 i + 1 (k == 0: the fill value), column x = (a0 j + a1 i + a2) / k,
//   row y = (b0 j + b1 i + b2) / k; each coordinate mapped by the fill mode:
//   constant  unchanged (reads outside the image give fill_value)
//   nearest   clamped to [0, len - 1]                  (aaaa|abcd|dddd)
//   reflect   mirrored about the edges, period 2 len   (dcba|abcd|dcba), then clamped
//   wrap      modulo len                               (abcd|abcd|abcd), then clamped
// nearest interpolation reads the pixel at (round(y), round(x)), halves away from zero; bilinear
// mixes the four pixels around (y, x), each tap outside the image reading fill_value.
#pragma once

#include <cmath>
#include <cstdint>

namespace strata::ir {

enum class ImageFill : int64_t { Constant = 0, Nearest = 1, Reflect = 2, Wrap = 3 };

inline float mapImageCoordinate(float c, int64_t len, ImageFill mode) {
    const float n = float(len);
    switch (mode) {
    case ImageFill::Constant: return c;
    case ImageFill::Nearest: break;
    case ImageFill::Reflect:
        if (len > 1) {
            float t = c - 2.0f * n * std::floor(c / (2.0f * n));
            if (t >= n) t = 2.0f * n - 1.0f - t;
            c = t;
        } else {
            c = 0.0f;
        }
        break;
    case ImageFill::Wrap: c = len > 1 ? c - n * std::floor(c / n) : 0.0f; break;
    }
    return std::fmin(std::fmax(c, 0.0f), n - 1.0f);
}

} // namespace strata::ir
