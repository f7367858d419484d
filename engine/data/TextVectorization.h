// Keras' TextVectorization for Strata: text to int32 token ids for an Embedding. adapt() builds
// the vocabulary from the training texts (id 0: padding "", id 1: out-of-vocabulary "[UNK]", then
// the tokens by descending count, ties by the token's text); vectorize() standardizes, splits and
// looks each token up, padding with 0 or truncating at the end to sequence_length ids.
//
//   TextVectorization tv({.split = "character", .sequenceLength = 16});
//   tv.adapt(trainTexts);                     // on the training split only
//   std::vector<int32_t> ids = tv.vectorize("Grüße");
//   nlohmann::json j = tv.toJson();           // options and vocabulary, stored with the run
#pragma once

#include "engine/Tensor.h"

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace strata::data {

inline constexpr const char* kTextVectorizationFormat = "strata.text_vectorization/1";
inline constexpr const char* kTextVectorizationFile = "text_vectorization.json"; // in a saved-model folder
inline constexpr const char* kOovToken = "[UNK]";

struct TextVectorizationOptions {
    // "word": runs of whitespace separate tokens; "character": every UTF-8 code point is a token
    // (spaces included, as Keras' split="character").
    std::string split = "word";
    int64_t maxTokens = 0;      // vocabulary size with "" and "[UNK]"; 0: unlimited, else >= 3
    int64_t sequenceLength = 0; // ids per text; 0: adapt() takes the longest training text's
    // "lower_and_strip_punctuation" (lower case, ASCII punctuation removed), "lower" or "none".
    std::string standardize = "lower_and_strip_punctuation";

    // Throws StrataError naming the option and its allowed values.
    void validate() const;
};

class TextVectorization {
public:
    explicit TextVectorization(TextVectorizationOptions options = {}); // validates
    const TextVectorizationOptions& options() const { return options_; }

    // Builds the vocabulary from `texts`; resolves sequenceLength 0 to the most tokens of any text.
    // Throws StrataError when no text has a token (the vocabulary would be empty).
    void adapt(const std::vector<std::string>& texts);
    bool adapted() const { return vocabulary_.size() > 2; }

    // The text as adapt() and vectorize() see it, and its tokens.
    std::string standardized(std::string_view text) const;
    std::vector<std::string> tokens(std::string_view text) const;
    // sequenceLength ids: known tokens' ids, 1 for others, 0 after the last token. Throws
    // StrataError before adapt().
    std::vector<int32_t> vectorize(std::string_view text) const;
    // Texts as a float32 (N, sequenceLength) tensor of ids, as the dataset's x (Embedding casts).
    Tensor vectorizeAll(const std::vector<std::string>& texts) const;

    // "", "[UNK]", then the adapted tokens in id order.
    const std::vector<std::string>& vocabulary() const { return vocabulary_; }
    int32_t idOf(const std::string& token) const; // 1 when unknown

    nlohmann::json toJson() const;
    // Throws StrataError naming the key or option at fault.
    static TextVectorization fromJson(const nlohmann::json& j);

    // A short description for a person: "character tokens, 40 in the vocabulary, 16 ids per text".
    std::string describe() const;

private:
    TextVectorizationOptions options_;
    std::vector<std::string> vocabulary_;
    std::unordered_map<std::string, int32_t> ids_;
};

namespace text {
// UTF-8 code points of `s` as strings; a byte that does not start a valid sequence stands alone.
std::vector<std::string_view> codePoints(std::string_view s);
// Lower case: ASCII, Latin-1, Latin Extended-A, Greek and Cyrillic capitals; other text unchanged.
std::string toLower(std::string_view s);
// Removes ASCII punctuation (Keras' [!"#$%&()*+,-./:;<=>?@[\]^_`{|}~']); keeps other bytes.
std::string stripPunctuation(std::string_view s);
} // namespace text

} // namespace strata::data
