// Data-parallel loops of the CPU backend's own kernels (im2col, pooling, element-wise ops):
// BLAS threads itself, everything else runs here, on the calling thread plus a process-wide pool
// of workers, with as many threads as the CpuBackend running the graph was given.
//
//   ParallelScope scope(threads);                       // CpuBackend::run, for the run
//   parallelFor(images, 1, [&](int64_t b, int64_t e) { for (i = b; i < e; ++i) ... });
//
// Outside a scope, inside a worker (no nesting) or while another thread's loop holds the pool,
// the loop runs on the calling thread alone. Workers take the caller's floating-point mode
// (denormals flushed), so results do not depend on the thread count.
#pragma once

#include <cstdint>

namespace strata::cpu {

class ParallelScope {
public:
    explicit ParallelScope(int threads);
    ~ParallelScope();
    ParallelScope(const ParallelScope&) = delete;
    ParallelScope& operator=(const ParallelScope&) = delete;

private:
    int saved_;
};

// The threads a loop on this thread may use now (1 outside a ParallelScope).
int parallelThreads();

// A chunk function without ownership or allocation (a training step allocates nothing).
struct ChunkFn {
    const void* object;
    void (*call)(const void* object, int64_t begin, int64_t end);
};
void parallelForChunks(int64_t n, int64_t grain, ChunkFn fn);

// fn(begin, end) over contiguous chunks of [0, n), each at least `grain` items (the last may be
// shorter), at most parallelThreads() chunks; returns when all are done. An exception from any
// chunk is rethrown here (the first one).
template <typename F>
void parallelFor(int64_t n, int64_t grain, const F& fn) {
    parallelForChunks(n, grain, {&fn, [](const void* f, int64_t b, int64_t e) { (*static_cast<const F*>(f))(b, e); }});
}

} // namespace strata::cpu
