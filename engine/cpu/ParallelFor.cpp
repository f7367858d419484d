#include "engine/cpu/ParallelFor.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

#if defined(__SSE__)
#include <xmmintrin.h>
#endif

namespace strata::cpu {

namespace {

thread_local int tThreads = 1;
thread_local bool tInWorker = false; // a pool thread, or a caller while its loop runs: no nesting

unsigned floatMode() {
#if defined(__SSE__)
    return _mm_getcsr();
#else
    return 0;
#endif
}
void setFloatMode([[maybe_unused]] unsigned mode) {
#if defined(__SSE__)
    _mm_setcsr(mode);
#endif
}

// Workers wait for a job (a generation number), take parts by an atomic counter, and the last
// part to finish wakes the caller. One job at a time; a caller that finds the pool busy runs
// its loop alone.
class WorkerPool {
public:
    static WorkerPool& instance() {
        static WorkerPool pool;
        return pool;
    }

    ~WorkerPool() {
        {
            std::lock_guard lock(mutex_);
            stopping_ = true;
        }
        wake_.notify_all();
        for (std::thread& t : workers_) t.join();
    }

    // Chunk i of a job is [i * chunk, min(n, (i + 1) * chunk)).
    struct Job {
        ChunkFn fn;
        int64_t n = 0, chunk = 0;
        void part(int i) const {
            const int64_t begin = int64_t(i) * chunk, end = std::min(n, begin + chunk);
            if (begin < end) fn.call(fn.object, begin, end);
        }
    };

    // False when busy (the caller then runs the parts itself).
    bool run(int parts, const Job& job) {
        std::unique_lock busy(jobMutex_, std::try_to_lock);
        if (!busy.owns_lock()) return false;
        {
            std::lock_guard lock(mutex_);
            while (int(workers_.size()) < parts - 1) workers_.emplace_back([this] { loop(); });
            job_ = &job;
            parts_ = parts;
            next_ = 0;
            unfinished_ = parts;
            mode_ = floatMode();
            error_ = nullptr;
            ++generation_;
        }
        wake_.notify_all();
        work();
        std::unique_lock lock(mutex_);
        done_.wait(lock, [this] { return unfinished_ == 0; });
        job_ = nullptr;
        if (error_) std::rethrow_exception(error_);
        return true;
    }

private:
    WorkerPool() = default;

    void loop() {
        tInWorker = true;
        uint64_t seen = 0;
        for (;;) {
            {
                std::unique_lock lock(mutex_);
                wake_.wait(lock, [&] { return stopping_ || generation_ != seen; });
                if (stopping_) return;
                seen = generation_;
                setFloatMode(mode_);
            }
            work();
        }
    }

    void work() {
        for (;;) {
            const int i = next_.fetch_add(1);
            if (i >= parts_) return;
            try {
                job_->part(i);
            } catch (...) {
                std::lock_guard lock(mutex_);
                if (!error_) error_ = std::current_exception();
            }
            std::lock_guard lock(mutex_);
            if (--unfinished_ == 0) done_.notify_one();
        }
    }

    std::mutex jobMutex_; // one job at a time
    std::mutex mutex_;
    std::condition_variable wake_, done_;
    std::vector<std::thread> workers_;
    const Job* job_ = nullptr;
    int parts_ = 0;
    std::atomic<int> next_{0};
    int unfinished_ = 0;
    unsigned mode_ = 0;
    uint64_t generation_ = 0;
    bool stopping_ = false;
    std::exception_ptr error_;
};

} // namespace

ParallelScope::ParallelScope(int threads) : saved_(tThreads) { tThreads = std::max(threads, 1); }
ParallelScope::~ParallelScope() { tThreads = saved_; }

int parallelThreads() { return tInWorker ? 1 : tThreads; }

void parallelForChunks(int64_t n, int64_t grain, ChunkFn fn) {
    if (n <= 0) return;
    const int64_t parts = std::min<int64_t>(parallelThreads(), std::max<int64_t>(n / std::max<int64_t>(grain, 1), 1));
    if (parts <= 1) return fn.call(fn.object, 0, n);
    const WorkerPool::Job job{fn, n, (n + parts - 1) / parts};
    struct NoNesting {
        NoNesting() { tInWorker = true; }
        ~NoNesting() { tInWorker = false; }
    } guard;
    if (!WorkerPool::instance().run(int(parts), job))
        for (int i = 0; i < int(parts); ++i) job.part(i);
}

} // namespace strata::cpu
