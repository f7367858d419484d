#include "engine/Tensor.h"

#include "engine/Error.h"
#include "engine/MemoryBudget.h"

#include <algorithm>
#include <cstring>
#include <new>

namespace strata {

namespace {
constexpr std::align_val_t kAlignment{64};

std::byte* allocateBytes(std::size_t n) {
    if (n == 0) return nullptr;
    return static_cast<std::byte*>(::operator new(n, kAlignment));
}
} // namespace

void Tensor::Free::operator()(std::byte* p) const { ::operator delete(p, kAlignment); }

Tensor::Tensor(Shape shape, DType dtype) : shape_(std::move(shape)), dtype_(dtype) {
    if (!shape_.isFullyKnown())
        throw ShapeError("cannot allocate a tensor of shape " + shape_.toString() + ": it has unknown dimensions");
    int64_t n = 1;
    for (int64_t d : shape_.dims()) {
        if (d != 0 && n > kMaxElements / d)
            throw ShapeError("cannot allocate a tensor of shape " + shape_.toString() + ": too many elements");
        n *= d;
    }
    size_ = n;
    checkMemoryBudget(double(byteSize()), "a tensor of shape " + shape_.toString());
    data_.reset(allocateBytes(byteSize()));
    if (size_) std::memset(data_.get(), 0, byteSize());
}

namespace {
template <class T>
Tensor tensorFrom(Shape shape, DType dtype, const std::vector<T>& values) {
    Tensor t(std::move(shape), dtype);
    if (std::size_t(t.size()) != values.size())
        throw ShapeError("shape " + t.shape().toString() + " holds " + std::to_string(t.size()) +
                         " elements, got " + std::to_string(values.size()));
    if (!values.empty()) std::memcpy(t.bytes(), values.data(), values.size() * sizeof(T));
    return t;
}
} // namespace

Tensor Tensor::fromVector(Shape shape, const std::vector<float>& values) {
    return tensorFrom(std::move(shape), DType::F32, values);
}

Tensor Tensor::fromVector(Shape shape, const std::vector<int32_t>& values) {
    return tensorFrom(std::move(shape), DType::I32, values);
}

Tensor Tensor::scalar(float v) {
    Tensor t(Shape{}, DType::F32);
    t.f32()[0] = v;
    return t;
}

Tensor::Tensor(const Tensor& other) : shape_(other.shape_), dtype_(other.dtype_), size_(other.size_) {
    data_.reset(allocateBytes(byteSize()));
    if (size_) std::memcpy(data_.get(), other.data_.get(), byteSize());
}

Tensor& Tensor::operator=(const Tensor& other) {
    if (this != &other) {
        Tensor copy(other);
        *this = std::move(copy);
    }
    return *this;
}

float* Tensor::f32() { return reinterpret_cast<float*>(data_.get()); }
const float* Tensor::f32() const { return reinterpret_cast<const float*>(data_.get()); }
int32_t* Tensor::i32() { return reinterpret_cast<int32_t*>(data_.get()); }
const int32_t* Tensor::i32() const { return reinterpret_cast<const int32_t*>(data_.get()); }
std::span<float> Tensor::values() { return {f32(), std::size_t(size_)}; }
std::span<const float> Tensor::values() const { return {f32(), std::size_t(size_)}; }

Tensor Tensor::reshaped(Shape shape) const {
    Tensor t(*this);
    t.reshape(std::move(shape));
    return t;
}

void Tensor::reshape(Shape shape) {
    if (!shape.isFullyKnown() || shape.numElements() != size_)
        throw ShapeError("cannot reshape a tensor of shape " + shape_.toString() + " (" + std::to_string(size_) +
                         " elements) to " + shape.toString());
    shape_ = std::move(shape);
}

void Tensor::shrinkRows(int64_t rows) {
    if (shape_.rank() == 0 || rows < 0 || rows > shape_[0])
        throw ShapeError("cannot keep " + std::to_string(rows) + " rows of a tensor of shape " + shape_.toString());
    shape_[0] = rows;
    size_ = shape_.numElements();
}

void Tensor::fill(float v) { std::fill(f32(), f32() + size_, v); }

} // namespace strata
