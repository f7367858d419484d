#include "engine/data/ImageFolder.h"

#include "engine/MemoryBudget.h"

#include "engine/data/BuiltinDatasets.h"
#include "engine/data/FileInput.h"

#include <algorithm>
#include <atomic>
#include <charconv>
#include <chrono>
#include <map>
#include <thread>

namespace strata::data {

namespace fs = std::filesystem;

namespace {

struct ImageEntry {
    fs::path file;
    std::string className;
};

struct SplitEntries {
    std::vector<ImageEntry> train, validation, test;
    bool splitFolders = false; // DIR/train, DIR/val, DIR/test
    bool hasValidation = false;
};

bool isImageFile(const fs::path& p) {
    std::string ext = p.extension().string();
    std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return char(std::tolower(c)); });
    return ext == ".png" || ext == ".jpg" || ext == ".jpeg" || ext == ".bmp";
}

bool isHidden(const fs::path& p) { return p.filename().string().starts_with("."); }

bool isDirectory(const fs::path& p) {
    std::error_code ec;
    return fs::is_directory(p, ec);
}

std::vector<fs::path> sortedEntries(const fs::path& dir) {
    std::vector<fs::path> out;
    std::error_code ec;
    for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec))
        if (!isHidden(it->path())) out.push_back(it->path());
    if (ec) throw StrataError(dir.string() + ": cannot be listed (" + ec.message() + ")");
    std::sort(out.begin(), out.end());
    return out;
}

// DIR/CLASS/*: every class folder must hold at least one image file.
std::vector<ImageEntry> classFolderEntries(const fs::path& dir) {
    std::vector<ImageEntry> out;
    bool anyClass = false;
    for (const fs::path& sub : sortedEntries(dir)) {
        if (!isDirectory(sub)) continue;
        anyClass = true;
        const std::size_t before = out.size();
        for (const fs::path& f : sortedEntries(sub))
            if (isImageFile(f)) out.push_back({f, sub.filename().string()});
        if (out.size() == before)
            throw StrataError(sub.string() + ": class folder '" + sub.filename().string() +
                              "' has no images (.png, .jpg, .jpeg, .bmp)");
    }
    if (!anyClass)
        throw StrataError(dir.string() + ": no class folders with images: expected " + dir.string() +
                          "/CLASS/*.png (or .jpg, .bmp), a labels.csv, or train/ and test/ folders");
    return out;
}

std::string_view trimmed(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '"')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '"')) s.remove_suffix(1);
    return s;
}

// DIR/labels.csv: rows "file,label"; an optional first row "file,label".
std::vector<ImageEntry> labelsCsvEntries(const fs::path& dir) {
    const fs::path csv = dir / "labels.csv";
    const std::string text = internal::readWholeFile(csv);
    std::vector<ImageEntry> out;
    std::size_t pos = 0;
    for (int64_t line = 1; pos < text.size(); ++line) {
        const std::size_t end = std::min(text.find('\n', pos), text.size());
        const std::string_view row(text.data() + pos, end - pos);
        pos = end + 1;
        if (trimmed(row).empty()) continue;
        std::vector<std::string_view> cells;
        for (std::size_t from = 0;;) {
            const std::size_t comma = row.find(',', from);
            cells.push_back(trimmed(row.substr(from, comma == std::string_view::npos ? comma : comma - from)));
            if (comma == std::string_view::npos) break;
            from = comma + 1;
        }
        const std::string where = csv.string() + ":" + std::to_string(line) + ": ";
        if (cells.size() != 2)
            throw StrataError(where + "expected 2 columns (file,label), found " + std::to_string(cells.size()));
        if (out.empty() && line == 1 && cells[0] == "file" && cells[1] == "label") continue;
        if (cells[0].empty() || cells[1].empty()) throw StrataError(where + "empty " + (cells[0].empty() ? "file" : "label"));
        const fs::path file = dir / fs::path(std::string(cells[0]));
        std::error_code ec;
        if (!fs::exists(file, ec)) throw StrataError(where + "file '" + std::string(cells[0]) + "' does not exist");
        out.push_back({file, std::string(cells[1])});
    }
    if (out.empty()) throw StrataError(csv.string() + ": no rows (expected file,label)");
    return out;
}

// The layout of `root` (see the header) as lists of files with class names.
SplitEntries listImages(const fs::path& root) {
    if (!isDirectory(root)) throw StrataError(root.string() + ": no such folder");
    SplitEntries s;
    if (fs::exists(root / "labels.csv")) {
        s.train = labelsCsvEntries(root);
        return s;
    }
    if (!isDirectory(root / "train")) {
        s.train = classFolderEntries(root);
        return s;
    }
    s.splitFolders = true;
    s.train = classFolderEntries(root / "train");
    for (const char* val : {"val", "validation"})
        if (!s.hasValidation && isDirectory(root / val)) {
            s.validation = classFolderEntries(root / val);
            s.hasValidation = true;
        }
    if (isDirectory(root / "test")) s.test = classFolderEntries(root / "test");
    return s;
}

// Every image decoded once; bad ones are reported (the first, by listing order) or dropped.
void scanImages(std::vector<ImageEntry>& all, const std::string& folder, const ImageFolderOptions& options,
                ImageFolderReport& report) {
    const std::size_t total = all.size();
    std::vector<std::string> problem(total), listing(total);
    std::atomic<std::size_t> nextIndex{0}, done{0};
    std::atomic<bool> failed{false};
    auto work = [&] {
        for (std::size_t i; (i = nextIndex++) < total && !failed;) {
            try {
                readImage(all[i].file);
                std::error_code ec;
                const auto size = fs::file_size(all[i].file, ec);
                const auto mtime = fs::last_write_time(all[i].file, ec).time_since_epoch().count();
                listing[i] = all[i].file.string() + " " + std::to_string(size) + " " + std::to_string(mtime) + "\n";
            } catch (const StrataError& e) {
                problem[i] = e.what();
                if (!options.skipBadFiles) failed = true;
            }
            ++done;
        }
    };
    std::vector<std::thread> threads;
    for (int t = 0; t < std::max(options.threads, 1); ++t) threads.emplace_back(work);
    const bool big = total > 1000 && options.progress;
    for (std::size_t shown = 0; big && done < total && !failed;) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        const std::size_t now = done;
        if (now * 10 / total > shown * 10 / total || now == total) {
            options.progress("scanning " + folder + ": " + std::to_string(now) + "/" + std::to_string(total) + " images");
            shown = now;
        }
    }
    for (std::thread& t : threads) t.join();
    std::vector<ImageEntry> good;
    for (std::size_t i = 0; i < total; ++i) {
        if (problem[i].empty()) {
            if (!listing[i].empty()) good.push_back(std::move(all[i]));
            report.listing += listing[i];
            continue;
        }
        if (!options.skipBadFiles) throw ImageFileError(problem[i] + " (--skip-bad-files skips such files)");
        report.skipped.push_back(problem[i]);
    }
    all = std::move(good);
}

class ImageFileSource final : public SampleSource {
  public:
    ImageFileSource(std::vector<fs::path> files, int height, int width, ImageColor color)
        : files_(std::move(files)), height_(height), width_(width), color_(color) {}
    int64_t count() const override { return int64_t(files_.size()); }
    Shape sampleShape() const override { return Shape{height_, width_, channelsOf(color_)}; }
    void read(int64_t index, float* out) const override {
        imageToFloat(readImage(files_.at(std::size_t(index))), height_, width_, color_, out);
    }

  private:
    std::vector<fs::path> files_;
    int height_, width_;
    ImageColor color_;
};

// Labels that are all non-negative integers are kept as numbers (as CSV tables' are); names are
// numbered in sorted order.
std::map<std::string, int32_t> classIndexOf(const std::vector<ImageEntry>& entries) {
    std::map<std::string, int32_t> index;
    bool numbers = true;
    for (const ImageEntry& e : entries) {
        int32_t v = -1;
        const auto [end, ec] = std::from_chars(e.className.data(), e.className.data() + e.className.size(), v);
        numbers = numbers && ec == std::errc() && end == e.className.data() + e.className.size() && v >= 0 && v < (1 << 20);
        index.emplace(e.className, v);
    }
    if (!numbers) {
        int32_t next = 0;
        for (auto& [name, i] : index) i = next++;
    }
    return index;
}

Dataset datasetOf(const std::string& name, const std::vector<ImageEntry>& entries,
                  const std::map<std::string, int32_t>& classIndex, int numClasses,
                  const std::vector<std::string>& classNames, const ImageFolderOptions& o) {
    Dataset d;
    d.name = name;
    d.numClasses = numClasses;
    d.classNames = classNames;
    d.y = Tensor(Shape{int64_t(entries.size())}, DType::I32);
    std::vector<fs::path> files;
    for (std::size_t i = 0; i < entries.size(); ++i) {
        d.y.i32()[i] = classIndex.at(entries[i].className);
        files.push_back(entries[i].file);
    }
    d.streamed = imageFileSource(std::move(files), o.height, o.width, o.color);
    return d;
}

} // namespace

std::vector<ImageFolderEntry> listImageFolder(const fs::path& root) {
    const SplitEntries s = listImages(root);
    std::vector<ImageFolderEntry> out;
    for (const auto& [part, split] : {std::pair{&s.train, "train"}, std::pair{&s.validation, "val"}, std::pair{&s.test, "test"}})
        for (const ImageEntry& e : *part) out.push_back({e.file, e.className, s.splitFolders ? split : ""});
    return out;
}

SampleSourcePtr imageFileSource(std::vector<fs::path> files, int height, int width, ImageColor color) {
    if (height < 1 || width < 1)
        throw StrataError("image size " + std::to_string(height) + "x" + std::to_string(width) + " must be positive");
    return std::make_shared<ImageFileSource>(std::move(files), height, width, color);
}

DatasetSplits loadImageFolder(const fs::path& root, const ImageFolderOptions& options, ImageFolderReport* reportOut) {
    if (options.height < 1 || options.width < 1 || options.height > 8192 || options.width > 8192)
        throw StrataError(root.string() + ": the image size " + std::to_string(options.height) + "x" +
                          std::to_string(options.width) + " must be between 1x1 and 8192x8192");
    if (!(options.validationSplit >= 0 && options.validationSplit < 1))
        throw StrataError("the validation split must lie in [0, 1), got " + std::to_string(options.validationSplit));
    SplitEntries s = listImages(root);
    ImageFolderReport report;
    const std::string folder = root.string();
    for (auto* part : {&s.train, &s.validation, &s.test}) // progress names the split's folder
        if (!part->empty())
            scanImages(*part, s.splitFolders ? part->front().file.parent_path().parent_path().string() : folder, options, report);
    if (s.train.empty()) throw StrataError(folder + ": no readable images left to train on");

    const auto classIndex = classIndexOf(s.train);
    int numClasses = 0;
    std::vector<std::string> classNames;
    for (const auto& [className, i] : classIndex) numClasses = std::max(numClasses, i + 1);
    classNames.resize(std::size_t(numClasses));
    for (const auto& [className, i] : classIndex) classNames[std::size_t(i)] = className;
    for (const auto* part : {&s.validation, &s.test})
        for (const ImageEntry& e : *part)
            if (!classIndex.count(e.className))
                throw StrataError(e.file.parent_path().string() + ": class '" + e.className +
                                  "' is not among the training classes");

    const std::string name = root.filename().empty() ? root.parent_path().filename().string() : root.filename().string();
    auto make = [&](const std::vector<ImageEntry>& e) { return datasetOf(name, e, classIndex, numClasses, classNames, options); };
    DatasetSplits splits;
    if (!s.splitFolders) { // the CSV tables' convention: a fixed test split, then validation
        TwoWaySplit test = stratifiedHoldOut(make(s.train), kBuiltinTestFraction, kTestSplitSeed);
        splits.train = std::move(test.kept);
        splits.test = std::move(test.heldOut);
        validationFromTrain(splits, options.validationSplit, options.seed);
    } else {
        splits.train = make(s.train);
        splits.test = make(s.test);
        if (s.hasValidation) splits.validation = make(s.validation);
        else validationFromTrain(splits, options.validationSplit, options.seed);
    }
    report.images = splits.train.size() + splits.validation.size() + splits.test.size();
    if (options.cacheDecoded) {
        double bytes = 0;
        for (const Dataset* d : {&splits.train, &splits.validation, &splits.test})
            if (d->streamed) bytes += double(sampleCacheBytes(*d->streamed));
        const MemoryBudget budget = memoryBudget();
        if (bytes <= 0.5 * double(budget.bytes)) {
            for (Dataset* d : {&splits.train, &splits.validation, &splits.test})
                if (d->streamed) d->streamed = sampleCache(d->streamed);
            report.cache = "decoded cache: " + readableBytes(bytes) + " (uint8 at " + std::to_string(options.height) + "x" +
                           std::to_string(options.width) + ")";
        } else {
            report.cache = "decoded cache off: it would take " + readableBytes(bytes) + ", more than half of " +
                           readableBytes(double(budget.bytes)) + " (" + budget.source + "); images are decoded every epoch";
        }
    }
    if (reportOut) *reportOut = std::move(report);
    return splits;
}

} // namespace strata::data
