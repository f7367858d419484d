// The trainer: fit (epochs, batches, validation), evaluate and predict a built Model on a Backend.
// Each input signature is traced once (TraceCache) and its three graphs are prepared once; a
// step then runs the forward+backward+update graph with new batch data. Events per step and per
// epoch let a GUI draw curves; requestStop() ends a run between steps. A NaN or Inf loss stops
// the run with a message naming the step, and the model keeps the last good weights.
#pragma once

#include "engine/Model.h"
#include "engine/data/BatchIterator.h"
#include "engine/data/Dataset.h"
#include "engine/ir/Backend.h"
#include "engine/ir/Optimizers.h"
#include "engine/train/Collectives.h"
#include "engine/train/Inference.h"
#include "engine/train/Tracer.h"

#include <atomic>
#include <cmath>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <string>

namespace strata::train {

class DataParallelStep;
struct DataParallelStats;

// The loss of one output of a model with several (Keras' loss={...} and loss_weights): the
// training loss is the weighted sum of the outputs' losses.
struct OutputLoss {
    std::string output; // the output layer's name, as a person gives it (the trainer reads the order)
    std::string loss;   // empty: TrainOptions::loss
    double weight = 1.0;
};

struct TrainOptions {
    int epochs = 1;
    int64_t batchSize = 32;
    std::string loss = "sparse_categorical_crossentropy";
    // One per model output, in the model's output order; empty: `loss` for every output, weight 1.
    std::vector<OutputLoss> outputLosses;
    bool fromLogits = false;     // the model's output are logits (a linear last layer)
    ir::OptimizerConfig optimizer;
    uint64_t seed = 0;           // data order and dropout masks
    bool shuffle = true;
    int64_t maxSteps = -1;       // stop after this many steps (benchmarks); -1: no limit
    int64_t snapshotEvery = 25;  // steps between copies of the weights kept for a NaN stop
    int dataWorkers = 2;         // threads decoding a streamed dataset's samples (an image folder)
    // Resuming: epochs already completed, and batches already done in the next one. With the
    // backend's variables restored (weights, optimizer slots, optimizer/iter) the run continues
    // exactly: data order depends only on (seed, epoch) and dropout masks on (seed, step).
    int initialEpoch = 0;
    int64_t initialBatch = 0;
    int64_t initialStep = 0; // steps done before (resuming): only named in a data-parallel timeout's message
    // Keep the gradients of the last step of each epoch (Trainer::epochGradients), for the
    // histograms a project records: the step graph's gradients are fetched in that step only.
    bool keepEpochGradients = false;
    // Data-parallel training (DataParallelStep.h): set, fit() takes this rank's shard of every
    // batch of batchSize rows (the global batch), sums the gradients over the ranks and reduces the
    // epoch's figures, so every rank reports the whole batch's. Not owned; null: one process.
    Collectives* collectives = nullptr;
    int64_t bucketBytes = int64_t(1) << 20; // data-parallel: gradient bytes per sum (DDP's bucket_cap_mb)

    const std::string& lossFor(std::size_t output) const {
        return output < outputLosses.size() && !outputLosses[output].loss.empty() ? outputLosses[output].loss : loss;
    }
    double weightFor(std::size_t output) const { return output < outputLosses.size() ? outputLosses[output].weight : 1.0; }
};

struct StepEvent {
    int64_t step = 0; // 1-based, over the whole run
    int epoch = 0;    // 1-based
    int64_t batch = 0, batchesPerEpoch = 0;
    double loss = 0;
};

constexpr double kNoMetric = std::numeric_limits<double>::quiet_NaN();

// One output's figures in a model with several outputs (Keras' "<output>_loss", "<output>_accuracy").
struct OutputMetrics {
    std::string name;            // the output layer
    double loss = kNoMetric;     // this output's loss before its weight
    double accuracy = kNoMetric; // classification only
    double mae = kNoMetric;      // regression only (evaluate)
};

// With several outputs, loss is the weighted sum and accuracy is unset: the figures of each
// output are in outputs (training) and valOutputs (validation).
// Per-output sums over an epoch or an evaluation (Trainer.cpp).
struct OutputSums;

struct EpochEvent {
    int epoch = 0;
    double loss = 0, accuracy = kNoMetric;
    double valLoss = kNoMetric, valAccuracy = kNoMetric;
    double seconds = 0, samplesPerSecond = 0; // training only, validation excluded
    int64_t steps = 0;
    std::vector<OutputMetrics> outputs, valOutputs; // models with several outputs only
};

struct EvalResult {
    double loss = 0;
    double accuracy = kNoMetric; // classification only
    double mae = kNoMetric;      // regression only
    int64_t samples = 0;
    std::vector<OutputMetrics> outputs; // models with several outputs only
};

// An epoch's figures under Keras' names: loss, accuracy, val_loss, val_accuracy and, for a model
// with several outputs, <output>_loss, <output>_accuracy, val_<output>_loss, val_<output>_accuracy
// (NaN where a figure does not apply).
std::vector<std::pair<std::string, double>> epochMetrics(const EpochEvent& e);
// An evaluation's figures: <prefix>loss, <prefix>accuracy, <prefix>mae and, for several outputs,
// <prefix><output>_loss, _accuracy, _mae (e.g. prefix "test_").
std::vector<std::pair<std::string, double>> evalMetrics(const EvalResult& r, const std::string& prefix);

struct FitResult {
    std::vector<EpochEvent> epochs;
    int64_t steps = 0;
    bool stopped = false;  // requestStop() or maxSteps
    bool diverged = false; // NaN or Inf loss
    std::string message;   // why the run ended early, for a person
};

class Trainer {
public:
    // The model must be built; its variables are copied to the backend on the first use.
    Trainer(Model& model, ir::Backend& backend, TrainOptions options);
    ~Trainer();

    void onStep(std::function<void(const StepEvent&)> f) { onStep_ = std::move(f); }
    void onEpoch(std::function<void(const EpochEvent&)> f) { onEpoch_ = std::move(f); }
    void requestStop() { stop_ = true; }

    // Checks that the dataset fits the model and the loss (shapes, label range) before any work;
    // throws StrataError with a message naming both sides otherwise.
    void checkData(const data::Dataset& d) const;
    FitResult fit(const data::Dataset& train, const data::Dataset* validation = nullptr);
    EvalResult evaluate(const data::Dataset& d);
    // Model outputs (the first output) for every sample of x, in batches (through Inference).
    Tensor predict(const Tensor& x);

    // Copies the backend's variables into the model's Variables (done at the end of fit).
    void pullWeights();
    void pushWeights();
    // With TrainOptions::keepEpochGradients, in onEpoch: the gradient of every trainable variable
    // (path, value) in the last step of the epoch; empty when that step did not run (a stop).
    const std::vector<std::pair<std::string, Tensor>>& epochGradients() const { return epochGradients_; }
    const TraceCache& traces() const { return traces_; }
    ir::Backend& backend() { return backend_; }
    const TrainOptions& options() const { return options_; }
    // With options().collectives, after fit: where the steps' time went (DataParallelStep.h).
    const DataParallelStats* parallelStats() const;

private:
    struct Prepared;
    // The prepared graph of one set of batch shapes and mode (train, evaluate), made on first use.
    Prepared& prepared(const std::vector<Shape>& batchShapes, int mode);
    void checkTargets(const data::Dataset& d, std::size_t output) const;
    // Adds one batch's results (r: the loss, every output, every output's loss) to per-output sums.
    // `first`: the batch row of r's first row (a data-parallel shard).
    void addOutputSums(const std::vector<Tensor>& r, const data::Batch& b, int64_t first, int64_t rows, OutputSums& sums) const;
    void reduceEpochSums(OutputSums& sums) const; // data-parallel: every rank's sums
    std::vector<OutputMetrics> outputMetrics(const OutputSums& sums, int64_t seen, const data::Dataset& d) const;
    void snapshot(int64_t step);
    void restoreSnapshot();
    // Collects and drops `runs` enqueued runs after an error; their own errors are dropped too.
    void drainQueued(std::size_t runs);

    Model& model_;
    ir::Backend& backend_;
    TrainOptions options_;
    TraceCache traces_;
    std::map<std::pair<Signature, int>, std::unique_ptr<Prepared>> prepared_;
    std::unique_ptr<Inference> inference_; // predict's graphs, made on first use
    std::function<void(const StepEvent&)> onStep_;
    std::function<void(const EpochEvent&)> onEpoch_;
    std::atomic<bool> stop_{false};
    bool pushed_ = false;
    std::vector<std::pair<std::string, Tensor>> snapshot_;
    int64_t snapshotStep_ = 0;
    std::vector<std::pair<std::string, Tensor>> epochGradients_;
    std::unique_ptr<DataParallelStep> parallel_; // with options_.collectives, made by fit
};

// Builds the loss of `traced`'s output `output` against a labels placeholder (labelsName(output));
// a cross-entropy on a softmax/sigmoid output uses the logits. Returns the loss value. The labels
// and the loss ops are in the scope "loss".
ir::ValueId appendLoss(ir::Graph& g, const TracedModel& traced, const std::string& loss, bool fromLogits,
                       DType labelType, const Shape& labelShape, std::size_t output = 0);
// The labels placeholder of output k: "labels", then "labels_1", "labels_2", ...
std::string labelsName(std::size_t output);
// Every output's loss (options.lossFor) and their weighted sum (the loss itself for one output).
struct LossValues {
    ir::ValueId total = ir::kNoValue;
    std::vector<ir::ValueId> perOutput;
};
LossValues appendLosses(ir::Graph& g, const TracedModel& traced, const TrainOptions& options);

// The graph one training step of fit() runs for batch input `xBatch`: the training trace, the
// loss of options.loss on the first output, the gradients of every trainable variable and the
// updates of options.optimizer (`graph` is that update graph; `loss` its loss value). For the
// inspector: the same construction as fit's, so it shows what the engine runs.
struct TracedStep {
    TracedModel trace; // trace.graph: the whole step
    ir::ValueId loss = ir::kNoValue;
    std::size_t forwardNodes = 0, backwardNodes = 0; // nodes of the trace+loss, and of trace+loss+gradients
};
TracedStep traceTrainingStep(const Model& model, const Shape& xBatch, const TrainOptions& options, uint64_t seed);
TracedStep traceTrainingStep(const Model& model, const std::vector<Shape>& batchShapes, const TrainOptions& options,
                             uint64_t seed);
// The loss fit() would be asked for by someone who did not choose: sparse categorical
// cross-entropy for a softmax output, binary cross-entropy for a sigmoid one, else mean squared error.
std::string defaultLossFor(const TracedModel& traced, std::size_t output = 0);

} // namespace strata::train
