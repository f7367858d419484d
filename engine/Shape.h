// A tensor shape whose dimensions may be unknown (Keras' None), e.g. (None, 28, 28, 1).
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace strata {

inline constexpr int64_t kUnknownDim = -1;

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
    // Product of all dimensions; kUnknownDim when any is unknown.
    int64_t numElements() const;
    // Product of dimensions [from, rank); kUnknownDim when any is unknown.
    int64_t numElementsFrom(std::size_t from) const;

    // Same rank and every pair of dimensions equal or one of them unknown.
    bool isCompatibleWith(const Shape& other) const;

    Shape prepended(int64_t dim) const;
    Shape withoutFirst() const;

    // Python tuple notation as Keras prints it: (None, 32), (10,), ().
    std::string toString() const;
    // [null, 32]
    nlohmann::json toJson() const;
    // Accepts an array of non-negative integers or nulls; throws StrataError otherwise.
    static Shape fromJson(const nlohmann::json& j);

    bool operator==(const Shape&) const = default;

private:
    std::vector<int64_t> dims_;
};

} // namespace strata
