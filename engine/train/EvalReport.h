// An evaluation report: a trained model run over one dataset split, batch by batch, with every
// sample's prediction and loss kept, and what a person reads from them:
//   - a classifier: the confusion matrix (counts, and normalised by the true class), per-class
//     precision, recall, F1 and support with macro and weighted averages and the accuracy, and the
//     misclassified samples worst first (highest loss) with their class probabilities;
//   - a regression: every (predicted, true) pair, the residuals and their histogram;
//   - an autoencoder (every sample its own target): each sample's reconstruction error, worst first.
// A report covers one output: evaluationReport() the model's first, evaluationReports() every
// output (in one pass over the data), each judged by its own targets (Dataset::targets(k)).
// predictSamples() runs chosen samples (one sample's prediction, an autoencoder's
// reconstructions) through the same path.
//
//   EvalReport r = evaluationReport(model, backend, testSplit, {.loss = "sparse_categorical_crossentropy"});
//   r.confusion[t][p];  r.samplesOf(t, p);  r.misclassified.front().loss;
//   for (const EvalReport& o : evaluationReports(model, backend, testSplit, options)) o.output; // "cls", "reg"
#pragma once

#include "engine/Model.h"
#include "engine/Tensor.h"
#include "engine/data/BatchIterator.h"
#include "engine/data/Dataset.h"
#include "engine/ir/Backend.h"

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace strata::train {

enum class ReportKind { Classification, Regression, Reconstruction };
const char* reportKindName(ReportKind k); // "classification", "regression", "reconstruction"

struct EvalReportOptions {
    std::string loss = "sparse_categorical_crossentropy"; // as trained; picks how per-sample losses are computed
    std::vector<std::string> outputLosses; // per output position where it differs (empty entry: loss)
    bool fromLogits = false;
    bool reconstruct = false;  // the targets are the inputs (an autoencoder's run)
    int64_t batchSize = 32;
    int64_t sampleIndex = 0;   // the sample whose whole prediction the report keeps (clamped to the split)
    int histogramBins = 30;    // regression: bins of the residual histogram
    int dataWorkers = 2;       // threads decoding a streamed dataset
    // Called after each batch with (samples done, samples in all); any thread the caller runs on.
    std::function<void(int64_t done, int64_t total)> progress;
    const std::atomic<bool>* cancel = nullptr; // set: stops between batches (throws ReportCancelled)
};

struct ReportCancelled : StrataError {
    ReportCancelled() : StrataError("the evaluation was cancelled") {}
};

struct ClassScores {
    double precision = 0, recall = 0, f1 = 0;
    int64_t support = 0; // samples whose true class this is
};

struct Misclassified {
    int64_t index = 0; // into the split
    int trueLabel = 0, predicted = 0;
    double loss = 0;
    std::vector<float> probabilities; // one per class
};

struct ReconstructionError {
    int64_t index = 0;
    double error = 0; // mean squared error over the sample's elements
};

struct Histogram {
    double low = 0, high = 0; // the range of the bins, equal width
    std::vector<int64_t> counts;
};

struct EvalReport {
    ReportKind kind = ReportKind::Classification;
    std::string dataset, output; // the dataset's name, the output layer
    int outputPosition = 0;      // which of the model's outputs (Model::outputIndices order)
    int64_t samples = 0;
    double meanLoss = 0; // mean of the per-sample losses
    std::vector<double> losses; // per sample, in split order

    // Classification.
    std::vector<std::string> classNames; // numClasses entries ("0", "1", ... when the dataset has none)
    std::vector<int32_t> trueLabels, predicted; // per sample
    std::vector<std::vector<int64_t>> confusion; // [true][predicted]
    std::vector<ClassScores> perClass;
    ClassScores macro, weighted; // support: all samples
    double accuracy = 0;
    std::vector<Misclassified> misclassified; // highest loss first

    // Regression (every target element is one pair: sample-major, target element minor).
    int64_t targetWidth = 0; // elements per sample's target
    std::vector<float> predictedValues, trueValues;
    double mae = 0, rmse = 0, r2 = 0;
    Histogram residuals; // predicted - true

    // Reconstruction.
    std::vector<ReconstructionError> reconstruction; // worst first

    // The chosen sample (options.sampleIndex): its model output and target, flattened.
    int64_t sampleIndex = 0;
    std::vector<float> sampleOutput, sampleTarget;

    int classCount() const { return int(classNames.size()); }
    // The confusion matrix row-normalised: each true class's row sums to 1 (0 for an empty row).
    std::vector<std::vector<double>> normalisedConfusion() const;
    // The split indices of the samples of true class t predicted as p, in split order.
    std::vector<int64_t> samplesOf(int t, int p) const;
    std::vector<double> residualValues() const; // predicted - true, per pair
};

// Runs the model (built, with its weights; they are copied to the backend) over `data` in batches
// of options.batchSize and builds the report of its first output. Throws StrataError when the data
// does not fit that output (shapes, label range), ReportCancelled when options.cancel is set.
EvalReport evaluationReport(const Model& model, ir::Backend& backend, const data::Dataset& data, const EvalReportOptions& options);

// The same for every output of the model, in its output order, from one pass over `data`. Throws
// StrataError naming the output when `data` has no targets for it or they do not fit it.
std::vector<EvalReport> evaluationReports(const Model& model, ir::Backend& backend, const data::Dataset& data,
                                          const EvalReportOptions& options);

// The features and targets of the samples at `indices` of `data`, in that order (a streamed
// dataset's decoded): thumbnails, feature rows, an autoencoder's originals.
data::Batch gatherSamples(const data::Dataset& data, const std::vector<int64_t>& indices);

// The model's output `output` (a position in Model::outputIndices, EvalReport::outputPosition) for
// the samples at `indices` of `data` (rows in that order). The model's variables must be on the
// backend (evaluationReport puts them there), unless pushWeights.
Tensor predictSamples(const Model& model, ir::Backend& backend, const data::Dataset& data, const std::vector<int64_t>& indices,
                      bool pushWeights = false, int output = 0);

} // namespace strata::train
