// An image folder scanned for the dataset view: every file's size and class, the class counts,
// unreadable files named (not an error), the split folders' files, progress up to the total, and a
// scan stopped by its progress callback.
#include "engine/data/ImageFolderScan.h"
#include "tests/support/ImageTestFiles.h"

#include <QTemporaryDir>
#include <QtTest>

#include <fstream>

using namespace strata;
using namespace strata::data;
namespace fs = std::filesystem;

namespace {

void images(const fs::path& dir, int count, int height, int width) {
    for (int i = 0; i < count; ++i)
        imagetest::writePng(dir / (std::to_string(100 + i) + ".png"), imagetest::filled(height, width, 3, uint8_t(40 * i)));
}

} // namespace

class TestImageFolderScan : public QObject {
    Q_OBJECT
    QTemporaryDir tmp_;
    fs::path dir(const char* name) { return fs::path(tmp_.path().toStdString()) / name; }

private slots:
    void classFoldersGiveCountsAndSizes() {
        images(dir("pets/cat"), 5, 6, 8);
        images(dir("pets/dog"), 3, 6, 8);
        images(dir("pets/owl"), 2, 10, 10);
        int64_t lastDone = -1, lastTotal = -1;
        ImageScanOptions o;
        o.progress = [&](int64_t done, int64_t total) {
            lastDone = done, lastTotal = total;
            return true;
        };
        const ImageFolderScan scan = scanImageFolder(dir("pets"), o);
        QVERIFY(!scan.cancelled);
        QCOMPARE(scan.listed, int64_t(10));
        QCOMPARE(scan.images.size(), std::size_t(10));
        QCOMPARE(lastDone, int64_t(10));
        QCOMPARE(lastTotal, int64_t(10));
        const std::vector<std::pair<std::string, int64_t>> counts{{"cat", 5}, {"dog", 3}, {"owl", 2}};
        QVERIFY(scan.classCounts == counts);
        QCOMPARE(scan.images.front().entry.className, std::string("cat"));
        QCOMPARE(scan.images.front().height, 6);
        QCOMPARE(scan.images.front().width, 8);
        QCOMPARE(scan.images.back().height, 10);
        const ImageSizeSummary s = summarizeImageSizes(scan.images);
        QCOMPARE(s.distinct, int64_t(2));
        QCOMPARE(s.commonHeight, 6);
        QCOMPARE(s.commonWidth, 8);
        QCOMPARE(s.commonCount, int64_t(8));
        QCOMPARE(s.minHeight, 6);
        QCOMPARE(s.maxWidth, 10);
    }

    void unreadableFilesAreNamedNotThrown() {
        images(dir("bad/a"), 2, 4, 4);
        std::ofstream(dir("bad/a/broken.png"), std::ios::binary) << "\x89PNG\r\n\x1a\nnot really";
        const ImageFolderScan scan = scanImageFolder(dir("bad"));
        QCOMPARE(scan.images.size(), std::size_t(2));
        QCOMPARE(scan.badFiles.size(), std::size_t(1));
        QVERIFY2(scan.badFiles.front().find("broken.png") != std::string::npos, scan.badFiles.front().c_str());
        QCOMPARE(scan.classCounts.front().second, int64_t(2));
    }

    void splitFoldersAreListedWithTheirSplit() {
        images(dir("split/train/x"), 2, 4, 4);
        images(dir("split/test/x"), 1, 4, 4);
        const std::vector<ImageFolderEntry> list = listImageFolder(dir("split"));
        QCOMPARE(list.size(), std::size_t(3));
        QCOMPARE(list.front().split, std::string("train"));
        QCOMPARE(list.back().split, std::string("test"));
    }

    void layoutProblemsStillThrow() {
        QVERIFY_THROWS_EXCEPTION(StrataError, scanImageFolder(dir("nowhere")));
    }

    void progressAnsweringFalseStopsTheScan() {
        images(dir("many/a"), 40, 64, 64);
        ImageScanOptions o;
        o.threads = 1;
        int calls = 0;
        o.progress = [&](int64_t, int64_t) { return ++calls < 1; };
        const ImageFolderScan scan = scanImageFolder(dir("many"), o);
        QVERIFY(scan.cancelled);
        QCOMPARE(calls, 1);
        QVERIFY(scan.images.size() <= std::size_t(40));
    }
};

QTEST_GUILESS_MAIN(TestImageFolderScan)
#include "tst_imagefolderscan.moc"
