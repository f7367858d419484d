// A tensor shape whose dimensions may be unknown (Keras' None), e.g. (None, 28, 28, 1).
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace strata {

inline constexpr int64_t kUnknownDim = -1;
// The largest dimension a shape, a layer config (units, filters, kernel sizes, strides, pads) or
// a file header may declare: 2^31 - 1, what ONNX runtimes and Keras' int32 shapes hold. Bounding
// every dimension keeps the arithmetic of shape inference (k * dilation, in * stride, in + pads)
// inside int64; products of several dimensions are checked (numElements).
inline constexpr int64_t kMaxDim = (int64_t(1) << 31) - 1;

class Shape {
public:
    Shape() = default; // a scalar
    Shape(std::initializer_list<int64_t> dims) : dims_(dims) {}
    explicit Shape(std::vector<int64_t> dims) : dims_(std::move(dims)) {}

    std::size_t rank() const { return dims_.size(); }
    int64_t operator[](std::size_t i) const { return dims_[i]; }
    int64_t& operator[](std::size_t i) { return dims_[i]; }
    int64_t back() const { return dims_.back(); }
    const std::vector<int64_t>& dims() const { return dims_; }

    bool isKnown(std::size_t i) const { return dims_[i] != kUnknownDim; }
    bool isFullyKnown() const;
    // Product of all dimensions; kUnknownDim when any is unknown. Throws ShapeError when the
    // product would pass 2^62 (no real tensor comes near; a hostile file's dims do).
    int64_t numElements() const;
    // Product of dimensions [from, rank); kUnknownDim when any is unknown; throws as above.
    int64_t numElementsFrom(std::size_t from) const;
    // Product of the known dimensions only (1 for none); throws as above. For checking the size
    // of a shape whose batch dimension is unknown.
    int64_t knownElements() const;

    // Same rank and every pair of dimensions equal or one of them unknown.
    bool isCompatibleWith(const Shape& other) const;

    Shape prepended(int64_t dim) const;
    Shape withoutFirst() const;

    // Python tuple notation as Keras prints it: (None, 32), (10,), ().
    std::string toString() const;
    // [null, 32]
    nlohmann::json toJson() const;
    // Accepts an array of integers in [0, kMaxDim] or nulls; throws StrataError otherwise.
    static Shape fromJson(const nlohmann::json& j);

    bool operator==(const Shape&) const = default;

private:
    std::vector<int64_t> dims_;
};

} // namespace strata
