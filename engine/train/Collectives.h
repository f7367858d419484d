// What data-parallel training needs from its transport, and nothing of the transport itself: the
// engine knows no MPI. app/distributed/MpiCollectives implements it on MPI (OpenMPI); the tests
// may implement it in one process. One replica per rank; every rank calls every collective, in
// the same order, with the same sizes.
//
//   Collectives& c = ...;                 // rank(), size()
//   c.setStep(12);                        // named by a timeout's message
//   c.startSum(0, bucket0, false); c.startSum(1, bucket1, true);   // as soon as each bucket is full
//   c.waitAll();                          // every started sum is done: each bucket holds the sum
//   c.sum(metrics); c.broadcast(bytes);   // blocking, in between steps
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace strata::train {

class Collectives {
public:
    virtual ~Collectives() = default;

    virtual int rank() const = 0;
    virtual int size() const = 0;

    // The training step in progress (1-based over the run; 0 before the first), for a timeout's
    // message ("rank 2, step 41: ...").
    virtual void setStep(int64_t step) = 0;

    // Starts summing `data` over all ranks, in place; `bucket` numbers the sums of one step in the
    // order they start (the same on every rank). May return before it is done; `data` must stay
    // untouched until waitAll(). Every rank receives the same bits. `last`: the step's last sum
    // (nothing left to overlap it with: the transport may finish it before returning).
    virtual void startSum(int bucket, std::span<float> data, bool last) = 0;
    // Waits for every sum started since the last waitAll.
    virtual void waitAll() = 0;

    // Blocking: sums `values` over all ranks, in place (metrics).
    virtual void sum(std::span<double> values) = 0;
    // Blocking: rank 0's `bytes` replace every other rank's (their size too).
    virtual void broadcast(std::vector<uint8_t>& bytes) = 0;
    // Blocking: the largest of every rank's `code`, so that all ranks take the same branch after a
    // stage that may fail on one of them (0: all fine).
    virtual int agree(int code) = 0;
};

} // namespace strata::train
