// A dense host tensor: a fully known shape, a dtype, and 64-byte aligned storage.
// Value semantics: copying a Tensor copies its elements.
#pragma once

#include "engine/DType.h"
#include "engine/Shape.h"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

namespace strata {

class Tensor {
public:
    // Largest element count a tensor may have; larger shapes are rejected before allocating.
    static constexpr int64_t kMaxElements = int64_t(1) << 32;

    Tensor() = default;
    // Zero-filled. Throws ShapeError when the shape has unknown dims or is absurdly large.
    explicit Tensor(Shape shape, DType dtype = DType::F32);
    static Tensor fromVector(Shape shape, const std::vector<float>& values);
    static Tensor fromVector(Shape shape, const std::vector<int32_t>& values);
    static Tensor scalar(float v);

    Tensor(const Tensor& other);
    Tensor& operator=(const Tensor& other);
    Tensor(Tensor&&) noexcept = default;
    Tensor& operator=(Tensor&&) noexcept = default;

    const Shape& shape() const { return shape_; }
    DType dtype() const { return dtype_; }
    int64_t size() const { return size_; }
    std::size_t byteSize() const { return std::size_t(size_) * dtypeSize(dtype_); }
    bool empty() const { return size_ == 0; }

    float* f32();
    const float* f32() const;
    int32_t* i32();
    const int32_t* i32() const;
    std::span<float> values();
    std::span<const float> values() const;
    std::byte* bytes() { return data_.get(); }
    const std::byte* bytes() const { return data_.get(); }

    // Same elements, another shape of the same element count; throws ShapeError otherwise.
    Tensor reshaped(Shape shape) const;
    // The same, in place: no copy.
    void reshape(Shape shape);
    // Keeps the first `rows` entries of dimension 0 (the storage is not reallocated).
    void shrinkRows(int64_t rows);
    void fill(float v);

private:
    struct Free {
        void operator()(std::byte* p) const;
    };
    Shape shape_;
    DType dtype_ = DType::F32;
    int64_t size_ = 0;
    std::unique_ptr<std::byte[], Free> data_;
};

} // namespace strata
