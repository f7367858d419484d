// Datasets known by name, ready to train on, each as train / validation / test splits.
//
//   digits         sklearn's 8x8 digits (1797 samples, 64 features in [0, 1], 10 classes)
//   iris           sklearn's iris (150 samples, 4 standardized features, 3 classes)
//   wine           sklearn's wine (178 samples, 13 standardized features, 3 classes)
//   fashion-mnist  Zalando's Fashion-MNIST from the Debian package dataset-fashion-mnist
//                  (x: (N, 28, 28, 1) in [0, 1], 10 classes)
//   mnist:DIR      MNIST-format IDX files in DIR (plain or .gz), same treatment
//
// How the splits are made (deterministic on every platform):
//   - the test split is fixed: for the CSV datasets a stratified 20% drawn with kTestSplitSeed;
//     for the IDX datasets the file's own test set (t10k-*);
//   - validation is a stratified 10% of what remains for training, drawn with `seed`;
//   - standardization (iris, wine) is fitted on the final training split only.
#pragma once

#include "engine/data/DatasetSplits.h"

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace strata::data {

inline constexpr uint64_t kTestSplitSeed = 20240611;
inline constexpr uint64_t kDefaultValidationSeed = 42;
inline constexpr double kBuiltinTestFraction = 0.2;
inline constexpr double kBuiltinValidationFraction = 0.1;
inline constexpr const char* kFashionMnistDir = "/usr/share/datasets/fashion-mnist";

struct BuiltinDatasetInfo {
    std::string name;        // what load takes, e.g. "digits" or "mnist:DIR"
    std::string description; // one line for help text
    Shape sample{};          // one sample's shape as loaded, e.g. (64,) or (28, 28, 1)
    int classes = 0;
};

std::vector<BuiltinDatasetInfo> listBuiltinDatasets();

// Loads a dataset by name; throws StrataError for an unknown name (listing the known ones) or
// a missing file (naming what to install or where it was looked for).
DatasetSplits loadBuiltinDataset(const std::string& name, uint64_t seed = kDefaultValidationSeed);

// MNIST-format IDX files (train-images-idx3-ubyte[.gz], train-labels-idx1-ubyte[.gz], t10k-...)
// in `folder`, with the dataset named `name`.
DatasetSplits loadIdxFolder(const std::filesystem::path& folder, const std::string& name,
                            uint64_t seed, std::vector<std::string> classNames = {});
// Fashion-MNIST from `folder` (the Debian package's by default), with the package hint on failure.
DatasetSplits loadFashionMnist(const std::filesystem::path& folder = kFashionMnistDir,
                               uint64_t seed = kDefaultValidationSeed);

} // namespace strata::data
