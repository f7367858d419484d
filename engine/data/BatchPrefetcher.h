// Batches of a streamed dataset decoded ahead on worker threads: the workers read the samples of
// an epoch's order (EpochOrder, so a resumed run sees the same order) batch by batch into a ring
// of `depth` batch buffers, and the trainer takes them in order. Memory stays bounded by the ring
// (depth batches), whatever the dataset's size. The destructor stops and joins the workers.
#pragma once

#include "engine/data/SampleSource.h"

#include <condition_variable>
#include <cstdint>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

namespace strata::data {

class BatchPrefetcher {
  public:
    // Batches firstBatch, firstBatch + 1, ... of `order` cut in batches of batchSize (the last
    // one smaller). `source` must outlive the prefetcher.
    BatchPrefetcher(const SampleSource& source, std::vector<int64_t> order, int64_t batchSize, int64_t firstBatch,
                    int workers, int depth);
    ~BatchPrefetcher();
    BatchPrefetcher(const BatchPrefetcher&) = delete;
    BatchPrefetcher& operator=(const BatchPrefetcher&) = delete;

    // Copies the next batch into x (batchSize samples; rows past the count are zeroed) and returns
    // its sample count, 0 after the last batch. Rethrows a worker's error (a file gone unreadable).
    int64_t next(float* x);

  private:
    struct Slot {
        int64_t batch = -1;
        int64_t rows = 0;
        std::vector<float> values;
    };
    void work();
    void decode(int64_t batch, Slot& slot) const;

    const SampleSource& source_;
    const std::vector<int64_t> order_;
    const int64_t batchSize_, batches_, sampleValues_;
    std::mutex mutex_;
    std::condition_variable changed_;
    std::vector<Slot> slots_;
    int64_t nextClaim_, nextTake_;
    bool stop_ = false;
    std::exception_ptr error_;
    std::vector<std::thread> workers_;
};

} // namespace strata::data
