// What `--data` and the Train panel name: a built-in dataset ("digits", "mnist:DIR", see
// BuiltinDatasets.h) or a CSV table ("csv:PATH", or a PATH ending in .csv, .csv.gz or .txt), with
// the column that holds the target. A CSV table is split as the shipped tables are: a fixed
// stratified 20% test split, 10% of the rest for validation, features standardized on the
// training split.
//
//   DataSource src{"/data/penguins.csv", "species"};        // class names in column "species"
//   DatasetSplits s = loadDataSource(src);
//   DataSource reg{"csv:houses.csv", "-1", true};           // the last column, a real value
#pragma once

#include "engine/data/BuiltinDatasets.h"
#include "engine/data/CsvLoader.h"

#include <filesystem>
#include <string>

namespace strata::data {

struct DataSource {
    std::string name;
    // CSV only: the target column, by header name or 0-based index (negative: from the end);
    // empty: the last column.
    std::string label;
    bool regression = false; // CSV only: the target is a real value (y of shape (N, 1))
    // Any dataset: every sample is its own target (an autoencoder); labels are dropped.
    bool reconstruct = false;
};

bool isCsvSource(const std::string& name);
std::filesystem::path csvPathOf(const std::string& name); // "csv:a.csv" and "a.csv" -> "a.csv"
// CsvOptions for a label as DataSource takes it; throws StrataError for an empty name.
CsvOptions csvOptionsFor(const std::string& label, bool regression);
DatasetSplits loadCsvSplits(const std::filesystem::path& file, const CsvOptions& options,
                            uint64_t seed = kDefaultValidationSeed);
// Throws StrataError naming the dataset, file and line; a label or regression given for a
// built-in dataset is an error too, and so is reconstruct with regression.
DatasetSplits loadDataSource(const DataSource& source, uint64_t seed = kDefaultValidationSeed);

} // namespace strata::data
