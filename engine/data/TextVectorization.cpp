#include "engine/data/TextVectorization.h"

#include "engine/Error.h"

#include <algorithm>
#include <map>

#include <nlohmann/json.hpp>

namespace strata::data {

namespace text {

namespace {

// The length of the valid UTF-8 sequence at s[i], or 0.
std::size_t sequenceLength(std::string_view s, std::size_t i) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    const std::size_t n = c < 0x80 ? 1 : (c >> 5) == 0x6 && c >= 0xC2 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E && c <= 0xF4 ? 4 : 0;
    if (n == 0 || i + n > s.size()) return 0;
    for (std::size_t k = 1; k < n; ++k)
        if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return 0;
    return n;
}

uint32_t decode(std::string_view cp) {
    const auto b = [&](std::size_t k) { return uint32_t(static_cast<unsigned char>(cp[k])); };
    switch (cp.size()) {
    case 1: return b(0);
    case 2: return (b(0) & 0x1F) << 6 | (b(1) & 0x3F);
    case 3: return (b(0) & 0x0F) << 12 | (b(1) & 0x3F) << 6 | (b(2) & 0x3F);
    default: return (b(0) & 0x07) << 18 | (b(1) & 0x3F) << 12 | (b(2) & 0x3F) << 6 | (b(3) & 0x3F);
    }
}

void encode(uint32_t c, std::string& out) {
    if (c < 0x80) {
        out += char(c);
    } else if (c < 0x800) {
        out += char(0xC0 | (c >> 6));
        out += char(0x80 | (c & 0x3F));
    } else if (c < 0x10000) {
        out += char(0xE0 | (c >> 12));
        out += char(0x80 | ((c >> 6) & 0x3F));
        out += char(0x80 | (c & 0x3F));
    } else {
        out += char(0xF0 | (c >> 18));
        out += char(0x80 | ((c >> 12) & 0x3F));
        out += char(0x80 | ((c >> 6) & 0x3F));
        out += char(0x80 | (c & 0x3F));
    }
}

uint32_t lowerOf(uint32_t c) {
    if (c >= 'A' && c <= 'Z') return c + 32;
    if (c < 0xC0) return c;
    if (c <= 0xDE && c != 0xD7) return c + 32;                             // À..Þ but ×
    if ((c >= 0x100 && c <= 0x137) || (c >= 0x14A && c <= 0x177)) return c | 1; // Ā ā, ..., Ŋ ŋ, ...
    if ((c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17E)) return c % 2 ? c + 1 : c; // Ĺ ĺ, Ź ź
    if (c == 0x178) return 0xFF;                                           // Ÿ
    if ((c >= 0x391 && c <= 0x3A9 && c != 0x3A2)) return c + 32;            // Greek
    if (c >= 0x410 && c <= 0x42F) return c + 32;                           // Cyrillic А..Я
    if (c >= 0x400 && c <= 0x40F) return c + 80;                           // Ѐ..Џ
    return c;
}

} // namespace

std::vector<std::string_view> codePoints(std::string_view s) {
    std::vector<std::string_view> out;
    for (std::size_t i = 0; i < s.size();) {
        const std::size_t n = std::max<std::size_t>(sequenceLength(s, i), 1);
        out.push_back(s.substr(i, n));
        i += n;
    }
    return out;
}

std::string toLower(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (std::string_view cp : codePoints(s)) {
        if (cp.size() == 1 || sequenceLength(cp, 0) != cp.size()) { // ASCII, or a stray byte kept as it is
            out += cp.size() == 1 && cp[0] >= 'A' && cp[0] <= 'Z' ? char(cp[0] + 32) : cp[0];
            continue;
        }
        encode(lowerOf(decode(cp)), out);
    }
    return out;
}

std::string stripPunctuation(std::string_view s) {
    static constexpr std::string_view kPunctuation = "!\"#$%&()*+,-./:;<=>?@[\\]^_`{|}~'";
    std::string out;
    out.reserve(s.size());
    for (char c : s)
        if (kPunctuation.find(c) == std::string_view::npos) out += c;
    return out;
}

} // namespace text

void TextVectorizationOptions::validate() const {
    if (split != "word" && split != "character")
        throw StrataError("text vectorization: split must be 'word' or 'character', got '" + split + "'");
    if (standardize != "lower_and_strip_punctuation" && standardize != "lower" && standardize != "none")
        throw StrataError("text vectorization: standardize must be 'lower_and_strip_punctuation', 'lower' or 'none', got '" +
                          standardize + "'");
    if (maxTokens != 0 && maxTokens < 3)
        throw StrataError("text vectorization: max_tokens must be 0 (unlimited) or at least 3 (padding, [UNK] and one token), got " +
                          std::to_string(maxTokens));
    if (sequenceLength < 0 || sequenceLength > (int64_t(1) << 24))
        throw StrataError("text vectorization: sequence_length must be from 0 (the longest text) to 16777216, got " +
                          std::to_string(sequenceLength));
}

TextVectorization::TextVectorization(TextVectorizationOptions options) : options_(std::move(options)) {
    options_.validate();
    vocabulary_ = {"", kOovToken};
}

std::string TextVectorization::standardized(std::string_view text) const {
    if (options_.standardize == "none") return std::string(text);
    std::string lower = text::toLower(text);
    return options_.standardize == "lower" ? lower : text::stripPunctuation(lower);
}

std::vector<std::string> TextVectorization::tokens(std::string_view text) const {
    const std::string s = standardized(text);
    std::vector<std::string> out;
    if (options_.split == "character") {
        for (std::string_view cp : text::codePoints(s)) out.emplace_back(cp);
        return out;
    }
    auto space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; };
    for (std::size_t i = 0; i < s.size();) {
        while (i < s.size() && space(s[i])) ++i;
        std::size_t end = i;
        while (end < s.size() && !space(s[end])) ++end;
        if (end > i) out.push_back(s.substr(i, end - i));
        i = end;
    }
    return out;
}

void TextVectorization::adapt(const std::vector<std::string>& texts) {
    std::map<std::string, int64_t> counts;
    int64_t longest = 0;
    std::vector<std::string> toks;
    for (const std::string& t : texts) {
        toks = tokens(t);
        int64_t n = 0;
        for (const std::string& tok : toks) {
            ++counts[tok];
            ++n;
        }
        longest = std::max(longest, n);
    }
    counts.erase(""); // the padding token and the OOV token keep their ids
    counts.erase(kOovToken);
    if (counts.empty())
        throw StrataError("text vectorization: adapt found no tokens in " + std::to_string(texts.size()) +
                          " texts (standardize '" + options_.standardize + "', split '" + options_.split + "'): the vocabulary would be empty");
    std::vector<std::pair<std::string, int64_t>> sorted(counts.begin(), counts.end()); // by text
    std::stable_sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
    if (options_.maxTokens > 0 && int64_t(sorted.size()) > options_.maxTokens - 2) sorted.resize(std::size_t(options_.maxTokens - 2));
    vocabulary_.assign(1, std::string());
    vocabulary_.emplace_back(kOovToken);
    vocabulary_.reserve(sorted.size() + 2);
    ids_.clear();
    for (auto& [tok, count] : sorted) {
        ids_.emplace(tok, int32_t(vocabulary_.size()));
        vocabulary_.push_back(tok);
    }
    if (options_.sequenceLength == 0) options_.sequenceLength = std::max<int64_t>(longest, 1);
}

int32_t TextVectorization::idOf(const std::string& token) const {
    const auto it = ids_.find(token);
    return it == ids_.end() ? 1 : it->second;
}

std::vector<int32_t> TextVectorization::vectorize(std::string_view text) const {
    if (!adapted()) throw StrataError("text vectorization: vectorize() before adapt(): there is no vocabulary");
    std::vector<int32_t> ids(std::size_t(options_.sequenceLength), 0);
    const std::vector<std::string> toks = tokens(text);
    for (std::size_t i = 0; i < toks.size() && i < ids.size(); ++i) ids[i] = idOf(toks[i]);
    return ids;
}

Tensor TextVectorization::vectorizeAll(const std::vector<std::string>& texts) const {
    if (!adapted()) throw StrataError("text vectorization: vectorize() before adapt(): there is no vocabulary");
    const int64_t length = options_.sequenceLength;
    Tensor x(Shape{int64_t(texts.size()), length}, DType::F32);
    float* out = x.f32();
    for (const std::string& t : texts)
        for (int32_t id : vectorize(t)) *out++ = float(id);
    return x;
}

nlohmann::json TextVectorization::toJson() const {
    return {{"format", kTextVectorizationFormat},
            {"split", options_.split},
            {"max_tokens", options_.maxTokens},
            {"sequence_length", options_.sequenceLength},
            {"standardize", options_.standardize},
            {"vocabulary", vocabulary_}};
}

TextVectorization TextVectorization::fromJson(const nlohmann::json& j) {
    const std::string what = "text vectorization: ";
    if (!j.is_object() || j.value("format", std::string()) != kTextVectorizationFormat)
        throw StrataError(what + "not a '" + std::string(kTextVectorizationFormat) + "' document");
    TextVectorizationOptions o;
    auto field = [&](const char* key, auto& out) {
        if (!j.contains(key)) return;
        try {
            j.at(key).get_to(out);
        } catch (const nlohmann::json::exception&) {
            throw StrataError(what + "'" + key + "' has the wrong type (" + j.at(key).dump().substr(0, 40) + ")");
        }
    };
    field("split", o.split);
    field("max_tokens", o.maxTokens);
    field("sequence_length", o.sequenceLength);
    field("standardize", o.standardize);
    std::vector<std::string> vocabulary;
    field("vocabulary", vocabulary);
    TextVectorization tv(o);
    if (vocabulary.empty()) return tv; // not adapted yet
    if (vocabulary.size() < 3 || vocabulary[0] != "" || vocabulary[1] != kOovToken)
        throw StrataError(what + "'vocabulary' must start with \"\" and \"[UNK]\" and hold at least one token");
    if (o.maxTokens > 0 && int64_t(vocabulary.size()) > o.maxTokens)
        throw StrataError(what + "'vocabulary' holds " + std::to_string(vocabulary.size()) + " entries, more than max_tokens " +
                          std::to_string(o.maxTokens));
    if (o.sequenceLength < 1) throw StrataError(what + "'sequence_length' must be at least 1 in an adapted vectorizer");
    if (vocabulary.size() > std::size_t(INT32_MAX)) throw StrataError(what + "'vocabulary' is too large");
    for (std::size_t i = 2; i < vocabulary.size(); ++i)
        if (vocabulary[i].empty() || vocabulary[i] == kOovToken || !tv.ids_.emplace(vocabulary[i], int32_t(i)).second)
            throw StrataError(what + "'vocabulary' entry " + std::to_string(i) + " '" + vocabulary[i] +
                              "' is empty, reserved or a duplicate");
    tv.vocabulary_ = std::move(vocabulary);
    return tv;
}

std::string TextVectorization::describe() const {
    return (options_.split == "character" ? "character" : "word") + std::string(" tokens, standardize ") + options_.standardize +
           ", " + std::to_string(vocabulary_.size()) + " ids in the vocabulary (0 padding, 1 [UNK]), " +
           std::to_string(options_.sequenceLength) + " ids per text";
}

} // namespace strata::data
