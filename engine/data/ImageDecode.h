// Decoding one image file (PNG and BMP through stb_image from Debian's libstb-dev, JPEG through libjpeg-turbo) into
// float32 HWC pixels in [0, 1], converted to grayscale or RGB and resized bilinearly.
//
// Conventions (those of Keras' image_dataset_from_directory, i.e. tf.image):
//   - grayscale is 0.299 R + 0.587 G + 0.114 B of the 8-bit values; an alpha channel is dropped;
//   - bilinear resizing samples with half-pixel centres (source = (dst + 0.5) * in / out - 0.5,
//     clamped to the edge), no antialiasing; a size equal to the file's copies the pixels;
//   - values are the 8-bit values divided by 255.
#pragma once

#include "engine/Error.h"

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace strata::data {

enum class ImageColor { Grayscale, Rgb };

int channelsOf(ImageColor color);
// "rgb" or "grayscale" (also "gray"); throws StrataError naming any other value.
ImageColor imageColorFromName(const std::string& name);
std::string imageColorName(ImageColor color);

// The file is not an image the decoder reads, or is damaged. Its message names the file:
// "images/cat/003.png: not a PNG/JPEG/BMP image (stb: bad png sig)".
class ImageFileError : public StrataError {
  public:
    using StrataError::StrataError;
};

// 8-bit RGB pixels, row-major HWC.
struct RgbImage {
    int height = 0, width = 0;
    std::vector<uint8_t> pixels; // height * width * 3
};

// Decodes the bytes of a file shown as `name` in errors. Throws ImageFileError.
RgbImage decodeImage(const std::string& bytes, const std::string& name);
// Reads and decodes a file (a regular file only: a FIFO or a folder is an error, never a wait).
RgbImage readImage(const std::filesystem::path& file);

// Writes `image` as height x width x channelsOf(color) float32 values in [0, 1] to `out`.
void imageToFloat(const RgbImage& image, int height, int width, ImageColor color, float* out);

} // namespace strata::data
