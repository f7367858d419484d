// A dataset: features x (first dimension = samples) and targets y, either integer class labels of
// shape (N,) or float regression targets of shape (N, k). The features are held in memory (x), or
// streamed: read sample by sample from a SampleSource (an image folder decoded from disk) while x
// stays empty; the targets are always in memory.
//
// A model with several inputs or outputs reads x and y for its first Input and output, and
// moreX / moreY for the others, in the model's input and output order (Model::inputIndices,
// outputIndices). Those parts are in memory and have the same sample count.
#pragma once

#include "engine/Shape.h"
#include "engine/Tensor.h"
#include "engine/data/SampleSource.h"

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace strata::data {

// The targets of one output beyond the first: as Dataset::y and numClasses.
struct Targets {
    Tensor y;
    int numClasses = 0;
    std::vector<std::string> classNames;
};

struct Dataset {
    std::string name;
    Tensor x;                            // F32, (N, feature dims...)
    Tensor y;                            // I32 (N,) when numClasses > 0, else F32 (N, k)
    int numClasses = 0;                  // 0 for regression
    std::vector<std::string> classNames; // optional, numClasses entries when known
    SampleSourcePtr streamed;            // set: the features come from here, x is empty
    std::vector<Tensor> moreX;           // F32 (N, ...): the features of inputs 2, 3, ...
    std::vector<Targets> moreY;          // the targets of outputs 2, 3, ...
    // Where each input's features and each output's targets come from (e.g. "columns a, b"), one per
    // input / output when known: for messages and the Train panel.
    std::vector<std::string> inputSources, outputSources;

    bool isStreamed() const { return streamed != nullptr; }
    int64_t size() const { return streamed ? streamed->count() : x.shape().rank() ? x.shape()[0] : 0; }
    bool isClassification() const { return numClasses > 0; }
    int64_t inputCount() const { return 1 + int64_t(moreX.size()); }
    int64_t outputCount() const { return 1 + int64_t(moreY.size()); }
    // Output k's targets and class count (k = 0: y and numClasses).
    const Tensor& targets(int64_t k) const { return k == 0 ? y : moreY.at(std::size_t(k - 1)).y; }
    int classesOf(int64_t k) const { return k == 0 ? numClasses : moreY.at(std::size_t(k - 1)).numClasses; }
    // One sample's shape, e.g. (64,) or (28, 28, 1).
    Shape featureShape() const { return streamed ? streamed->sampleShape() : x.shape().withoutFirst(); }
    // One sample's target shape: () for labels, (k,) for regression.
    Shape targetShape() const { return y.shape().withoutFirst(); }

    // The samples at indices, in that order (an index may repeat). Throws on an index out of range.
    Dataset subset(std::span<const int64_t> indices) const;
    // The first min(n, size()) samples.
    Dataset take(int64_t n) const;
    // Throws StrataError when x and y disagree on the sample count, have the wrong dtypes, or a
    // label lies outside [0, numClasses).
    void validate() const;
};

// The class count of integer labels (N,): the largest label + 1. Throws StrataError naming
// `source` and the sample when a label is negative or INT32_MAX (its count would not fit an int).
// The one place that turns labels into a class count (IDX, NPY, CSV).
int classCountOf(const Tensor& labels, const std::string& source);

// A dataset from arrays as loaded (e.g. from .npy files): x is converted to F32; an I32 y of
// shape (N,) becomes class labels (numClasses = largest + 1; a negative label is an error), an
// F32 y becomes regression targets, (N,) reshaped to (N, 1).
Dataset datasetFromArrays(std::string name, Tensor x, Tensor y);

// Reshapes every sample of x to the model's input shape (batch dimension excluded) when the
// element counts agree. Dimensions of the model shape may be unknown: they must then match the
// dataset's shape as it is. Throws StrataError naming both shapes otherwise.
void reshapeFeatures(Dataset& data, const Shape& modelInputShape, const std::string& inputName);
// The same for one tensor of samples (a further input's, Dataset::moreX).
void reshapeTensor(Tensor& samples, const Shape& modelInputShape, const std::string& datasetName, const std::string& inputName);

// An autoencoder's data: every sample is its own target (y = x as real values; the class labels
// are dropped).
void useInputsAsTargets(Dataset& data);

// Reshapes every real-valued target to the model output's shape (batch dimension excluded) when
// the element counts agree, as reshapeFeatures does for inputs (an autoencoder reading flat
// pixels that outputs an image). Leaves class labels and targets of another size alone: the
// trainer then names the mismatch.
void reshapeTargets(Dataset& data, const Shape& modelOutputShape);

// Checks that every label of output `output` lies in [0, modelClasses); throws StrataError naming
// the first offending label value and its sample index. Does nothing for regression targets.
void checkLabelRange(const Dataset& data, int64_t modelClasses, int64_t output = 0);

} // namespace strata::data
