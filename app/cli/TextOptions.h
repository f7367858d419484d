// The text and sequence options of `strata-cli train --data FILE.csv`: --text COLUMN (the column
// of text that is the one feature), --split word|character, --max-tokens N, --sequence-length L,
// --standardize MODE, and --timesteps T for numeric rows read as (T, F) sequences.
#pragma once

#include "app/cli/Cli.h"
#include "engine/data/DatasetSource.h"

#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

namespace strata::cli {

extern const std::vector<std::string> kTextOptions;
extern const char* const kTextUsage;

// Sets source.textColumn, source.text and source.timesteps. Returns false after printing
// "strata-cli COMMAND: ..." naming a bad value, or an option given without what it needs.
bool parseTextOptions(const Args& a, data::DataSource& source, const std::string& command, std::ostream& err);

// `strata-cli predict` on a model trained on text: the texts of `file` as token ids (float32 (N,
// sample); int32 for an int32 `dtype`), by the vectorizer in `training` (the run's hyper-parameters, or a saved model's
// text_vectorization.json). The column is `column`, or else the run's text column when the first
// row names it, or else the only column of a file without a header. nullopt when `column` is empty
// and the model has no vectorizer. Throws StrataError naming the file, line or column at fault.
std::optional<Tensor> readTextInput(const std::string& file, const std::string& column, const nlohmann::json& training,
                                    const Shape& sample, DType dtype = DType::F32);

} // namespace strata::cli
