#include "engine/data/BatchPrefetcher.h"

#include "engine/Error.h"

#include <algorithm>
#include <cstring>

namespace strata::data {

BatchPrefetcher::BatchPrefetcher(const SampleSource& source, std::vector<int64_t> order, int64_t batchSize,
                                 int64_t firstBatch, int workers, int depth)
    : source_(source), order_(std::move(order)), batchSize_(batchSize),
      batches_((int64_t(order_.size()) + batchSize - 1) / batchSize),
      sampleValues_(source.sampleShape().numElements()), nextClaim_(firstBatch), nextTake_(firstBatch) {
    if (batchSize < 1) throw StrataError("the batch size must be at least 1, got " + std::to_string(batchSize));
    slots_.resize(std::size_t(std::max(depth, 1)));
    for (Slot& s : slots_) s.values.resize(std::size_t(batchSize_ * sampleValues_));
    for (int i = 0; i < std::max(workers, 1); ++i) workers_.emplace_back([this] { work(); });
}

BatchPrefetcher::~BatchPrefetcher() {
    {
        std::lock_guard lock(mutex_);
        stop_ = true;
    }
    changed_.notify_all();
    for (std::thread& t : workers_) t.join();
}

void BatchPrefetcher::decode(int64_t batch, Slot& slot) const {
    const int64_t first = batch * batchSize_;
    const int64_t rows = std::min(batchSize_, int64_t(order_.size()) - first);
    for (int64_t i = 0; i < rows; ++i)
        source_.read(order_[std::size_t(first + i)], slot.values.data() + i * sampleValues_);
    std::fill(slot.values.begin() + rows * sampleValues_, slot.values.end(), 0.0f);
    slot.rows = rows;
}

void BatchPrefetcher::work() {
    const int64_t depth = int64_t(slots_.size());
    for (;;) {
        int64_t batch = 0;
        {
            std::unique_lock lock(mutex_);
            changed_.wait(lock, [&] { return stop_ || nextClaim_ >= batches_ || nextClaim_ < nextTake_ + depth; });
            if (stop_ || nextClaim_ >= batches_) return;
            batch = nextClaim_++;
        }
        // The slot is free: its last batch (batch - depth) was taken before this one could be claimed.
        Slot& slot = slots_[std::size_t(batch % depth)];
        try {
            decode(batch, slot);
        } catch (...) {
            std::lock_guard lock(mutex_);
            if (!error_) error_ = std::current_exception();
            stop_ = true;
            changed_.notify_all();
            return;
        }
        {
            std::lock_guard lock(mutex_);
            slot.batch = batch;
        }
        changed_.notify_all();
    }
}

int64_t BatchPrefetcher::next(float* x) {
    if (nextTake_ >= batches_) return 0;
    const int64_t depth = int64_t(slots_.size());
    Slot& slot = slots_[std::size_t(nextTake_ % depth)];
    {
        std::unique_lock lock(mutex_);
        changed_.wait(lock, [&] { return slot.batch == nextTake_ || error_; });
        if (slot.batch != nextTake_) std::rethrow_exception(error_);
    }
    // No worker writes this slot until nextTake_ moves past it.
    std::memcpy(x, slot.values.data(), slot.values.size() * sizeof(float));
    const int64_t rows = slot.rows;
    {
        std::lock_guard lock(mutex_);
        ++nextTake_;
    }
    changed_.notify_all();
    return rows;
}

} // namespace strata::data
