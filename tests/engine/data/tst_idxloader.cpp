// IDX (MNIST format) files, plain and gzip: round trips, and corrupt files rejected with the
// file's name before anything large is allocated.
#include "DataTestFiles.h"

#include "engine/Error.h"
#include "engine/data/IdxLoader.h"

#include <QTemporaryDir>
#include <QTest>

using namespace strata;
using namespace strata::data;
using namespace datatest;

namespace {
using datatest::errorOf;
} // namespace

class TestIdxLoader : public QObject {
    Q_OBJECT
    QTemporaryDir dir_;
    QString file(const char* name) const { return dir_.filePath(QString::fromLatin1(name)); }

  private slots:
    void readsRawImagesScaledToUnitWithChannel() {
        QByteArray pixels = sequenceBytes(12);
        pixels[11] = char(255);
        writeBytes(file("images"), idxBytes({3, 2, 2}, pixels));
        const Tensor t = loadIdxImages(path(file("images")));
        QCOMPARE(t.shape(), (Shape{3, 2, 2, 1}));
        QCOMPARE(t.dtype(), DType::F32);
        QCOMPARE(t.f32()[5], 5.0f / 255.0f);
        QCOMPARE(t.f32()[11], 1.0f);
        QCOMPARE(loadIdxImages(path(file("images")), false).f32()[5], 5.0f);
    }

    void readsRawLabelsAsInt() {
        writeBytes(file("labels"), idxBytes({4}, sequenceBytes(4, 7)));
        const Tensor t = loadIdxLabels(path(file("labels")));
        QCOMPARE(t.shape(), (Shape{4}));
        QCOMPARE(t.dtype(), DType::I32);
        QCOMPARE(t.i32()[3], 10);
    }

    void readsGzipCompressedFiles() {
        writeGzip(file("images.gz"), idxBytes({2, 3, 3}, sequenceBytes(18)));
        writeGzip(file("labels.gz"), idxBytes({2}, sequenceBytes(2, 8)));
        const Tensor images = loadIdxImages(path(file("images.gz")), false);
        QCOMPARE(images.shape(), (Shape{2, 3, 3, 1}));
        QCOMPARE(images.f32()[17], 17.0f);
        QCOMPARE(loadIdxLabels(path(file("labels.gz"))).i32()[1], 9);
    }

    void readsWiderBigEndianTypes() {
        QByteArray ints;
        appendBigEndian32(ints, uint32_t(-5));
        appendBigEndian32(ints, 70000);
        writeBytes(file("ints"), idxBytes({2}, ints, 0x0C));
        const Tensor t = loadIdx(path(file("ints")), IdxConversion::Int);
        QCOMPARE(t.i32()[0], -5);
        QCOMPARE(t.i32()[1], 70000);
        QByteArray floats;
        appendBigEndian32(floats, 0x3FC00000u); // 1.5f
        writeBytes(file("floats"), idxBytes({1}, floats, 0x0D));
        QCOMPARE(loadIdx(path(file("floats")), IdxConversion::Float).f32()[0], 1.5f);
        QVERIFY(errorOf([&] {
                    loadIdx(path(file("floats")), IdxConversion::Int);
                }).contains("expected integers"));
    }

    void truncatedFileIsNamed() {
        writeBytes(file("short"), idxBytes({3, 2, 2}, sequenceBytes(10)));
        const QString e = errorOf([&] { loadIdxImages(path(file("short"))); });
        QVERIFY2(e.startsWith(file("short") + ": truncated") && e.contains("only 10 bytes"),
                 qPrintable(e));
        writeGzip(file("short.gz"), idxBytes({3, 2, 2}, sequenceBytes(10)));
        QVERIFY(errorOf([&] {
                    loadIdxImages(path(file("short.gz")));
                }).startsWith(file("short.gz") + ": truncated"));
    }

    void truncatedHeaderIsNamed() {
        writeBytes(file("header"), idxBytes({3}, {}).left(6));
        QVERIFY(errorOf([&] {
                    loadIdxLabels(path(file("header")));
                }).startsWith(file("header") + ": truncated"));
    }

    void extraBytesAfterDataRejected() {
        writeBytes(file("long"), idxBytes({2}, sequenceBytes(3)));
        QVERIFY(errorOf([&] { loadIdxLabels(path(file("long"))); }).contains("extra bytes"));
    }

    void badMagicRejected() {
        writeBytes(file("text"), "hello, world, not idx");
        QVERIFY(errorOf([&] {
                    loadIdxLabels(path(file("text")));
                }).contains("not an IDX file: bad magic number 0x"));
        writeBytes(file("rank"), idxBytes({2, 2}, sequenceBytes(4)));
        QVERIFY(errorOf([&] {
                    loadIdxLabels(path(file("rank")));
                }).contains("the header declares rank 2"));
    }

    void absurdDimensionsRejectedBeforeAllocating() {
        // 4e9 x 4e9 elements would overflow any allocation: rejected from the header alone.
        writeBytes(file("huge"), idxBytes({4000000000u, 4000000000u, 1}, sequenceBytes(16)));
        const QString huge = errorOf([&] { loadIdxImages(path(file("huge"))); });
        QVERIFY2(huge.contains("corrupt IDX header") && huge.contains(file("huge")),
                 qPrintable(huge));
        // 60000 x 28 x 28 declared in a 32-byte file: more than the file can hold.
        writeBytes(file("lying"), idxBytes({60000, 28, 28}, sequenceBytes(16)));
        QVERIFY(errorOf([&] {
                    loadIdxImages(path(file("lying")));
                }).contains("more than the file can hold"));
        // The same inside a small gzip file: bounded by the largest deflate ratio.
        writeGzip(file("lying.gz"), idxBytes({100000, 280, 280}, sequenceBytes(16)));
        QVERIFY(errorOf([&] {
                    loadIdxImages(path(file("lying.gz")));
                }).contains("more than the file can hold"));
    }

    void missingFileIsNamed() {
        QVERIFY(errorOf([&] {
                    loadIdxLabels(path(file("absent")));
                }).startsWith(file("absent") + ": cannot open"));
    }
};

QTEST_APPLESS_MAIN(TestIdxLoader)
#include "tst_idxloader.moc"
