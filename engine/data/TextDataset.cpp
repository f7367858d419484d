#include "engine/data/TextDataset.h"

#include "engine/Error.h"
#include "engine/data/BuiltinDatasets.h"

namespace strata::data {

namespace {
// The texts of the rows a split holds (x: the rows' indices).
std::vector<std::string> textsOf(const Dataset& split, const std::vector<std::string>& texts) {
    std::vector<std::string> out;
    out.reserve(std::size_t(split.size()));
    const float* rows = split.x.f32();
    for (int64_t i = 0; i < split.size(); ++i) out.push_back(texts.at(std::size_t(rows[i])));
    return out;
}
} // namespace

void vectorizeSplits(DatasetSplits& splits, const std::vector<std::string>& texts, TextVectorization vectorizer) {
    if (!vectorizer.adapted()) vectorizer.adapt(textsOf(splits.train, texts)); // the training split only: nothing leaks
    for (Dataset* d : {&splits.train, &splits.validation, &splits.test}) {
        const std::vector<std::string> mine = d->size() ? textsOf(*d, texts) : std::vector<std::string>{};
        d->x = vectorizer.vectorizeAll(mine);
    }
    splits.text = std::make_shared<const TextVectorization>(std::move(vectorizer));
}

DatasetSplits loadTextCsvSplits(const std::filesystem::path& file, const CsvOptions& options, const std::string& textColumn,
                                const TextVectorization& vectorizer, uint64_t seed,
                                const std::function<void(const std::string&)>& note) {
    const bool adapted = vectorizer.adapted();
    CsvText table = loadCsvText(file, textColumn, options);
    if (note && !table.ignoredColumns.empty()) {
        std::string names;
        for (const std::string& n : table.ignoredColumns) names += (names.empty() ? "" : ", ") + n;
        note(file.filename().string() + ": the text column '" + textColumn + "' is the only feature; not used: " + names);
    }
    TwoWaySplit test = stratifiedHoldOut(table.rows, kBuiltinTestFraction, kTestSplitSeed);
    DatasetSplits splits;
    splits.train = std::move(test.kept);
    splits.test = std::move(test.heldOut);
    validationFromTrain(splits, kBuiltinValidationFraction, seed);
    try {
        vectorizeSplits(splits, table.texts, vectorizer);
    } catch (const StrataError& e) {
        throw StrataError(file.string() + ": column '" + textColumn + "': " + e.what());
    }
    if (note) note("text column '" + textColumn + "': " + splits.text->describe() +
                      (adapted ? ", the model's own vocabulary" : ", adapted on the training split"));
    return splits;
}

void toTimesteps(Dataset& data, int64_t timesteps, const std::string& source) {
    if (timesteps < 1) throw StrataError(source + ": --timesteps must be at least 1, got " + std::to_string(timesteps));
    if (data.size() == 0) return;
    const int64_t per = data.x.shape().numElementsFrom(1);
    if (per % timesteps != 0)
        throw StrataError(source + ": " + std::to_string(per) + " features per row do not divide into " + std::to_string(timesteps) +
                          " timesteps (the row must hold T steps of F features, F*T values)");
    data.x = data.x.reshaped(Shape{data.size(), timesteps, per / timesteps});
}

} // namespace strata::data
