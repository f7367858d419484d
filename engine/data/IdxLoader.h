// The IDX format of MNIST and Fashion-MNIST (plain or gzip-compressed): a big-endian header
// (magic 0x0000TTRR: element type TT, rank RR, then RR 32-bit dimensions) and the raw elements.
#pragma once

#include "engine/Tensor.h"

#include <filesystem>

namespace strata::data {

enum class IdxConversion {
    Float,       // F32, values as stored
    ScaledFloat, // F32, unsigned bytes divided by 255 (pixels to [0, 1]); other types as stored
    Int,         // I32 (integer element types only)
};

// Reads an IDX file with the dimensions it declares. Throws StrataError naming the file when
// the magic is wrong, a dimension is absurd for the file's size, or the data is truncated or
// followed by extra bytes.
Tensor loadIdx(const std::filesystem::path& path, IdxConversion conversion);

// Images (N, rows, cols) as F32 (N, rows, cols, 1), scaled to [0, 1] when scaleToUnit is true.
Tensor loadIdxImages(const std::filesystem::path& path, bool scaleToUnit = true);
// Labels (N,) as I32.
Tensor loadIdxLabels(const std::filesystem::path& path);

} // namespace strata::data
