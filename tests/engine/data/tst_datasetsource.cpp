// What --data names: built-in datasets by name, CSV tables by path (csv:PATH or *.csv), with the
// target column by header name or index; a CSV is split 70/10/20 and standardized on train.
#include "engine/Error.h"
#include "engine/data/DatasetSource.h"

#include <QFile>
#include <QTemporaryDir>
#include <QTest>

#include <cmath>

using namespace strata;
using namespace strata::data;

class TestDatasetSource : public QObject {
    Q_OBJECT
private slots:
    void namesThatAreCsvTables() {
        QVERIFY(isCsvSource("csv:/data/t"));
        QVERIFY(isCsvSource("t.csv"));
        QVERIFY(isCsvSource("/a/b/t.csv.gz"));
        QVERIFY(!isCsvSource("digits"));
        QVERIFY(!isCsvSource("mnist:/data/mnist"));
        QCOMPARE(csvPathOf("csv:/data/t.csv").string(), std::string("/data/t.csv"));
        QCOMPARE(csvPathOf("t.csv").string(), std::string("t.csv"));
    }

    void labelsByIndexOrName() {
        QCOMPARE(csvOptionsFor("", false).targetColumn, -1);
        QCOMPARE(csvOptionsFor("2", false).targetColumn, 2);
        QCOMPARE(csvOptionsFor("-2", false).targetColumn, -2);
        QCOMPARE(csvOptionsFor("species", false).targetName, std::string("species"));
        QCOMPARE(csvOptionsFor("2b", false).targetName, std::string("2b"));
        QVERIFY(csvOptionsFor("", true).target == CsvTarget::Regression);
    }

    void aCsvTableIsSplitAndStandardized() {
        QTemporaryDir dir;
        const QString path = dir.filePath("t.csv");
        QFile f(path);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("kind,a,b\n");
        for (int i = 0; i < 100; ++i) f.write(QString("%1,%2,%3\n").arg(i % 2 ? "odd" : "even").arg(i).arg(1000 + 3 * i).toUtf8());
        f.close();
        const DatasetSplits s = loadDataSource({"csv:" + path.toStdString(), "kind", false});
        QCOMPARE(s.test.size(), int64_t(20));
        QCOMPARE(s.validation.size(), int64_t(8));
        QCOMPARE(s.train.size(), int64_t(72));
        QCOMPARE(s.train.numClasses, 2);
        QCOMPARE(s.train.classNames, (std::vector<std::string>{"even", "odd"}));
        double mean = 0;
        for (int64_t i = 0; i < s.train.size(); ++i) mean += s.train.x.f32()[i * 2 + 1];
        QVERIFY2(std::fabs(mean / double(s.train.size())) < 1e-4, "features are standardized on the training split");
    }

    void builtInDatasetsTakeNoLabel() {
        try {
            loadDataSource({"iris", "species", false});
            QFAIL("no error");
        } catch (const StrataError& e) {
            QVERIFY2(QString(e.what()).contains("'iris' is built in"), e.what());
        }
        QCOMPARE(loadDataSource({"iris", "", false}).test.size(), int64_t(30));
    }

    // An autoencoder's data: every split's targets are its inputs (real values, labels dropped),
    // reshaped to the model's output when the sizes agree; regression and reconstruct exclude
    // each other.
    void reconstructMakesInputsTheTargets() {
        DatasetSplits s = loadDataSource({"digits", "", false, true});
        for (Dataset* d : {&s.train, &s.validation, &s.test}) {
            QVERIFY(d->size() > 0);
            QVERIFY(!d->isClassification());
            QVERIFY(d->classNames.empty());
            QCOMPARE(d->y.dtype(), DType::F32);
            QCOMPARE(d->y.shape(), d->x.shape());
            QVERIFY(std::equal(d->x.f32(), d->x.f32() + d->x.size(), d->y.f32()));
        }
        reshapeFeatures(s.train, Shape{8, 8, 1}, "image");
        reshapeTargets(s.train, Shape{8, 8, 1});
        QCOMPARE(s.train.y.shape(), (Shape{s.train.size(), 8, 8, 1}));
        reshapeTargets(s.test, Shape{10}); // another size: left for the trainer to name
        QCOMPARE(s.test.y.shape(), (Shape{s.test.size(), 64}));
        try {
            loadDataSource({"digits", "", true, true});
            QFAIL("no error");
        } catch (const StrataError& e) {
            QVERIFY2(QString(e.what()).contains("exclude each other"), e.what());
        }
        const DatasetSplits labelled = loadDataSource({"digits", "", false});
        QVERIFY(labelled.train.isClassification()); // reconstruct is off by default
    }
};

QTEST_APPLESS_MAIN(TestDatasetSource)
#include "tst_datasetsource.moc"
