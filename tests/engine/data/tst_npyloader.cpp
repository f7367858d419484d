// NumPy .npy files of every supported dtype and header version, and the ones refused.
#include "DataTestFiles.h"

#include "engine/Error.h"
#include "engine/data/Dataset.h"
#include "engine/data/NpyLoader.h"

#include <QTemporaryDir>
#include <QTest>

#include <cstring>

using namespace strata;
using namespace strata::data;
using namespace datatest;

namespace {
using datatest::errorOf;

// A .npy file as numpy.save writes it: magic, version, padded header dict, then the data.
QByteArray npy(const QByteArray& descr, const QByteArray& shape, const QByteArray& data,
               int version = 1, bool fortran = false) {
    QByteArray dict = "{'descr': '" + descr +
                      "', 'fortran_order': " + (fortran ? "True" : "False") +
                      ", 'shape': " + shape + ", }";
    const int prefix = version == 1 ? 10 : 12;
    while ((prefix + dict.size() + 1) % 64)
        dict.append(' ');
    dict.append('\n');
    QByteArray out("\x93NUMPY", 6);
    out.append(char(version)).append(char(0));
    const uint32_t n = uint32_t(dict.size());
    out.append(char(n & 0xFF)).append(char(n >> 8));
    if (version != 1) out.append(char(n >> 16)).append(char(n >> 24));
    return out + dict + data;
}

template <typename T> QByteArray raw(std::initializer_list<T> values) {
    QByteArray out;
    for (T v : values)
        out.append(reinterpret_cast<const char*>(&v), sizeof v);
    return out;
}
} // namespace

class TestNpyLoader : public QObject {
    Q_OBJECT

  private slots:
    void readsFloat32Matrix() {
        const Tensor t = parseNpy(
            npy("<f4", "(2, 3)", raw<float>({1, 2, 3, 4, 5, 6.5f})).toStdString(), "a.npy");
        QCOMPARE(t.shape(), (Shape{2, 3}));
        QCOMPARE(t.dtype(), DType::F32);
        QCOMPARE(t.f32()[5], 6.5f);
    }

    void narrowsFloat64ToFloat32() {
        const Tensor t =
            parseNpy(npy("<f8", "(2,)", raw<double>({0.25, -1e10})).toStdString(), "d.npy");
        QCOMPARE(t.dtype(), DType::F32);
        QCOMPARE(t.f32()[1], float(-1e10));
    }

    void readsIntegerTypesAsInt32() {
        const Tensor i4 =
            parseNpy(npy("<i4", "(3,)", raw<int32_t>({-1, 0, 7})).toStdString(), "i4.npy");
        QCOMPARE(i4.dtype(), DType::I32);
        QCOMPARE(i4.i32()[0], -1);
        const Tensor i8 =
            parseNpy(npy("<i8", "(2,)", raw<int64_t>({9, -3})).toStdString(), "i8.npy");
        QCOMPARE(i8.i32()[1], -3);
        const Tensor u1 =
            parseNpy(npy("|u1", "(1, 2)", QByteArray("\x00\xFF", 2)).toStdString(), "u1.npy");
        QCOMPARE(u1.shape(), (Shape{1, 2}));
        QCOMPARE(u1.i32()[1], 255);
    }

    void readsHeaderVersions2And3() {
        for (int version : {2, 3}) {
            const Tensor t =
                parseNpy(npy("<f4", "(1,)", raw<float>({3.0f}), version).toStdString(), "v.npy");
            QCOMPARE(t.f32()[0], 3.0f);
        }
    }

    void readsScalarAndEmptyArrays() {
        QCOMPARE(parseNpy(npy("<f4", "()", raw<float>({2.0f})).toStdString(), "s.npy").shape(),
                 Shape{});
        QCOMPARE(parseNpy(npy("<f4", "(0, 4)", {}).toStdString(), "e.npy").shape(), (Shape{0, 4}));
    }

    void readsFromFileAndBuildsDataset() {
        QTemporaryDir dir;
        writeBytes(dir.filePath("x.npy"), npy("|u1", "(2, 2)", QByteArray("\x01\x02\x03\x04", 4)));
        writeBytes(dir.filePath("y.npy"), npy("<i8", "(2,)", raw<int64_t>({0, 2})));
        const Dataset d = datasetFromArrays("arrays", loadNpy(path(dir.filePath("x.npy"))),
                                            loadNpy(path(dir.filePath("y.npy"))));
        QCOMPARE(d.x.dtype(), DType::F32);
        QCOMPARE(d.x.f32()[3], 4.0f);
        QCOMPARE(d.numClasses, 3);
    }

    void fortranOrderRejected() {
        const QString e = errorOf(
            [] { parseNpy(npy("<f4", "(1,)", raw<float>({1}), 1, true).toStdString(), "f.npy"); });
        QVERIFY2(e.startsWith("f.npy: the array is stored in Fortran order"), qPrintable(e));
    }

    void unsupportedDtypeNamed() {
        QVERIFY(errorOf([] {
                    parseNpy(npy(">f4", "(1,)", raw<float>({1})).toStdString(), "b.npy");
                }).contains("unsupported .npy dtype '>f4'"));
        QVERIFY(errorOf([] {
                    parseNpy(npy("<c8", "(1,)", raw<double>({1})).toStdString(), "c.npy");
                }).contains("'<c8'"));
    }

    void dataSizeMismatchRejected() {
        const QString e = errorOf(
            [] { parseNpy(npy("<f4", "(1000, 1000)", raw<float>({1})).toStdString(), "t.npy"); });
        QVERIFY2(e.contains("needs 4000000 bytes of data but the file holds 4 (truncated)"),
                 qPrintable(e));
        QVERIFY(errorOf([] { parseNpy("not numpy at all", "n.npy"); }).contains("not a .npy file"));
    }

    void int64OutOfRangeRejected() {
        QVERIFY(errorOf([] {
                    parseNpy(npy("<i8", "(1,)", raw<int64_t>({int64_t(1) << 40})).toStdString(),
                             "o.npy");
                }).contains("does not fit in int32"));
    }
};

QTEST_APPLESS_MAIN(TestNpyLoader)
#include "tst_npyloader.moc"
