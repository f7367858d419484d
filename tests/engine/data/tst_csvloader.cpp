// CSV datasets: header detection, target column choice, label rules, errors with file and line.
#include "DataTestFiles.h"
#include "engine/Error.h"
#include "engine/data/CsvLoader.h"

#include <QElapsedTimer>
#include <QFile>
#include <QTemporaryDir>
#include <QTest>

#include <string>
#include <vector>

using namespace strata;
using namespace strata::data;

namespace {
using datatest::errorOf;
} // namespace

class TestCsvLoader : public QObject {
    Q_OBJECT
  private slots:
    void readsRowsWithoutHeaderAndLastColumnAsLabel() {
        const Dataset d = parseCsv("1,2,0\n3,4,1\n5,6,2\n", "plain.csv");
        QCOMPARE(d.x.shape(), (Shape{3, 2}));
        QCOMPARE(d.y.shape(), (Shape{3}));
        QCOMPARE(d.y.dtype(), DType::I32);
        QCOMPARE(d.x.f32()[5], 6.0f);
        QCOMPARE(d.y.i32()[2], 2);
        QCOMPARE(d.numClasses, 3);
        QCOMPARE(QString::fromStdString(d.name), QStringLiteral("plain"));
    }

    void detectsHeaderWhenFirstRowIsNotNumeric() {
        const Dataset d = parseCsv("a,b,label\n1,2,0\n3,4,1\n", "h.csv");
        QCOMPARE(d.size(), int64_t(2));
        QCOMPARE(d.x.f32()[0], 1.0f);
    }

    void explicitHeaderOptionOverridesDetection() {
        CsvOptions present;
        present.header = CsvHeader::Present;
        QCOMPARE(parseCsv("10,20,30\n1,2,0\n", "n.csv", present).size(), int64_t(1));
        CsvOptions absent;
        absent.header = CsvHeader::Absent;
        QVERIFY(errorOf([&] {
                    parseCsv("a,b,c\n1,2,0\n", "n.csv", absent);
                }).contains("n.csv:1: column 1: 'a'"));
    }

    void choosesTargetColumnByIndex() {
        CsvOptions first;
        first.targetColumn = 0;
        const Dataset d = parseCsv("1,7,8\n0,5,6\n", "t.csv", first);
        QCOMPARE(d.y.i32()[0], 1);
        QCOMPARE(d.x.f32()[0], 7.0f);
        CsvOptions secondFromEnd;
        secondFromEnd.targetColumn = -2;
        QCOMPARE(parseCsv("1,2,8\n0,3,6\n", "t.csv", secondFromEnd).y.i32()[1], 3);
        CsvOptions outOfRange;
        outOfRange.targetColumn = 3;
        QVERIFY(errorOf([&] {
                    parseCsv("1,2,3\n", "t.csv", outOfRange);
                }).contains("target column 3 is out of range"));
    }

    void choosesTargetColumnByHeaderName() {
        CsvOptions byName;
        byName.targetName = "species";
        const Dataset d = parseCsv("\"length\",species,width\n1.5,2,3.5\n", "n.csv", byName);
        QCOMPARE(d.y.i32()[0], 2);
        QCOMPARE(d.x.f32()[1], 3.5f);
        byName.targetName = "kind";
        const QString e = errorOf([&] { parseCsv("length,species\n1,2\n", "n.csv", byName); });
        QVERIFY2(e.contains("no column named 'kind'") && e.contains("length, species"),
                 qPrintable(e));
    }

    void raggedRowErrorNamesFileAndLine() {
        const QString e = errorOf([] { parseCsv("1,2,0\n3,4,1\n5,6\n", "data/ragged.csv"); });
        QCOMPARE(e, QStringLiteral("data/ragged.csv:3: expected 3 columns, found 2"));
    }

    void nonNumericCellErrorNamesLineAndColumn() {
        const QString e = errorOf([] { parseCsv("x,y,label\n1,2,0\n\n3,abc,1\n", "bad.csv"); });
        QCOMPARE(e, QStringLiteral("bad.csv:4: column 2: 'abc' is not a number"));
        QCOMPARE(errorOf([] { parseCsv("1,,0\n", "e.csv"); }),
                 QStringLiteral("e.csv:1: column 2 is empty"));
    }

    void classLabelsMustBeNonNegativeIntegers() {
        QVERIFY(errorOf([] {
                    parseCsv("1,0\n2,2.5\n", "l.csv");
                }).startsWith("l.csv:2: column 2: class label '2.5' is not an integer"));
        QVERIFY(errorOf([] {
                    parseCsv("1,0\n2,1\n3,-1\n", "l.csv");
                }).startsWith("l.csv:3: column 2: class label '-1' is negative"));
        // Labels are kept as they are, so numClasses is the largest label + 1.
        QCOMPARE(parseCsv("1,0\n2,4\n", "l.csv").numClasses, 5);
    }

    void namedClassLabelsAreNumberedInSortedOrder() {
        const Dataset d = parseCsv("size,species\n1,versicolor\n2,setosa\n3,virginica\n4,setosa\n", "named.csv");
        QCOMPARE(d.numClasses, 3);
        QCOMPARE(d.classNames, (std::vector<std::string>{"setosa", "versicolor", "virginica"}));
        QCOMPARE(d.y.i32()[0], 1);
        QCOMPARE(d.y.i32()[1], 0);
        QCOMPARE(d.y.i32()[2], 2);
        QCOMPARE(d.y.i32()[3], 0);
        QCOMPARE(d.x.f32()[3], 4.0f);
        // A quoted name with the delimiter in it is one class.
        QCOMPARE(parseCsv("x,y\n1,\"a, b\"\n2,c\n", "q.csv").classNames, (std::vector<std::string>{"a, b", "c"}));
    }

    void namesAmongNumbersAreAnError() {
        QCOMPARE(errorOf([] { parseCsv("x,label\n1,0\n2,1\n3,1O\n", "typo.csv"); }),
                 QStringLiteral("typo.csv:4: column 2: class label '1O' is a name but line 2 has the number '0': "
                                "use class names or integers throughout"));
        QCOMPARE(errorOf([] { parseCsv("x,label\n1,cat\n2,7\n", "mixed.csv"); }),
                 QStringLiteral("mixed.csv:3: column 2: class label '7' is a number but line 2 has the name 'cat': "
                                "use class names or integers throughout"));
        QCOMPARE(errorOf([] { parseCsv("x,label\n1,cat\n2,\n", "empty.csv"); }),
                 QStringLiteral("empty.csv:3: column 2: the class label is empty"));
    }

    void layoutListsTheColumnsToPickATargetFrom() {
        QTemporaryDir dir;
        const QString named = dir.filePath("named.csv"), plain = dir.filePath("plain.csv");
        QFile f(named);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("species, petal length ,\"width, cm\"\nsetosa,1,2\n");
        f.close();
        QFile g(plain);
        QVERIFY(g.open(QIODevice::WriteOnly));
        g.write("1,2,0\n3,4,1\n");
        g.close();
        CsvLayout l = csvLayout(named.toStdString());
        QVERIFY(l.hasHeader);
        QCOMPARE(l.columns, (std::vector<std::string>{"species", "petal length", "width, cm"}));
        l = csvLayout(plain.toStdString());
        QVERIFY(!l.hasHeader);
        QCOMPARE(l.columns, (std::vector<std::string>{"column 1", "column 2", "column 3"}));
        QVERIFY(errorOf([&] { csvLayout(dir.filePath("absent.csv").toStdString()); }).contains("absent.csv"));
    }

    void regressionTargetKeepsFloats() {
        CsvOptions regression;
        regression.target = CsvTarget::Regression;
        const Dataset d = parseCsv("1,0.25\n2,-3.5\n", "r.csv", regression);
        QCOMPARE(d.numClasses, 0);
        QCOMPARE(d.y.dtype(), DType::F32);
        QCOMPARE(d.y.shape(), (Shape{2, 1}));
        QCOMPARE(d.y.f32()[1], -3.5f);
    }

    void acceptsCrlfSpacesAndEmptyTrailingLines() {
        const Dataset d = parseCsv("1, 2 ,0\r\n 3,4,1\r\n\r\n\n", "w.csv");
        QCOMPARE(d.size(), int64_t(2));
        QCOMPARE(d.x.f32()[1], 2.0f);
    }

    void skipsLeadingLines() {
        CsvOptions options;
        options.skipLines = 1;
        options.header = CsvHeader::Absent;
        QCOMPARE(parseCsv("2,1,a,b\n1,0\n2,1\n", "s.csv", options).size(), int64_t(2));
    }

    void missingFileIsNamed() {
        QVERIFY(
            errorOf([] { loadCsv("/nonexistent/table.csv"); }).contains("/nonexistent/table.csv"));
    }

    void parsesSeventyThousandRowsQuickly() {
        std::string text;
        text.reserve(70000 * 200);
        for (int r = 0; r < 70000; ++r) {
            for (int c = 0; c < 64; ++c)
                text += std::to_string((r + c) % 17) + ",";
            text += std::to_string(r % 10) + "\n";
        }
        QElapsedTimer timer;
        timer.start();
        const Dataset d = parseCsv(text, "big.csv");
        const qint64 ms = timer.elapsed();
        qInfo("parsed 70000 x 65 cells in %lld ms", ms);
        QCOMPARE(d.x.shape(), (Shape{70000, 64}));
        QCOMPARE(d.x.f32()[64 * 69999 + 63], float((69999 + 63) % 17));
#ifdef NDEBUG // optimized builds only: a debug or sanitizer build is many times slower
        QVERIFY2(ms < 5000, "CSV parsing is far too slow");
#endif
    }
};

QTEST_APPLESS_MAIN(TestCsvLoader)
#include "tst_csvloader.moc"
