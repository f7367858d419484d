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

bool isImageSource(const std::string& name) { return name.rfind("images:", 0) == 0; }

std::filesystem::path imageFolderOf(const std::string& name) { return isImageSource(name) ? name.substr(7) : name; }

void settleImageShape(DataSource& source, const Shape& sample) {
    if (!isImageSource(source.name)) return;
    const bool image = sample.rank() == 3 && sample.isFullyKnown() && (sample[2] == 1 || sample[2] == 3);
    if (!image && (source.imageHeight < 1 || source.color.empty()))
        throw StrataError("dataset '" + source.name + "': the model input " + sample.toString() +
                          " is not an image (height, width, 1 or 3 channels): give --image-size H W and --color rgb|grayscale");
    if (source.imageHeight < 1 || source.imageWidth < 1) {
        source.imageHeight = int(sample[0]);
        source.imageWidth = int(sample[1]);
    }
    if (source.color.empty()) source.color = sample[2] == 1 ? "grayscale" : "rgb";
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
    return splitTable(loadCsv(file, options), seed);
}

DatasetSplits splitTable(Dataset all, uint64_t seed) {
    TwoWaySplit test = stratifiedHoldOut(all, kBuiltinTestFraction, kTestSplitSeed);
    DatasetSplits splits;
    splits.train = std::move(test.kept);
    splits.test = std::move(test.heldOut);
    validationFromTrain(splits, kBuiltinValidationFraction, seed);
    standardize(splits);
    return splits;
}

namespace {
DatasetSplits loadImageSource(const DataSource& source, uint64_t seed, ImageFolderReport* report,
                              const std::function<void(const std::string&)>& progress) {
    if (!source.label.empty() || source.regression || source.reconstruct)
        throw StrataError("dataset '" + source.name + "' is an image folder: its labels are its class folders or "
                          "labels.csv (no label column, regression target or reconstruction)");
    ImageFolderOptions o;
    o.height = source.imageHeight;
    o.width = source.imageWidth;
    o.color = imageColorFromName(source.color.empty() ? "rgb" : source.color);
    o.validationSplit = source.validationSplit;
    o.seed = seed;
    o.skipBadFiles = source.skipBadFiles;
    o.threads = source.dataThreads;
    o.cacheDecoded = source.cacheImages;
    o.progress = progress;
    return loadImageFolder(imageFolderOf(source.name), o, report);
}
} // namespace

DatasetSplits loadDataSource(const DataSource& source, uint64_t seed, ImageFolderReport* report,
                             const std::function<void(const std::string&)>& progress) {
    if (isImageSource(source.name)) return loadImageSource(source, seed, report, progress);
    if (source.reconstruct && source.regression)
        throw StrataError("dataset '" + source.name + "': reconstructing the input and a regression target exclude each other");
    DatasetSplits splits;
    if ((!source.textColumn.empty() || source.timesteps > 0) && !isCsvSource(source.name))
        throw StrataError("dataset '" + source.name + "': a text column and timesteps apply to CSV tables only");
    if (!source.textColumn.empty()) {
        if (!source.columns.empty() || source.reconstruct || source.timesteps > 0)
            throw StrataError("dataset '" + source.name + "': a text column is the one input; it excludes a column mapping, "
                              "reconstructing the input and timesteps");
        return loadTextCsvSplits(csvPathOf(source.name), csvOptionsFor(source.label, source.regression), source.textColumn,
                                 source.adaptedText ? *source.adaptedText : TextVectorization(source.text), seed, progress);
    }
    if (source.timesteps > 0 && (!source.columns.empty() || source.reconstruct))
        throw StrataError("dataset '" + source.name + "': timesteps read every row as one sequence; they exclude a column mapping "
                          "and reconstructing the input");
    if (!source.columns.empty()) {
        if (!isCsvSource(source.name))
            throw StrataError("dataset '" + source.name + "': columns are mapped to inputs and outputs in CSV tables only");
        if (source.reconstruct)
            throw StrataError("dataset '" + source.name + "': a column mapping gives the targets; it excludes reconstructing the input");
        return splitTable(loadMappedCsv(csvPathOf(source.name), source.columns), seed);
    }
    if (isCsvSource(source.name)) {
        splits = loadCsvSplits(csvPathOf(source.name), csvOptionsFor(source.label, source.regression), seed);
        if (source.timesteps > 0)
            for (Dataset* d : {&splits.train, &splits.validation, &splits.test})
                toTimesteps(*d, source.timesteps, csvPathOf(source.name).string());
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
