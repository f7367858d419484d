#include "engine/data/DatasetSource.h"

#include "engine/Error.h"
#include "engine/data/DatasetSplits.h"
#include "engine/data/Normalization.h"

#include <charconv>

namespace strata::data {

namespace {
bool endsWith(const std::string& s, const std::string& suffix) {
    return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}
} // namespace

bool isCsvSource(const std::string& name) {
    return name.rfind("csv:", 0) == 0 || endsWith(name, ".csv") || endsWith(name, ".csv.gz") || endsWith(name, ".txt");
}

std::filesystem::path csvPathOf(const std::string& name) { return name.rfind("csv:", 0) == 0 ? name.substr(4) : name; }

CsvOptions csvOptionsFor(const std::string& label, bool regression) {
    CsvOptions o;
    o.target = regression ? CsvTarget::Regression : CsvTarget::ClassLabel;
    if (label.empty()) return o;
    int index = 0;
    const auto [end, ec] = std::from_chars(label.data(), label.data() + label.size(), index);
    if (ec == std::errc() && end == label.data() + label.size()) o.targetColumn = index;
    else o.targetName = label;
    return o;
}

DatasetSplits loadCsvSplits(const std::filesystem::path& file, const CsvOptions& options, uint64_t seed) {
    Dataset all = loadCsv(file, options);
    TwoWaySplit test = stratifiedHoldOut(all, kBuiltinTestFraction, kTestSplitSeed);
    DatasetSplits splits;
    splits.train = std::move(test.kept);
    splits.test = std::move(test.heldOut);
    validationFromTrain(splits, kBuiltinValidationFraction, seed);
    standardize(splits);
    return splits;
}

DatasetSplits loadDataSource(const DataSource& source, uint64_t seed) {
    if (source.reconstruct && source.regression)
        throw StrataError("dataset '" + source.name + "': reconstructing the input and a regression target exclude each other");
    DatasetSplits splits;
    if (isCsvSource(source.name)) {
        splits = loadCsvSplits(csvPathOf(source.name), csvOptionsFor(source.label, source.regression), seed);
    } else {
        if (!source.label.empty() || source.regression)
            throw StrataError("dataset '" + source.name + "' is built in: a label column or a regression target applies to CSV tables only");
        splits = loadBuiltinDataset(source.name, seed);
    }
    if (source.reconstruct)
        for (Dataset* d : {&splits.train, &splits.validation, &splits.test}) useInputsAsTargets(*d);
    return splits;
}

} // namespace strata::data
