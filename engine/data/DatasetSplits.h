// Splitting a dataset into train, validation and test parts, randomly or stratified by class,
// with a seeded shuffle that reproduces bit for bit on every platform (see Rng.h).
#pragma once

#include "engine/data/Dataset.h"

#include <cstdint>
#include <memory>

namespace strata::data {

class TextVectorization;

struct DatasetSplits {
    Dataset train, validation, test;
    // Set when x holds a text column's token ids (TextDataset.h): the vectorizer adapted on train.
    std::shared_ptr<const TextVectorization> text{};
};

// A dataset cut in two: `heldOut` takes round(fraction * N) samples, `kept` the rest.
// Both keep the samples in their original relative order.
struct TwoWaySplit {
    Dataset kept, heldOut;
};

// Uniformly random hold-out of a fraction in [0, 1).
TwoWaySplit randomHoldOut(const Dataset& data, double fraction, uint64_t seed);
// Per-class proportional hold-out (largest-remainder rounding so the total is round(fraction * N));
// falls back to randomHoldOut for regression datasets.
TwoWaySplit stratifiedHoldOut(const Dataset& data, double fraction, uint64_t seed);

// Three-way splits: test first, then validation from what is left; fractions are of the whole
// dataset and must sum to less than 1.
DatasetSplits randomSplit(const Dataset& data, double validationFraction, double testFraction,
                          uint64_t seed);
DatasetSplits stratifiedSplit(const Dataset& data, double validationFraction, double testFraction,
                              uint64_t seed);

// Carves splits.validation out of splits.train (stratified for classification), replacing any
// validation set already there.
void validationFromTrain(DatasetSplits& splits, double fraction, uint64_t seed);

} // namespace strata::data
