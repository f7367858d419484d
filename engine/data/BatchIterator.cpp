#include "engine/data/BatchIterator.h"

#include "engine/Error.h"
#include "engine/data/Rng.h"

#include <algorithm>
#include <cstring>
#include <numeric>

namespace strata::data {

EpochOrder::EpochOrder(int64_t numSamples, uint64_t seed, bool shuffle)
    : numSamples_(numSamples), seed_(seed), shuffle_(shuffle) {
    if (numSamples < 0) throw StrataError("an epoch cannot have a negative number of samples");
}

void EpochOrder::permutation(int64_t epoch, std::vector<int64_t>& order) const {
    order.resize(std::size_t(numSamples_));
    std::iota(order.begin(), order.end(), int64_t(0));
    if (!shuffle_) return;
    Rng rng(mixSeed(seed_, uint64_t(epoch)));
    shuffle(order, rng);
}

std::vector<int64_t> EpochOrder::permutation(int64_t epoch) const {
    std::vector<int64_t> order;
    permutation(epoch, order);
    return order;
}

BatchIterator::BatchIterator(const Dataset& data, BatchOptions options)
    : data_(data), options_(options), epochOrder_(data.size(), options.seed, options.shuffle) {
    if (options_.batchSize < 1)
        throw StrataError("the batch size must be at least 1, got " +
                          std::to_string(options_.batchSize));
    if (data.y.shape().rank() < 1 || data.y.shape()[0] != data.size())
        throw StrataError("dataset '" + data.name + "' has " + std::to_string(data.size()) +
                          " samples of features but targets of shape " + data.y.shape().toString());
    xBatchShape_ = data.featureShape().prepended(options_.batchSize);
    yBatchShape_ = data.targetShape().prepended(options_.batchSize);
    xRowBytes_ = data.isStreamed() ? std::size_t(data.featureShape().numElements()) * sizeof(float)
                 : data.size()  ? data.x.byteSize() / std::size_t(data.size())
                                : 0;
    beginEpoch(0);
}

int64_t BatchIterator::batchesPerEpoch() const {
    const int64_t n = data_.size(), b = options_.batchSize;
    return options_.dropRemainder ? n / b : (n + b - 1) / b;
}

Tensor BatchIterator::makeXBatch() const {
    return Tensor(xBatchShape_, data_.isStreamed() ? DType::F32 : data_.x.dtype());
}
Tensor BatchIterator::makeYBatch() const {
    return Tensor(yBatchShape_, data_.y.dtype());
}

Batch BatchIterator::makeBatch() const {
    Batch b{makeXBatch(), makeYBatch(), {}, {}};
    for (const Tensor& t : data_.moreX) b.moreX.emplace_back(t.shape().withoutFirst().prepended(options_.batchSize), t.dtype());
    for (const Targets& t : data_.moreY) b.moreY.emplace_back(t.y.shape().withoutFirst().prepended(options_.batchSize), t.y.dtype());
    return b;
}

int64_t BatchIterator::next(Batch& b) {
    if (b.moreX.size() != data_.moreX.size() || b.moreY.size() != data_.moreY.size())
        throw StrataError("a batch of dataset '" + data_.name + "' needs " + std::to_string(data_.inputCount()) + " inputs and " +
                          std::to_string(data_.outputCount()) + " targets (use makeBatch)");
    const int64_t index = nextBatch_;
    const int64_t rows = next(b.x, b.y);
    if (!rows) return 0;
    for (std::size_t i = 0; i < b.moreX.size(); ++i) copyRows(index, data_.moreX[i], b.moreX[i]);
    for (std::size_t k = 0; k < b.moreY.size(); ++k) copyRows(index, data_.moreY[k].y, b.moreY[k]);
    return rows;
}

void BatchIterator::copyRows(int64_t index, const Tensor& from, Tensor& out) const {
    const int64_t b = options_.batchSize;
    const std::size_t rowBytes = data_.size() ? from.byteSize() / std::size_t(data_.size()) : 0;
    if (out.dtype() != from.dtype() || out.shape() != from.shape().withoutFirst().prepended(b))
        throw StrataError("batch tensors of dataset '" + data_.name + "' must be made by makeBatch");
    const int64_t first = index * b;
    const int64_t count = std::min(b, data_.size() - first);
    for (int64_t i = 0; i < count; ++i) {
        const std::size_t src = std::size_t(order_[std::size_t(first + i)]);
        std::memcpy(out.bytes() + std::size_t(i) * rowBytes, from.bytes() + src * rowBytes, rowBytes);
    }
    if (count < b) std::memset(out.bytes() + std::size_t(count) * rowBytes, 0, std::size_t(b - count) * rowBytes);
}

void BatchIterator::beginEpoch(int64_t epoch) {
    prefetcher_.reset(); // its workers read order_
    epochOrder_.permutation(epoch, order_);
    nextBatch_ = 0;
}

int64_t BatchIterator::skip(int64_t n) {
    const int64_t skipped = std::clamp<int64_t>(batchesPerEpoch() - nextBatch_, 0, std::max<int64_t>(n, 0));
    if (prefetcher_ && skipped) prefetcher_.reset();
    nextBatch_ += skipped;
    return skipped;
}

int64_t BatchIterator::next(Tensor& x, Tensor& y) {
    if (nextBatch_ >= batchesPerEpoch()) return 0;
    if (!data_.isStreamed()) return fillBatch(nextBatch_++, x, y);
    checkBatchTensors(x, y);
    if (!prefetcher_) {
        // dropRemainder: the order is cut to whole batches, so the prefetcher stops with them.
        std::vector<int64_t> order(order_.begin(), order_.begin() + std::min<int64_t>(int64_t(order_.size()),
                                                                                         batchesPerEpoch() * options_.batchSize));
        prefetcher_ = std::make_unique<BatchPrefetcher>(*data_.streamed, std::move(order), options_.batchSize, nextBatch_,
                                                        options_.workers, options_.prefetchBatches);
    }
    const int64_t rows = prefetcher_->next(x.f32());
    copyTargets(nextBatch_++, y);
    return rows;
}

void BatchIterator::checkBatchTensors(const Tensor& x, const Tensor& y) const {
    if (x.shape() != xBatchShape_ || x.dtype() != makeXBatch().dtype() || y.shape() != yBatchShape_ ||
        y.dtype() != data_.y.dtype())
        throw StrataError("batch tensors must be " + xBatchShape_.toString() + " and " +
                          yBatchShape_.toString() + " (use makeXBatch/makeYBatch), got " +
                          x.shape().toString() + " and " + y.shape().toString());
}

void BatchIterator::copyTargets(int64_t index, Tensor& y) const { copyRows(index, data_.y, y); }

int64_t BatchIterator::fillBatch(int64_t index, Tensor& x, Tensor& y) const {
    checkBatchTensors(x, y);
    if (index < 0 || index >= batchesPerEpoch())
        throw StrataError("batch " + std::to_string(index) + " is out of range: an epoch has " +
                          std::to_string(batchesPerEpoch()) + " batches");
    const int64_t b = options_.batchSize;
    const int64_t first = index * b;
    const int64_t count = std::min(b, data_.size() - first);
    for (int64_t i = 0; i < count; ++i) {
        const int64_t src = order_[std::size_t(first + i)];
        std::byte* row = x.bytes() + std::size_t(i) * xRowBytes_;
        if (data_.isStreamed()) data_.streamed->read(src, reinterpret_cast<float*>(row));
        else std::memcpy(row, data_.x.bytes() + std::size_t(src) * xRowBytes_, xRowBytes_);
    }
    if (count < b)
        std::memset(x.bytes() + std::size_t(count) * xRowBytes_, 0, std::size_t(b - count) * xRowBytes_);
    copyTargets(index, y);
    return count;
}

} // namespace strata::data
