#include "engine/Shape.h"

#include "engine/Error.h"

#include <nlohmann/json.hpp>

namespace strata {

bool Shape::isFullyKnown() const {
    for (int64_t d : dims_)
        if (d == kUnknownDim) return false;
    return true;
}

int64_t Shape::numElements() const { return numElementsFrom(0); }

namespace {

constexpr int64_t kMaxProduct = int64_t(1) << 62;

int64_t product(const Shape& s, std::size_t from, bool skipUnknown) {
    int64_t n = 1;
    for (std::size_t i = from; i < s.rank(); ++i) {
        if (s[i] == kUnknownDim) {
            if (skipUnknown) continue;
            return kUnknownDim;
        }
        if (__builtin_mul_overflow(n, s[i], &n) || n > kMaxProduct)
            throw ShapeError("shape " + s.toString() + " has too many elements (more than 2^62)");
    }
    return n;
}

} // namespace

int64_t Shape::numElementsFrom(std::size_t from) const { return product(*this, from, false); }

int64_t Shape::knownElements() const { return product(*this, 0, true); }

bool Shape::isCompatibleWith(const Shape& other) const {
    if (rank() != other.rank()) return false;
    for (std::size_t i = 0; i < rank(); ++i)
        if (dims_[i] != kUnknownDim && other.dims_[i] != kUnknownDim && dims_[i] != other.dims_[i])
            return false;
    return true;
}

Shape Shape::prepended(int64_t dim) const {
    std::vector<int64_t> d;
    d.reserve(dims_.size() + 1);
    d.push_back(dim);
    d.insert(d.end(), dims_.begin(), dims_.end());
    return Shape(std::move(d));
}

Shape Shape::withoutFirst() const {
    if (dims_.empty()) return {};
    return Shape(std::vector<int64_t>(dims_.begin() + 1, dims_.end()));
}

std::string Shape::toString() const {
    std::string s = "(";
    for (std::size_t i = 0; i < dims_.size(); ++i) {
        if (i) s += ", ";
        s += dims_[i] == kUnknownDim ? std::string("None") : std::to_string(dims_[i]);
    }
    if (dims_.size() == 1) s += ",";
    s += ")";
    return s;
}

nlohmann::json Shape::toJson() const {
    auto j = nlohmann::json::array();
    for (int64_t d : dims_) {
        if (d == kUnknownDim) j.push_back(nullptr);
        else j.push_back(d);
    }
    return j;
}

Shape Shape::fromJson(const nlohmann::json& j) {
    if (!j.is_array()) throw StrataError("a shape must be an array of integers or null, got " + j.dump());
    std::vector<int64_t> dims;
    dims.reserve(j.size());
    for (const auto& d : j) {
        if (d.is_null()) dims.push_back(kUnknownDim);
        else if (d.is_number_integer() && d.get<int64_t>() >= 0 && d.get<int64_t>() <= kMaxDim)
            dims.push_back(d.get<int64_t>());
        else
            throw StrataError("a shape dimension must be an integer from 0 to " + std::to_string(kMaxDim) +
                              " or null, got " + d.dump());
    }
    return Shape(std::move(dims));
}

} // namespace strata
