// Errors a person can cause: a bad spec, a bad file, bad data, a wrong shape.
// Each carries a message that names what the person must act on (layer, key, file, line).
#pragma once

#include <stdexcept>
#include <string>

namespace strata {

class StrataError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// A shape rule was broken: "expected (None, 3), got (None, 4)".
class ShapeError : public StrataError {
public:
    using StrataError::StrataError;
};

// A layer's config is wrong: unknown key, wrong value type, value out of range.
class ConfigError : public StrataError {
public:
    using StrataError::StrataError;
};

// A document is not a model spec at all (not JSON, wrong format tag, no layers array).
class SpecFormatError : public StrataError {
public:
    using StrataError::StrataError;
};

} // namespace strata
