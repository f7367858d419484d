// Data files whose few bytes claim a lot (issue 19), under a 1 GiB address-space limit: a CSV of
// 44 bytes whose class label is 40,000,000 made one vector per possible class (2 GB) while
// splitting, before any check. Now the split groups only the classes present, and the label is
// refused against the model by Trainer::checkData.
#include "engine/Error.h"
#include "engine/data/DatasetSource.h"
#include "engine/data/ImageDecode.h"

#include "tests/support/MemoryLimit.h"

#include <QDir>

#include <QTemporaryDir>
#include <QtTest>

#include <fstream>

using namespace strata;

class TestHostileData : public QObject {
    Q_OBJECT
    QTemporaryDir dir_;

private slots:
    void initTestCase() {
        QVERIFY(strata_testsupport::limitMemory(uint64_t(1) << 30));
    }

    void aHugeClassLabelCostsNothing() {
        const std::string file = dir_.filePath("huge_label.csv").toStdString();
        std::ofstream(file) << "a,b,y\n1,2,0\n3,4,1\n5,6,40000000\n7,8,1\n9,1,0\n2,2,1\n";
        const data::DatasetSplits s = data::loadDataSource({"csv:" + file, {}, false, false});
        const int64_t total = s.train.size() + s.validation.size() + s.test.size();
        QCOMPARE(total, int64_t(6));
        int classes = std::max({s.train.numClasses, s.validation.numClasses, s.test.numClasses});
        QCOMPARE(classes, 40000001);
    }

    // A 102-byte BMP (found by fuzz_image) whose header declares 23,855 x 2,406 pixels at 1 bit
    // each: stb_image decoded 57 megapixels of zeros past the file's end (10 s under ASan). Now its
    // declared rows are checked against the file's size first, and the file is named.
    void aBmpDeclaringMoreRowsThanItHoldsIsRefused() {
        std::string bmp = "BM";
        auto u16 = [&](uint32_t v) { bmp += char(v & 0xff), bmp += char(v >> 8); };
        auto u32 = [&](uint32_t v) { u16(v & 0xffff), u16(v >> 16); };
        u32(102), u32(0), u32(62), u32(40), u32(23855), u32(2406), u16(1), u16(1), u32(0), u32(0), u32(0), u32(0), u32(2), u32(0);
        bmp += std::string(8, '\0'); // the palette
        bmp.resize(102, '\x55');
        const std::string file = dir_.filePath("wide.bmp").toStdString();
        std::ofstream(file, std::ios::binary) << bmp;
        try {
            data::readImage(file);
            QFAIL("decoded");
        } catch (const StrataError& e) {
            QVERIFY2(QString(e.what()).contains("wide.bmp: damaged or truncated BMP image (its header declares 23855x2406 pixels "
                                                "at 1 bits each from byte 62"),
                     e.what());
        }
    }

    // A BMP cut inside its own 40-byte header (29 bytes, found by fuzz_image): stb read the
    // missing bytes as zeros and decoded 13085x5120 pixels from nothing, for seconds. Refused.
    void aBmpCutInsideItsHeaderIsRefused() {
        const unsigned char bytes[] = {0x42, 0x4d, 0x66, 0x00, 0x00, 0x3a, 0x00, 0x00, 0x00, 0x00, 0x1d, 0x00, 0x00, 0x00, 0x28,
                                       0x00, 0x00, 0x00, 0x1d, 0x33, 0x00, 0x00, 0x00, 0x14, 0x00, 0x00, 0x01, 0x00, 0x18};
        const std::string file = dir_.filePath("cut.bmp").toStdString();
        std::ofstream(file, std::ios::binary).write(reinterpret_cast<const char*>(bytes), sizeof bytes);
        try {
            data::readImage(file);
            QFAIL("decoded");
        } catch (const StrataError& e) {
            QVERIFY2(QString(e.what()).contains("cut.bmp: damaged or truncated BMP image (its 40-byte header is cut short: the file "
                                                "has 29 bytes)"),
                     e.what());
        }
    }

    // An IDX label of INT32_MAX: its class count (label + 1) overflowed int. Now refused, naming
    // the file and the sample.
    void anIdxLabelOfIntMaxIsRefused() {
        const QString folder = dir_.filePath("mnist");
        QVERIFY(QDir().mkpath(folder));
        auto write = [&](const char* name, std::vector<unsigned char> bytes) {
            std::ofstream(QDir(folder).filePath(name).toStdString(), std::ios::binary)
                .write(reinterpret_cast<const char*>(bytes.data()), std::streamsize(bytes.size()));
        };
        const std::vector<unsigned char> images{0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0, 2, 1, 2, 3, 4, 5, 6, 7, 8};
        write("train-images-idx3-ubyte", images);
        write("t10k-images-idx3-ubyte", images);
        write("train-labels-idx1-ubyte", {0, 0, 0x0C, 1, 0, 0, 0, 2, 0, 0, 0, 1, 0x7F, 0xFF, 0xFF, 0xFF});
        write("t10k-labels-idx1-ubyte", {0, 0, 0x0C, 1, 0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0, 0});
        try {
            data::loadDataSource({"mnist:" + folder.toStdString(), {}, false, false});
            QFAIL("loaded");
        } catch (const StrataError& e) {
            QVERIFY2(QString(e.what()).endsWith("train-labels-idx1-ubyte: label 2147483647 of sample 1 is too large for a "
                                                "class label (at most 2147483646)"),
                     e.what());
        }
    }
};

QTEST_GUILESS_MAIN(TestHostileData)
#include "tst_hostile_data.moc"
