// What `--data` and the Train panel name: a built-in dataset ("digits", "mnist:DIR", see
// BuiltinDatasets.h) or a CSV table ("csv:PATH", or a PATH ending in .csv, .csv.gz or .txt), with
// the column that holds the target. A CSV table is split as the shipped tables are: a fixed
// stratified 20% test split, 10% of the rest for validation, features standardized on the
// training split. An image folder ("images:DIR", ImageFolder.h) is split the same way (the
// validation fraction is the source's) and streamed from disk as it trains.
//
//   DataSource src{"/data/penguins.csv", "species"};        // class names in column "species"
//   DatasetSplits s = loadDataSource(src);
//   DataSource reg{"csv:houses.csv", "-1", true};           // the last column, a real value
#pragma once

#include "engine/data/BuiltinDatasets.h"
#include "engine/data/ColumnMapping.h"
#include "engine/data/CsvLoader.h"
#include "engine/data/ImageFolder.h"
#include "engine/data/TextDataset.h"

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
    // Image folders only ("images:DIR"): the sample size (0: the model input's H and W), the color
    // ("rgb" or "grayscale"; empty: from the model input's channels), the validation fraction,
    // whether bad files are skipped, and the decoding threads (scan and training).
    int imageHeight = 0, imageWidth = 0;
    std::string color{};
    double validationSplit = kBuiltinValidationFraction;
    bool skipBadFiles = false;
    int dataThreads = 2;
    bool cacheImages = false; // keep decoded images in memory (uint8) after the first epoch
    // CSV only, for a model with several inputs or outputs (or to pick a single input's columns):
    // which columns feed which Input and which column is which output's target. Set, it replaces
    // label and regression.
    ColumnMapping columns{};
    // CSV only: the column of text that is the one feature (TextDataset.h), tokenized as `text`
    // says; empty: the numeric columns are the features.
    std::string textColumn{};
    TextVectorizationOptions text{};
    // Set: the text column is vectorized with this vocabulary (a trained model's) instead of one
    // adapted on the training split, and `text` is unused.
    std::shared_ptr<const TextVectorization> adaptedText{};
    // CSV only, numeric: each row's F*T features are a (T, F) sequence; 0: flat rows.
    int64_t timesteps = 0;
};

bool isCsvSource(const std::string& name);
bool isImageSource(const std::string& name);                 // "images:DIR"
std::filesystem::path imageFolderOf(const std::string& name); // "images:DIR" -> "DIR"
// Fills an image source's unset size and color from the model input's sample shape (H, W, C);
// throws StrataError saying what to give when the input is not an image (e.g. flat (784,)).
void settleImageShape(DataSource& source, const Shape& modelSample);
std::filesystem::path csvPathOf(const std::string& name); // "csv:a.csv" and "a.csv" -> "a.csv"
// CsvOptions for a label as DataSource takes it; throws StrataError for an empty name.
CsvOptions csvOptionsFor(const std::string& label, bool regression);
DatasetSplits loadCsvSplits(const std::filesystem::path& file, const CsvOptions& options,
                            uint64_t seed = kDefaultValidationSeed);
// A table as loadCsvSplits splits one: a stratified 20% test split (by the first output's classes),
// 10% of the rest for validation, every input's features standardized on the training split.
DatasetSplits splitTable(Dataset all, uint64_t seed = kDefaultValidationSeed);
// A text column's splits carry the vectorizer (DatasetSplits::text); `progress` hears which
// columns were left out and the vocabulary's size.
// Throws StrataError naming the dataset, file and line; a label or regression given for a
// built-in dataset is an error too, and so is reconstruct with regression.
// An image folder's scan reports to `report` (skipped files, the listing) and `progress`.
DatasetSplits loadDataSource(const DataSource& source, uint64_t seed = kDefaultValidationSeed,
                             ImageFolderReport* report = nullptr,
                             const std::function<void(const std::string&)>& progress = {});

} // namespace strata::data
