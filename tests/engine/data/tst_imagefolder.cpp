// Image folders: decoding and resizing against hand-computed values, the three layouts with their
// class counts and splits, streamed batches equal to the samples read one by one, and clear errors
// (file and why, or file and line) for bad images, empty folders and a bad labels.csv.
#include "DataTestFiles.h"

#include "engine/data/BatchIterator.h"
#include "engine/data/ImageFolder.h"
#include "tests/support/ImageTestFiles.h"

#include <QTemporaryDir>
#include <QtTest>

#include <sys/stat.h>

using namespace strata;
using namespace strata::data;
using datatest::errorOf;
namespace fs = std::filesystem;

namespace {

ImageFolderOptions options(int size, ImageColor color = ImageColor::Rgb) {
    ImageFolderOptions o;
    o.height = o.width = size;
    o.color = color;
    return o;
}

// `count` images of class `name` under dir/name, PNG and JPEG alternating.
void classImages(const fs::path& dir, const std::string& name, int count, bool bright) {
    for (int i = 0; i < count; ++i) {
        const fs::path file = dir / name / (std::to_string(100 + i) + (i % 2 ? ".jpg" : ".png"));
        if (i % 2) imagetest::writeJpeg(file, imagetest::noisy(6, bright, uint32_t(i)));
        else imagetest::writePng(file, imagetest::noisy(6, bright, uint32_t(i)));
    }
}

std::vector<float> readAll(const Dataset& d, int64_t index) {
    std::vector<float> v(std::size_t(d.featureShape().numElements()));
    d.streamed->read(index, v.data());
    return v;
}

} // namespace

class TestImageFolder : public QObject {
    Q_OBJECT
    QTemporaryDir tmp_;
    fs::path dir(const char* name) { return fs::path(tmp_.path().toStdString()) / name; }

private slots:
    void bilinearResizeOf2x2To4x4MatchesHandComputedValues() {
        // Gray 2x2 [[0, 100], [200, 255]] to 4x4 with half-pixel centres: source coordinates
        // -0.25 (clamped to 0), 0.25, 0.75, 1.25 (clamped to 1) along each axis.
        imagetest::Pixels p{2, 2, 1, {0, 100, 200, 255}};
        imagetest::writePng(dir("resize/a.png"), p);
        const RgbImage img = readImage(dir("resize/a.png"));
        std::vector<float> out(16);
        imageToFloat(img, 4, 4, ImageColor::Grayscale, out.data());
        auto at = [&](int y, int x) { return out[std::size_t(y * 4 + x)] * 255.0f; };
        QVERIFY(std::fabs(at(0, 0) - 0.0f) < 1e-3f);
        QVERIFY(std::fabs(at(0, 1) - 25.0f) < 1e-3f);     // 0.75 * 0 + 0.25 * 100
        QVERIFY(std::fabs(at(0, 3) - 100.0f) < 1e-3f);
        QVERIFY(std::fabs(at(1, 1) - 72.1875f) < 1e-3f);  // 0.75 * 25 + 0.25 * (200 + 0.25 * 55)
        QVERIFY(std::fabs(at(2, 2) - 199.6875f) < 1e-3f); // 0.25 * 75 + 0.75 * (200 + 0.75 * 55)
        QVERIFY(std::fabs(at(3, 3) - 255.0f) < 1e-3f);
        // The same size copies the pixels.
        std::vector<float> same(4);
        imageToFloat(img, 2, 2, ImageColor::Grayscale, same.data());
        QCOMPARE(same[1], 100.0f / 255.0f);
    }

    void grayscaleAndRgbOfAKnownPixel() {
        imagetest::Pixels red{1, 2, 4, {255, 0, 0, 255, 10, 20, 30, 0}}; // RGBA: alpha is dropped
        imagetest::writePng(dir("color/red.png"), red);
        const RgbImage img = readImage(dir("color/red.png"));
        std::vector<float> rgb(6), gray(2);
        imageToFloat(img, 1, 2, ImageColor::Rgb, rgb.data());
        imageToFloat(img, 1, 2, ImageColor::Grayscale, gray.data());
        QCOMPARE(rgb[0], 1.0f);
        QCOMPARE(rgb[1], 0.0f);
        QCOMPARE(rgb[5], 30.0f / 255.0f);
        QVERIFY(std::fabs(gray[0] - 0.299f) < 1e-6f);
        QVERIFY(std::fabs(gray[1] - (0.299f * 10 + 0.587f * 20 + 0.114f * 30) / 255.0f) < 1e-6f);
        imagetest::writeBmp(dir("color/red.bmp"), red);
        QCOMPARE(readImage(dir("color/red.bmp")).pixels[0], uint8_t(255));
    }

    void classFoldersLoadWithSortedNamesAndCsvStyleSplits() {
        const fs::path root = dir("classes");
        classImages(root, "zebra", 10, true);
        classImages(root, "ant", 10, false);
        classImages(root, "moth", 5, false);
        imagetest::writeText(root / "moth" / "notes.txt", "ignored: not an image extension");
        ImageFolderReport report;
        const DatasetSplits s = loadImageFolder(root, options(4), &report);
        QCOMPARE(report.images, int64_t(25));
        QCOMPARE(s.train.numClasses, 3);
        QCOMPARE(s.train.classNames, (std::vector<std::string>{"ant", "moth", "zebra"}));
        QCOMPARE(s.test.size(), int64_t(5)); // 20%, stratified
        QCOMPARE(s.validation.size(), int64_t(2)); // 10% of the 20 left
        QCOMPARE(s.train.size(), int64_t(18));
        QCOMPARE(s.train.featureShape(), (Shape{4, 4, 3}));
        QVERIFY(s.train.isStreamed());
        int perClass[3] = {0, 0, 0};
        for (const Dataset* d : {&s.train, &s.validation, &s.test})
            for (int64_t i = 0; i < d->size(); ++i) ++perClass[d->y.i32()[i]];
        QCOMPARE(perClass[0], 10);
        QCOMPARE(perClass[1], 5);
        QCOMPARE(perClass[2], 10);
        // Bright images are class 2 (zebra): the mean pixel says so.
        for (int64_t i = 0; i < s.train.size(); ++i) {
            const auto v = readAll(s.train, i);
            const float mean = std::accumulate(v.begin(), v.end(), 0.0f) / float(v.size());
            QCOMPARE(mean > 0.5f, s.train.y.i32()[i] == 2);
        }
    }

    void labelsCsvLayoutLoads() {
        const fs::path root = dir("csvlayout");
        std::string csv = "file,label\n";
        for (int i = 0; i < 9; ++i) {
            const std::string name = "img" + std::to_string(i) + ".png";
            imagetest::writePng(root / "pics" / name, imagetest::noisy(5, i < 3, uint32_t(i)));
            csv += "pics/" + name + "," + (i < 3 ? "sun" : "night") + "\n";
        }
        imagetest::writeText(root / "labels.csv", csv);
        const DatasetSplits s = loadImageFolder(root, options(5, ImageColor::Grayscale));
        QCOMPARE(s.train.classNames, (std::vector<std::string>{"night", "sun"}));
        QCOMPARE(s.train.size() + s.validation.size() + s.test.size(), int64_t(9));
        QCOMPARE(s.train.featureShape(), (Shape{5, 5, 1}));
    }

    void trainValTestLayoutKeepsItsSplits() {
        const fs::path root = dir("splits");
        for (auto [part, n] : {std::pair{"train", 6}, {"val", 2}, {"test", 3}}) {
            classImages(root / part, "cat", n, true);
            classImages(root / part, "dog", n, false);
        }
        const DatasetSplits s = loadImageFolder(root, options(6));
        QCOMPARE(s.train.size(), int64_t(12));
        QCOMPARE(s.validation.size(), int64_t(4));
        QCOMPARE(s.test.size(), int64_t(6));
        QCOMPARE(s.test.numClasses, 2);
        classImages(root / "test", "cow", 1, true);
        QVERIFY(errorOf([&] { loadImageFolder(root, options(6)); }).contains("class 'cow' is not among the training classes"));
    }

    void streamedBatchesEqualSamplesReadOneByOne() {
        const fs::path root = dir("stream");
        classImages(root, "a", 13, true);
        classImages(root, "b", 12, false);
        const Dataset d = loadImageFolder(root, options(3)).train;
        for (int workers : {1, 3}) {
            BatchIterator it(d, {4, true, false, 7, workers, 2});
            Tensor x = it.makeXBatch(), y = it.makeYBatch();
            for (int64_t epoch = 0; epoch < 2; ++epoch) {
                it.beginEpoch(epoch);
                const std::vector<int64_t> order = it.order();
                int64_t seen = 0;
                while (const int64_t rows = it.next(x, y)) {
                    for (int64_t r = 0; r < rows; ++r) {
                        const auto want = readAll(d, order[std::size_t(seen + r)]);
                        QVERIFY(std::equal(want.begin(), want.end(), x.f32() + r * 27));
                        QCOMPARE(y.i32()[r], d.y.i32()[order[std::size_t(seen + r)]]);
                    }
                    seen += rows;
                }
                QCOMPARE(seen, d.size());
            }
            it.beginEpoch(1); // resuming mid-epoch: batch 2 after skipping two
            QCOMPARE(it.skip(2), int64_t(2));
            Tensor x2 = it.makeXBatch(), y2 = it.makeYBatch();
            it.next(x2, y2);
            it.fillBatch(2, x, y);
            QVERIFY(std::equal(x.f32(), x.f32() + x.size(), x2.f32()));
        }
    }

    // The decoded cache keeps every image once read, as 8-bit values at the sample size: the same
    // values (to 1/510) as decoding, and still there after the files are gone; batches from several
    // workers read it as they read the files.
    void decodedCacheKeepsImagesAfterTheFirstRead() {
        const fs::path root = dir("cached");
        classImages(root, "a", 10, true);
        classImages(root, "b", 10, false);
        ImageFolderOptions o = options(5);
        const DatasetSplits plain = loadImageFolder(root, o);
        o.cacheDecoded = true;
        ImageFolderReport report;
        const DatasetSplits cached = loadImageFolder(root, o, &report);
        QVERIFY2(QString::fromStdString(report.cache).startsWith("decoded cache: "), report.cache.c_str());
        const Dataset& d = cached.train;
        BatchIterator it(d, {4, true, false, 3, 3, 2});
        Tensor x = it.makeXBatch(), y = it.makeYBatch();
        it.beginEpoch(0);
        while (it.next(x, y)) {
        }
        std::vector<std::vector<float>> first;
        for (int64_t i = 0; i < d.size(); ++i) {
            const auto want = readAll(plain.train, i), got = readAll(d, i);
            for (std::size_t k = 0; k < want.size(); ++k) QVERIFY(std::fabs(want[k] - got[k]) <= 0.5f / 255.0f + 1e-6f);
            first.push_back(got);
        }
        fs::remove_all(root); // a cached sample needs its file no more
        for (int64_t i = 0; i < d.size(); ++i) QVERIFY(readAll(d, i) == first[std::size_t(i)]);
        QVERIFY_THROWS_EXCEPTION(StrataError, readAll(plain.train, 0)); // an uncached one does
        // A cache larger than half the memory budget is left off, saying so (20 images of 5x5x3
        // bytes: 1,500 B against half of 1 KiB).
        classImages(root, "a", 10, true);
        classImages(root, "b", 10, false);
        qputenv("STRATA_MEMORY_LIMIT", "1K");
        ImageFolderReport small;
        const DatasetSplits off = loadImageFolder(root, o, &small);
        qunsetenv("STRATA_MEMORY_LIMIT");
        QVERIFY2(QString::fromStdString(small.cache).startsWith("decoded cache off: it would take"), small.cache.c_str());
        QVERIFY(off.train.size() > 0);
    }

    void corruptAndTruncatedFilesAreNamedOrSkipped() {
        const fs::path root = dir("bad");
        classImages(root, "good", 4, true);
        classImages(root, "other", 4, false);
        imagetest::writeText(root / "good" / "003x.png", "this is not an image");
        imagetest::writePng(root / "other" / "zz_cut.png", imagetest::noisy(32, true, 5));
        imagetest::truncate(root / "other" / "zz_cut.png", 0.5);
        const QString corrupt = errorOf([&] { loadImageFolder(root, options(4)); });
        QVERIFY2(corrupt.contains("good/003x.png: not a PNG/JPEG/BMP image (stb: "), qPrintable(corrupt));
        QVERIFY2(corrupt.contains("--skip-bad-files"), qPrintable(corrupt));
        fs::remove(root / "good" / "003x.png");
        const QString cut = errorOf([&] { loadImageFolder(root, options(4)); });
        QVERIFY2(cut.contains("other/zz_cut.png: damaged or truncated PNG image (its IDAT chunk at byte 33 claims "), qPrintable(cut));
        fs::remove(root / "other" / "zz_cut.png");
        imagetest::writeJpeg(root / "good" / "zz_cut.jpg", imagetest::noisy(32, true, 6));
        imagetest::truncate(root / "good" / "zz_cut.jpg", 0.6);
        const QString cutJpeg = errorOf([&] { loadImageFolder(root, options(4)); });
        QVERIFY2(cutJpeg.contains("good/zz_cut.jpg: damaged or truncated JPEG image (libjpeg-turbo: "), qPrintable(cutJpeg));
        imagetest::writePng(root / "other" / "zz_cut.png", imagetest::noisy(32, true, 5));
        imagetest::truncate(root / "other" / "zz_cut.png", 0.5);
        imagetest::writeText(root / "good" / "003x.png", "this is not an image");
        ImageFolderOptions o = options(4);
        o.skipBadFiles = true;
        ImageFolderReport report;
        const DatasetSplits s = loadImageFolder(root, o, &report);
        QCOMPARE(int(report.skipped.size()), 3);
        QVERIFY(report.skipped[1].find("zz_cut.jpg: damaged or truncated JPEG image") != std::string::npos);
        QCOMPARE(report.images, int64_t(8));
    }

    void aFifoIsABadFileNotAWait() {
        const fs::path root = dir("fifo");
        classImages(root, "x", 2, true);
        QCOMPARE(mkfifo((root / "x" / "pipe.png").c_str(), 0600), 0);
        const QString e = errorOf([&] { loadImageFolder(root, options(4)); });
        QVERIFY2(e.contains("x/pipe.png: not a regular file"), qPrintable(e));
    }

    void emptyFoldersAndBadLabelsCsvAreNamed() {
        const fs::path empty = dir("empty");
        fs::create_directories(empty / "nothing");
        classImages(empty, "some", 2, true);
        QVERIFY(errorOf([&] { loadImageFolder(empty, options(4)); }).contains("class folder 'nothing' has no images"));
        fs::create_directories(dir("noimages"));
        QVERIFY(errorOf([&] { loadImageFolder(dir("noimages"), options(4)); }).contains("no class folders with images"));
        QVERIFY(errorOf([&] { loadImageFolder(dir("absent"), options(4)); }).contains("absent: no such folder"));

        const fs::path root = dir("badcsv");
        imagetest::writePng(root / "a.png", imagetest::noisy(4, true, 1));
        imagetest::writeText(root / "labels.csv", "file,label\na.png,x\nb.png,y\n");
        QVERIFY(errorOf([&] { loadImageFolder(root, options(4)); }).contains("labels.csv:3: file 'b.png' does not exist"));
        imagetest::writeText(root / "labels.csv", "a.png,x\n\na.png,x,extra\n");
        QVERIFY(errorOf([&] { loadImageFolder(root, options(4)); }).contains("labels.csv:3: expected 2 columns (file,label), found 3"));
        QVERIFY(errorOf([&] { loadImageFolder(root, options(0)); }).contains("must be between 1x1 and 8192x8192"));
    }
};

QTEST_GUILESS_MAIN(TestImageFolder)
#include "tst_imagefolder.moc"
