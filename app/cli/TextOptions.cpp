#include "app/cli/TextOptions.h"

#include "app/cli/CommandErrors.h"
#include "engine/Error.h"

#include <algorithm>
#include <filesystem>

#include <nlohmann/json.hpp>

namespace strata::cli {

const std::vector<std::string> kTextOptions = {"--text", "--split", "--max-tokens", "--sequence-length", "--standardize", "--timesteps"};
const char* const kTextUsage =
    "  --text COLUMN       CSV: the column of text (a header name or a 0-based index) that is the one\n"
    "                      feature, as token ids (Keras' TextVectorization): the vocabulary is adapted\n"
    "                      on the training split (id 0 padding, 1 [UNK], then by frequency) and stored\n"
    "                      with the run; the model's Input is [L] (an Embedding casts the ids).\n"
    "                      Other columns but the target are not used\n"
    "  --split S           text: word (default) | character (UTF-8 code points)\n"
    "  --max-tokens N      text: the vocabulary size with padding and [UNK] (default 0: unlimited)\n"
    "  --sequence-length L text: ids per text, padded with 0 or cut at the end (default 0: the\n"
    "                      longest training text)\n"
    "  --standardize M     text: lower_and_strip_punctuation (default) | lower | none\n"
    "  --timesteps T       CSV of numbers: each row's F*T features are T steps of F features, a\n"
    "                      (T, F) sample for a recurrent or Conv1D model\n";

namespace {
bool parseInteger(const std::string& text, int64_t min, int64_t& out) {
    try {
        std::size_t used = 0;
        const long long v = std::stoll(text, &used);
        if (used != text.size() || v < min) return false;
        out = v;
        return true;
    } catch (const std::exception&) {
        return false;
    }
}
} // namespace

bool parseTextOptions(const Args& a, data::DataSource& source, const std::string& command, std::ostream& err) {
    const std::string who = "strata-cli " + command + ": ";
    const bool csv = data::isCsvSource(source.name);
    for (const std::string& o : kTextOptions)
        if (a.hasValue(o) && !csv) {
            err << who << o << " applies to CSV tables (--data FILE.csv), not to '" << source.name << "'\n";
            return false;
        }
    if (a.hasValue("--timesteps")) {
        if (!parseInteger(a.value("--timesteps"), 1, source.timesteps)) {
            err << who << "--timesteps must be an integer >= 1, got '" << a.value("--timesteps") << "'\n";
            return false;
        }
        if (a.hasValue("--text")) {
            err << who << "--timesteps reads rows of numbers as sequences; --text makes a text column the sequence\n";
            return false;
        }
    }
    if (!a.hasValue("--text")) {
        for (const char* o : {"--split", "--max-tokens", "--sequence-length", "--standardize"})
            if (a.hasValue(o)) {
                err << who << o << " needs --text COLUMN\n";
                return false;
            }
        return true;
    }
    if (!source.columns.empty() || source.reconstruct) {
        err << who << "--text makes one column of text the input; it excludes --input/--output and --reconstruct\n";
        return false;
    }
    source.textColumn = a.value("--text");
    data::TextVectorizationOptions& o = source.text;
    o.split = a.value("--split", o.split);
    o.standardize = a.value("--standardize", o.standardize);
    if (a.hasValue("--max-tokens") && !parseInteger(a.value("--max-tokens"), 0, o.maxTokens)) {
        err << who << "--max-tokens must be an integer >= 0, got '" << a.value("--max-tokens") << "'\n";
        return false;
    }
    if (a.hasValue("--sequence-length") && !parseInteger(a.value("--sequence-length"), 0, o.sequenceLength)) {
        err << who << "--sequence-length must be an integer >= 0, got '" << a.value("--sequence-length") << "'\n";
        return false;
    }
    try {
        o.validate();
    } catch (const StrataError& e) {
        std::string why = e.what(); // "text vectorization: split must be ..." -> "--split must be ..."
        for (const auto& [key, flag] : {std::pair<const char*, const char*>{"split", "--split"}, {"standardize", "--standardize"},
                                        {"max_tokens", "--max-tokens"}, {"sequence_length", "--sequence-length"}})
            if (why.find(std::string(": ") + key + " ") != std::string::npos) why = flag + why.substr(why.find(key) + std::string(key).size());
        err << who << why << "\n";
        return false;
    }
    return true;
}

std::optional<Tensor> readTextInput(const std::string& file, const std::string& column, const nlohmann::json& training,
                                    const Shape& sample, DType dtype) {
    const bool known = training.is_object() && training.contains("text_vectorization");
    if (!known && column.empty()) return std::nullopt;
    if (!known) throw UsageError("--text " + column + ": the model was not trained on text (it has no text vectorization)");
    const data::TextVectorization tv = data::TextVectorization::fromJson(training["text_vectorization"]);
    if (!tv.adapted()) throw StrataError("the model's text vectorization has no vocabulary");
    if (sample.numElements() != tv.options().sequenceLength)
        throw StrataError("the model's input " + sample.toString() + " does not take the " + std::to_string(tv.options().sequenceLength) +
                          " ids per text of its text vectorization");
    if (!std::filesystem::exists(file)) throw UsageError(file + ": cannot be read");
    data::CsvOptions o;
    o.header = data::CsvHeader::Present; // the first row's cells as they are
    const data::CsvLayout first = data::csvLayout(file, o);
    std::string use = column.empty() ? training.value("text_column", std::string()) : column;
    const bool named = std::find(first.columns.begin(), first.columns.end(), use) != first.columns.end();
    const bool index = !use.empty() && use.find_first_not_of("-0123456789") == std::string::npos;
    o.header = named || (!index && !column.empty()) ? data::CsvHeader::Present : data::CsvHeader::Absent; // a missing name: listed
    if (!named && column.empty()) {
        if (first.columns.size() != 1)
            throw UsageError(file + ": the first row does not name the text column '" + use +
                             "' and the file has several columns; give --text COLUMN");
        use = "0";
    }
    const std::vector<std::string> texts = data::loadCsvTextColumn(file, use, o);
    Tensor ids = tv.vectorizeAll(texts).reshaped(sample.prepended(int64_t(texts.size())));
    if (dtype != DType::I32) return ids;
    Tensor asInt(ids.shape(), DType::I32); // an Input declared int32 (e.g. a model imported from torch)
    for (int64_t i = 0; i < ids.shape().numElements(); ++i) asInt.i32()[i] = int32_t(ids.f32()[i]);
    return asInt;
}

} // namespace strata::cli
