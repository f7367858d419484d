#include "engine/data/BuiltinDatasets.h"

#include "engine/Error.h"
#include "engine/data/CsvLoader.h"
#include "engine/data/DatasetPaths.h"
#include "engine/data/FileInput.h"
#include "engine/data/IdxLoader.h"
#include "engine/data/Normalization.h"

#include <system_error>

namespace strata::data {

namespace fs = std::filesystem;

namespace {

std::vector<std::string> digitNames() {
    std::vector<std::string> names;
    for (int d = 0; d < 10; ++d)
        names.push_back(std::to_string(d));
    return names;
}

DatasetSplits splitShipped(Dataset all, uint64_t seed) {
    TwoWaySplit cut = stratifiedHoldOut(all, kBuiltinTestFraction, kTestSplitSeed);
    DatasetSplits splits{std::move(cut.kept), Dataset{}, std::move(cut.heldOut)};
    validationFromTrain(splits, kBuiltinValidationFraction, seed);
    return splits;
}

// sklearn's CSV files start with a line "150,4,setosa,versicolor,virginica": sample count,
// feature count, then the class names; the label is the last column.
Dataset loadSklearnCsv(const std::string& fileName, const std::string& name) {
    const fs::path path = findDatasetFile(fileName);
    const std::string text = internal::readWholeFile(path);
    CsvOptions options;
    options.header = CsvHeader::Absent;
    options.skipLines = 1;
    options.datasetName = name;
    Dataset data = parseCsv(text, path.string(), options);

    const std::string_view first = std::string_view(text).substr(0, text.find('\n'));
    std::vector<std::string> cells;
    for (std::size_t pos = 0;;) {
        const std::size_t comma = first.find(',', pos);
        std::string cell(first.substr(pos, comma == std::string_view::npos ? std::string_view::npos
                                                                           : comma - pos));
        while (!cell.empty() && (cell.back() == '\r' || cell.back() == ' '))
            cell.pop_back();
        cells.push_back(std::move(cell));
        if (comma == std::string_view::npos) break;
        pos = comma + 1;
    }
    const std::string expected =
        std::to_string(data.size()) + "," + std::to_string(data.featureShape()[0]);
    if (cells.size() < 2 || cells[0] + "," + cells[1] != expected)
        throw StrataError(path.string() + ":1: expected the sklearn count line '" + expected +
                          ",<class names>'");
    data.classNames.assign(cells.begin() + 2, cells.end());
    if (int(data.classNames.size()) != data.numClasses)
        throw StrataError(path.string() + ":1: names " + std::to_string(data.classNames.size()) +
                          " classes but the labels have " + std::to_string(data.numClasses));
    return data;
}

DatasetSplits loadDigits(uint64_t seed) {
    CsvOptions options;
    options.header = CsvHeader::Absent;
    options.datasetName = "digits";
    Dataset all = loadCsv(findDatasetFile("digits.csv.gz"), options);
    all.classNames = digitNames();
    scale(all, 1.0f / 16.0f); // pixels are counts 0..16
    return splitShipped(std::move(all), seed);
}

DatasetSplits loadStandardized(const std::string& fileName, const std::string& name,
                               uint64_t seed) {
    DatasetSplits splits = splitShipped(loadSklearnCsv(fileName, name), seed);
    standardize(splits);
    return splits;
}

// The first of `stem`, `stem.gz` (and the variant with '.' before idx) that exists in folder.
fs::path findIdx(const fs::path& folder, const std::string& prefix, const std::string& kind) {
    for (const std::string& stem : {prefix + "-" + kind, prefix + "." + kind})
        for (const char* ext : {"", ".gz"}) {
            std::error_code ec;
            const fs::path p = folder / (stem + ext);
            if (fs::is_regular_file(p, ec)) return p;
        }
    return {};
}

Dataset loadIdxPair(const fs::path& images, const fs::path& labels, const std::string& name) {
    Dataset d;
    d.name = name;
    d.x = loadIdxImages(images, true);
    d.y = loadIdxLabels(labels);
    if (d.y.shape()[0] != d.x.shape()[0])
        throw StrataError(labels.string() + ": " + std::to_string(d.y.shape()[0]) + " labels for " +
                          std::to_string(d.x.shape()[0]) + " images in " + images.string());
    d.numClasses = classCountOf(d.y, labels.string());
    return d;
}

} // namespace

std::vector<BuiltinDatasetInfo> listBuiltinDatasets() {
    return {
        {"digits",
         "8x8 handwritten digits (sklearn): 1797 samples, 64 features in [0, 1], 10 classes", Shape{64}, 10},
        {"iris", "iris flowers (sklearn): 150 samples, 4 standardized features, 3 classes", Shape{4}, 3},
        {"wine", "wine cultivars (sklearn): 178 samples, 13 standardized features, 3 classes", Shape{13}, 3},
        {"fashion-mnist", "Zalando Fashion-MNIST: 70000 images (28, 28, 1) in [0, 1], 10 classes "
                          "(Debian package dataset-fashion-mnist)", Shape{28, 28, 1}, 10},
        {"mnist:DIR",
         "MNIST-format IDX files in DIR (train-images-idx3-ubyte[.gz], ...), images in [0, 1]", Shape{28, 28, 1}, 10},
    };
}

DatasetSplits loadIdxFolder(const fs::path& folder, const std::string& name, uint64_t seed,
                            std::vector<std::string> classNames) {
    const char* parts[4][2] = {{"train", "images-idx3-ubyte"},
                               {"train", "labels-idx1-ubyte"},
                               {"t10k", "images-idx3-ubyte"},
                               {"t10k", "labels-idx1-ubyte"}};
    fs::path files[4];
    for (int i = 0; i < 4; ++i) {
        files[i] = findIdx(folder, parts[i][0], parts[i][1]);
        if (files[i].empty())
            throw StrataError("dataset '" + name + "': no " + parts[i][0] + "-" + parts[i][1] +
                              "[.gz] in " + folder.string());
    }
    DatasetSplits splits;
    splits.train = loadIdxPair(files[0], files[1], name);
    splits.test = loadIdxPair(files[2], files[3], name);
    const int classes = std::max(splits.train.numClasses, splits.test.numClasses);
    for (Dataset* d : {&splits.train, &splits.test}) {
        d->numClasses = classes;
        if (int(classNames.size()) == classes) d->classNames = classNames;
    }
    validationFromTrain(splits, kBuiltinValidationFraction, seed);
    return splits;
}

DatasetSplits loadFashionMnist(const fs::path& folder, uint64_t seed) {
    std::error_code ec;
    if (!fs::is_directory(folder, ec) || findIdx(folder, "train", "images-idx3-ubyte").empty())
        throw StrataError("dataset 'fashion-mnist' needs the Debian package dataset-fashion-mnist "
                          "(apt-get install dataset-fashion-mnist); not found in " +
                          folder.string());
    return loadIdxFolder(folder, "fashion-mnist", seed,
                         {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
                          "Sneaker", "Bag", "Ankle boot"});
}

DatasetSplits loadBuiltinDataset(const std::string& name, uint64_t seed) {
    if (name == "digits") return loadDigits(seed);
    if (name == "iris") return loadStandardized("iris.csv", "iris", seed);
    if (name == "wine") return loadStandardized("wine.csv", "wine", seed);
    if (name == "fashion-mnist") return loadFashionMnist(kFashionMnistDir, seed);
    if (name.starts_with("mnist:") && name.size() > 6)
        return loadIdxFolder(name.substr(6), "mnist", seed, digitNames());
    std::string known;
    for (const BuiltinDatasetInfo& info : listBuiltinDatasets())
        known += (known.empty() ? "" : ", ") + info.name;
    throw StrataError("unknown dataset '" + name + "'; known datasets: " + known);
}

} // namespace strata::data
