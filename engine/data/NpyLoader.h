// NumPy's .npy format (versions 1, 2 and 3, C order): float arrays ('<f4', '<f8') become F32
// tensors, integer arrays ('|u1', '|i1', '<i4', '<i8') I32 tensors.
#pragma once

#include "engine/Tensor.h"

#include <filesystem>
#include <string>
#include <string_view>

namespace strata::data {

// Throws StrataError naming the file for a bad magic or header, an unsupported dtype, Fortran
// order, a data size that does not match the shape, or an int64 value that does not fit int32.
Tensor loadNpy(const std::filesystem::path& path);
// The same from bytes already in memory; `sourceName` names them in errors.
Tensor parseNpy(std::string_view bytes, const std::string& sourceName);

} // namespace strata::data
