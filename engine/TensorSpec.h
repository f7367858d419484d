// What a tensor will be, before it exists: name, shape (maybe with unknown dims), dtype.
#pragma once

#include "engine/DType.h"
#include "engine/Shape.h"

#include <string>

namespace strata {

struct TensorSpec {
    Shape shape;
    DType dtype = DType::F32;
    std::string name;

    bool operator==(const TensorSpec&) const = default;
};

} // namespace strata
