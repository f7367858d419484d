// Tensors as CSV (predict's input and output): rows become samples of the input's shape; a ragged
// row, a cell that is not a number and an empty file are errors naming the file and line; values
// written with %.9g read back as the same floats.
#include "engine/Error.h"
#include "engine/data/CsvTensors.h"

#include "DataTestFiles.h"

#include <QTemporaryDir>
#include <QTest>

#include <algorithm>
#include <sstream>
#include <string>

using namespace strata;
using namespace strata::data;

namespace {
using datatest::errorOf;
} // namespace

class TestCsvTensors : public QObject {
    Q_OBJECT
    QTemporaryDir dir_;
    std::string file(const char* name, const QByteArray& text) {
        const QString p = dir_.filePath(name);
        datatest::writeBytes(p, text);
        return p.toStdString();
    }

  private slots:
    void rowsBecomeSamplesOfTheInputShape() {
        const std::string f = file("in.csv", "1, 2,3,4\r\n\n 5,6,7,8.5\n");
        const Tensor t = readCsvTensor(f, Shape{2, 2}, "x");
        QCOMPARE(t.shape(), (Shape{2, 2, 2}));
        QCOMPARE(t.f32()[7], 8.5f);
    }

    void raggedRowNamesFileAndLine() {
        const std::string f = file("ragged.csv", "1,2,3\n4,5\n");
        const QString m = errorOf([&] { readCsvTensor(f, Shape{3}, "b"); });
        QVERIFY2(m.contains(QString::fromStdString(f) + ":2: expected 3 values for input 'b' of shape (None, 3), found 2"), qPrintable(m));
    }

    void cellThatIsNotANumberNamesFileAndLine() {
        const std::string f = file("words.csv", "1,2\n\n3,abc\n");
        const QString m = errorOf([&] { readCsvTensor(f, Shape{2}, "x"); });
        QVERIFY2(m.contains(QString::fromStdString(f) + ":3: value 2 'abc' is not a number"), qPrintable(m));
        const std::string empty = file("emptycell.csv", "1,,2\n");
        QVERIFY(errorOf([&] { readCsvTensor(empty, Shape{3}, "x"); }).contains(":1: value 2 '' is not a number"));
    }

    void emptyAndMissingFiles() {
        const std::string f = file("empty.csv", "\n  \n");
        QCOMPARE(errorOf([&] { readCsvTensor(f, Shape{1}, "x"); }), QString::fromStdString(f + ": no samples"));
        bool unreadable = false;
        try {
            readCsvTensor(dir_.filePath("absent.csv").toStdString(), Shape{1}, "x");
        } catch (const UnreadableFileError& e) {
            unreadable = std::string(e.what()).find("absent.csv: cannot be read") != std::string::npos;
        }
        QVERIFY(unreadable);
    }

    void writtenValuesReadBackTheSame() {
        const Tensor t = Tensor::fromVector(Shape{2, 3}, std::vector<float>{0.1f, -2.5e-7f, 3.0f, 1e20f, 0.333333343f, -0.0f});
        std::ostringstream out;
        writeCsvTensor(out, t);
        const std::string text = out.str();
        QCOMPARE(std::count(text.begin(), text.end(), '\n'), 2);
        const Tensor back = readCsvTensor(file("back.csv", QByteArray::fromStdString(text)), Shape{3}, "x");
        QCOMPARE(back.shape(), t.shape());
        for (int64_t i = 0; i < t.size(); ++i) QCOMPARE(back.f32()[i], t.f32()[i]);
    }
};

QTEST_GUILESS_MAIN(TestCsvTensors)
#include "tst_csvtensors.moc"
