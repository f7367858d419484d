// One data-parallel training step, as Horovod and PyTorch DDP take it: every rank runs the forward
// and backward pass on its shard of the global batch, the gradients are summed over the ranks in
// buckets, each started as soon as the backward pass has computed its last gradient (so the sums
// travel while the rest of the backward pass runs, on a backend that reports values as they are
// computed: Backend::runObserved), and every rank then applies the same optimizer update to the
// same averaged gradients, so the replicas stay equal.
//
// The gradient of the global batch's mean loss is sum over ranks of (local rows / global rows) x
// the local mean loss's gradient: each rank scales its gradients by its share before the sum, so
// uneven shards (a last partial batch) average exactly. The step's loss travels in the last bucket,
// so every rank sees the global mean loss (and stops on a NaN loss alike). Variables the traced
// graph assigns (BatchNormalization's moving averages) are averaged over the ranks after the step.
//
//   DataParallelStep dp(backend, model, options, collectives);     // once per fit
//   dp.step(&plan, feeds, fetches, firstGradient, localRows, globalRows, results);
#pragma once

#include "engine/Model.h"
#include "engine/ir/Backend.h"
#include "engine/train/Collectives.h"
#include "engine/train/Trainer.h"

#include <memory>
#include <string>
#include <vector>

namespace strata::train {

// Where a step's time went, summed over the steps (for --json and tests/bench).
struct DataParallelStats {
    int64_t steps = 0;
    double computeSeconds = 0;  // forward and backward, the earlier buckets' sums running meanwhile
    double waitSeconds = 0;     // communication nothing overlaps: the step's last sum (and what is
                                // left of the others) after the backward pass, the assigned state's
    double applySeconds = 0;    // the optimizer update
    int64_t bytesPerStep = 0;   // gradient bytes summed per step
    int buckets = 0;
};

class DataParallelStep {
public:
    // `bucketBytes`: the gradient bytes per bucket (DDP's default is 25 MiB; small models get one
    // bucket per few layers with the default here). Prepares the optimizer update graph.
    DataParallelStep(ir::Backend& backend, const Model& model, const TrainOptions& options, Collectives& collectives,
                     int64_t bucketBytes = int64_t(1) << 20);
    ~DataParallelStep();

    // The local graph of a training trace: the step graph without the optimizer (the traced graph's
    // own assignments kept); prepared with fetches {loss, outputs..., output losses..., gradients...}
    // by the caller. `gradients` receives the gradient values in the order of this object's
    // variables (trainablePaths()).
    ir::Graph localGraph(const TracedModel& traced, std::vector<ir::ValueId>& gradients, ir::ValueId& loss,
                         std::vector<ir::ValueId>& outputLosses);

    // One step. `plan` runs the local graph (null when this rank's shard is empty: it then adds
    // zeros); fetches[firstGradient + k] is the gradient of trainablePaths()[k]. On return,
    // results[0] is the global batch's mean loss and results[firstGradient + k] the averaged gradient;
    // the others are this rank's. Errors of the backend or the transport propagate.
    // `stopRequested`: this rank's wish to stop, summed with the others' (stopAgreed()).
    void step(ir::PreparedGraph* plan, std::span<const ir::Feed> feeds, std::span<const ir::ValueId> fetches,
              std::size_t firstGradient, int64_t localRows, int64_t globalRows, int64_t stepNumber, bool stopRequested,
              std::vector<Tensor>& results);
    // Whether any rank asked to stop in the last step: the same answer on every rank.
    bool stopAgreed() const { return stopAgreed_; }

    // The buckets' element counts for variables of `sizes` elements (in the model's order): from
    // the last variable back, a new bucket when the next would pass `bucketBytes`. The same on
    // every rank; tests/bench/bench_mpi_allreduce.cpp sums the same buckets.
    static std::vector<int64_t> bucketLayout(const std::vector<int64_t>& sizes, int64_t bucketBytes);

    const std::vector<std::string>& trainablePaths() const { return paths_; }
    const DataParallelStats& stats() const { return stats_; }

private:
    struct Bucket {
        std::size_t first = 0, count = 0; // variables [first, first + count) of paths_
        std::vector<float> data;          // their gradients, then (the last bucket) the loss share and a stop flag
        std::size_t pending = 0;
    };
    void gradientReady(std::size_t variable, const float* values, float scale);
    void startReadyBuckets();
    void averageAssignedState();

    ir::Backend& backend_;
    const Model& model_;
    TrainOptions options_;
    Collectives& collectives_;
    std::vector<std::string> paths_;   // trainable variables, in the model's order
    std::vector<int64_t> sizes_;       // their element counts
    std::vector<Shape> shapes_;
    std::vector<std::size_t> bucketOf_, offsetOf_; // per variable: its bucket and offset in it
    std::vector<Bucket> buckets_;      // in the order they start: the last variables first
    std::size_t nextToStart_ = 0;
    std::unique_ptr<ir::PreparedGraph> apply_; // placeholders "gradient/k" -> the optimizer update
    std::vector<std::string> assigned_;        // variables the traced graphs assign (averaged per step)
    DataParallelStats stats_;
    double inSums_ = 0; // this step's seconds inside blocking sums (counted as waiting, not compute)
    bool stopAgreed_ = false;
};

} // namespace strata::train
