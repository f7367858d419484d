// Text and sequence tables for sequence models. A CSV table's text column becomes token ids: the
// table is split as every CSV table is (a fixed stratified 20% test split, 10% of the rest for
// validation), the vectorizer is adapted on the training split's texts only, and every split's x
// is its texts' ids, float32 (N, sequence_length), not standardized (an Embedding casts them). A
// numeric table read as sequences (--timesteps T) has each row's F*T features as a (T, F) sample.
//
//   DatasetSplits s = loadTextCsvSplits("reviews.csv", csvOptionsFor("label", false), "text", {.split = "word"});
//   s.text->vocabulary(); s.train.x.shape(); // (N, L)
#pragma once

#include "engine/data/CsvLoader.h"
#include "engine/data/DatasetSplits.h"
#include "engine/data/TextVectorization.h"

#include <filesystem>
#include <functional>
#include <string>

namespace strata::data {

// `vectorizer` is adapted on the training split unless it is adapted already (a trained model's,
// to evaluate on new data with its own vocabulary). `note` hears which columns were left out
// (neither text nor target) and what the vectorizer holds. Throws StrataError naming the file and
// line, or the option at fault.
DatasetSplits loadTextCsvSplits(const std::filesystem::path& file, const CsvOptions& options, const std::string& textColumn,
                                const TextVectorization& vectorizer, uint64_t seed,
                                const std::function<void(const std::string&)>& note = {});

// Splits already made from CsvText::rows (x: row indices): adapts `vectorizer` on the training
// rows' texts (unless adapted already) and replaces each split's x with its ids.
void vectorizeSplits(DatasetSplits& splits, const std::vector<std::string>& texts, TextVectorization vectorizer);

// Each sample's F*T values (in order: T steps of F features) as a (T, F) sample. Throws
// StrataError naming `source` when a sample's element count is not divisible by `timesteps`.
void toTimesteps(Dataset& data, int64_t timesteps, const std::string& source);

} // namespace strata::data
