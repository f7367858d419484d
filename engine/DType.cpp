#include "engine/DType.h"

#include "engine/Error.h"

namespace strata {

std::string_view dtypeName(DType t) {
    switch (t) {
    case DType::F32: return "float32";
    case DType::I32: return "int32";
    }
    return "unknown";
}

DType parseDType(std::string_view name) {
    if (name == "float32" || name == "f32") return DType::F32;
    if (name == "int32" || name == "i32") return DType::I32;
    throw StrataError("unknown dtype '" + std::string(name) + "' (expected float32 or int32)");
}

} // namespace strata
