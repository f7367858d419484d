// Element types of tensors. Every supported type is four bytes wide.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace strata {

enum class DType { F32, I32 };

constexpr std::size_t dtypeSize(DType) { return 4; }

std::string_view dtypeName(DType t);           // "float32", "int32"
DType parseDType(std::string_view name);        // throws StrataError naming the value

} // namespace strata
