// Deterministic epochs and batches. The sample order of an epoch is a pure function of
// (seed, epoch), so a run resumed at epoch k sees exactly the order it would have seen, with no
// saved iterator state. Batches are copied into tensors the caller allocates once. A streamed
// dataset's batches are decoded ahead on worker threads (BatchPrefetcher.h).
#pragma once

#include "engine/data/BatchPrefetcher.h"
#include "engine/data/Dataset.h"

#include <cstdint>
#include <memory>
#include <vector>

namespace strata::data {

// The permutation of [0, numSamples) used in one epoch.
class EpochOrder {
  public:
    EpochOrder(int64_t numSamples, uint64_t seed, bool shuffle = true);

    // Fills `order` (resized to numSamples; no allocation once it has the capacity).
    void permutation(int64_t epoch, std::vector<int64_t>& order) const;
    std::vector<int64_t> permutation(int64_t epoch) const;

  private:
    int64_t numSamples_;
    uint64_t seed_;
    bool shuffle_;
};

struct BatchOptions {
    int64_t batchSize = 32;
    bool shuffle = true;
    bool dropRemainder = false; // false: the last, smaller batch is kept
    uint64_t seed = 0;
    // Streamed datasets only: threads that decode samples, and batches decoded ahead of the trainer.
    int workers = 2;
    int prefetchBatches = 4;
};

// One batch of every input and output of a dataset (Dataset::moreX / moreY for models with
// several), allocated once by BatchIterator::makeBatch.
struct Batch {
    Tensor x, y;
    std::vector<Tensor> moreX, moreY;
    const Tensor& input(std::size_t i) const { return i == 0 ? x : moreX.at(i - 1); }
    const Tensor& target(std::size_t k) const { return k == 0 ? y : moreY.at(k - 1); }
};

// Walks a dataset batch by batch. Holds a reference to the dataset: it must outlive the iterator.
class BatchIterator {
  public:
    BatchIterator(const Dataset& data, BatchOptions options);

    int64_t batchesPerEpoch() const;
    int64_t batchSize() const { return options_.batchSize; }

    // Tensors of the full batch shape, (batchSize, features...) and (batchSize, targets...),
    // to allocate once and pass to next()/fillBatch() for every batch.
    Tensor makeXBatch() const;
    Tensor makeYBatch() const;
    // All of a batch's tensors, the dataset's further inputs and outputs included.
    Batch makeBatch() const;

    // Starts an epoch: computes its order and rewinds to the first batch.
    void beginEpoch(int64_t epoch);
    // Copies the next batch of the current epoch into x and y and returns its sample count,
    // or 0 when the epoch is over. Rows past the count (last partial batch) are zeroed.
    int64_t next(Tensor& x, Tensor& y);
    // The same for every input and output of the dataset.
    int64_t next(Batch& batch);
    // Moves past up to n batches without reading them (resuming mid-epoch); returns how many.
    int64_t skip(int64_t n);
    // Random access within the current epoch (e.g. to resume mid-epoch): fills batch `index`.
    int64_t fillBatch(int64_t index, Tensor& x, Tensor& y) const;
    // Dataset indices of the current epoch, in order.
    const std::vector<int64_t>& order() const { return order_; }

  private:
    const Dataset& data_;
    BatchOptions options_;
    EpochOrder epochOrder_;
    std::vector<int64_t> order_;
    Shape xBatchShape_, yBatchShape_;
    std::size_t xRowBytes_ = 0;
    int64_t nextBatch_ = 0;
    std::unique_ptr<BatchPrefetcher> prefetcher_; // streamed: started by the epoch's first next()
    void checkBatchTensors(const Tensor& x, const Tensor& y) const;
    void copyTargets(int64_t index, Tensor& y) const;
    // Copies the rows of batch `index` of a tensor whose first dimension is the sample into `out`.
    void copyRows(int64_t index, const Tensor& from, Tensor& out) const;
};

} // namespace strata::data
