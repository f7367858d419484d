// Datasets by name: the shipped CSV datasets, Fashion-MNIST from its Debian package, MNIST-format
// folders, and the messages for what is missing or unknown.
#include "DataTestFiles.h"

#include "engine/Error.h"
#include "engine/data/BuiltinDatasets.h"
#include "engine/data/DatasetPaths.h"
#include "tests/support/RequiredTools.h"

#include <QElapsedTimer>
#include <QFileInfo>
#include <QTemporaryDir>
#include <QTest>

#include <algorithm>
#include <cmath>

using namespace strata;
using namespace strata::data;
using namespace datatest;

namespace {
using datatest::errorOf;

std::vector<int> classCounts(const Dataset& d) {
    std::vector<int> counts(std::size_t(d.numClasses), 0);
    for (int64_t i = 0; i < d.size(); ++i)
        ++counts[std::size_t(d.y.i32()[i])];
    return counts;
}

double featureMean(const Dataset& d, int64_t feature) {
    const int64_t features = d.featureShape().numElements();
    double sum = 0;
    for (int64_t i = 0; i < d.size(); ++i)
        sum += d.x.f32()[i * features + feature];
    return sum / double(d.size());
}
} // namespace

class TestBuiltinDatasets : public QObject {
    Q_OBJECT

  private slots:
    void digitsLoads1797SamplesOf64FeaturesAnd10Classes() {
        const DatasetSplits s = loadBuiltinDataset("digits");
        QCOMPARE(s.train.size() + s.validation.size() + s.test.size(), int64_t(1797));
        QCOMPARE(s.test.size(), int64_t(359));       // round(0.2 * 1797)
        QCOMPARE(s.validation.size(), int64_t(144)); // round(0.1 * 1438)
        QCOMPARE(s.train.featureShape(), (Shape{64}));
        QCOMPARE(s.train.numClasses, 10);
        QCOMPARE(s.train.classNames.size(), std::size_t(10));
        const auto [lo, hi] =
            std::minmax_element(s.train.x.f32(), s.train.x.f32() + s.train.x.size());
        QCOMPARE(*lo, 0.0f);
        QCOMPARE(*hi, 1.0f); // pixel counts 0..16 divided by 16
        // Stratified: every class has about 20% of its samples in the test split.
        for (int count : classCounts(s.test))
            QVERIFY2(count >= 34 && count <= 38, qPrintable(QString::number(count)));
    }

    void testSplitIsFixedAndValidationFollowsTheSeed() {
        const DatasetSplits a = loadBuiltinDataset("digits", 1),
                            b = loadBuiltinDataset("digits", 2);
        QVERIFY(std::equal(a.test.x.f32(), a.test.x.f32() + a.test.x.size(), b.test.x.f32()));
        QVERIFY(!std::equal(a.validation.x.f32(), a.validation.x.f32() + a.validation.x.size(),
                            b.validation.x.f32()));
        const DatasetSplits again = loadBuiltinDataset("digits", 1);
        QVERIFY(std::equal(a.validation.y.i32(), a.validation.y.i32() + a.validation.y.size(),
                           again.validation.y.i32()));
    }

    // What the list says of each dataset (the Train panel checks a model against it before loading).
    void listedShapesAndClassesAreWhatLoads() {
        for (const data::BuiltinDatasetInfo& info : data::listBuiltinDatasets()) {
            if (info.name.find(':') != std::string::npos) continue;
            if (info.name == "fashion-mnist" && !QFileInfo::exists("/usr/share/datasets/fashion-mnist")) continue;
            const data::DatasetSplits s = data::loadBuiltinDataset(info.name);
            QVERIFY2(s.train.featureShape() == info.sample, info.name.c_str());
            QCOMPARE(s.train.numClasses, info.classes);
        }
    }

    void irisIsStandardizedOnTheTrainingSplit() {
        const DatasetSplits s = loadBuiltinDataset("iris");
        QCOMPARE(s.train.size() + s.validation.size() + s.test.size(), int64_t(150));
        QCOMPARE(s.test.size(), int64_t(30));
        QCOMPARE(classCounts(s.test), (std::vector<int>{10, 10, 10}));
        QCOMPARE(s.train.featureShape(), (Shape{4}));
        QCOMPARE(s.train.classNames,
                 (std::vector<std::string>{"setosa", "versicolor", "virginica"}));
        for (int f = 0; f < 4; ++f)
            QVERIFY(std::abs(featureMean(s.train, f)) < 1e-5);
    }

    void wineLoads178SamplesOf13Features() {
        const DatasetSplits s = loadBuiltinDataset("wine");
        QCOMPARE(s.train.size() + s.validation.size() + s.test.size(), int64_t(178));
        QCOMPARE(s.train.featureShape(), (Shape{13}));
        QCOMPARE(s.train.numClasses, 3);
    }

    void fashionMnistLoadsWhenInstalled() {
        if (!QFileInfo::exists(QString::fromLatin1(kFashionMnistDir)))
            STRATA_SKIP_UNLESS_REQUIRED("dataset 'fashion-mnist' needs the Debian package dataset-fashion-mnist "
                  "(apt-get install dataset-fashion-mnist); not found in "
                  "/usr/share/datasets/fashion-mnist");
        QElapsedTimer timer;
        timer.start();
        const DatasetSplits s = loadBuiltinDataset("fashion-mnist");
        qInfo("loaded fashion-mnist in %lld ms", timer.elapsed());
        QCOMPARE(s.train.size(), int64_t(54000));
        QCOMPARE(s.validation.size(), int64_t(6000));
        QCOMPARE(s.test.size(), int64_t(10000));
        QCOMPARE(s.train.featureShape(), (Shape{28, 28, 1}));
        QCOMPARE(s.test.numClasses, 10);
        QCOMPARE(classCounts(s.validation), std::vector<int>(10, 600));
        QCOMPARE(QString::fromStdString(s.train.classNames[9]), QStringLiteral("Ankle boot"));
        const auto [lo, hi] = std::minmax_element(s.test.x.f32(), s.test.x.f32() + s.test.x.size());
        QCOMPARE(*lo, 0.0f);
        QCOMPARE(*hi, 1.0f);
    }

    void missingFashionMnistPackageIsNamed() {
        QCOMPARE(
            errorOf([] { loadFashionMnist("/nonexistent/fashion-mnist"); }),
            QStringLiteral("dataset 'fashion-mnist' needs the Debian package dataset-fashion-mnist "
                           "(apt-get install dataset-fashion-mnist); not found in "
                           "/nonexistent/fashion-mnist"));
    }

    void mnistFolderLoadsIdxFiles() {
        QTemporaryDir dir;
        writeGzip(dir.filePath("train-images-idx3-ubyte.gz"),
                  idxBytes({20, 2, 2}, sequenceBytes(80)));
        QByteArray trainLabels;
        for (int i = 0; i < 20; ++i)
            trainLabels.append(char(i % 4));
        writeGzip(dir.filePath("train-labels-idx1-ubyte.gz"), idxBytes({20}, trainLabels));
        writeBytes(dir.filePath("t10k-images-idx3-ubyte"), idxBytes({5, 2, 2}, sequenceBytes(20)));
        writeBytes(dir.filePath("t10k-labels-idx1-ubyte"), idxBytes({5}, sequenceBytes(5)));
        const DatasetSplits s = loadBuiltinDataset("mnist:" + dir.path().toStdString());
        QCOMPARE(s.train.size(), int64_t(18));
        QCOMPARE(s.validation.size(), int64_t(2));
        QCOMPARE(s.test.size(), int64_t(5));
        QCOMPARE(s.test.featureShape(), (Shape{2, 2, 1}));
        QCOMPARE(s.train.numClasses, 5); // the test labels go up to 4
        QCOMPARE(s.test.x.f32()[19], 19.0f / 255.0f);
    }

    void mnistFolderNamesTheMissingFile() {
        QTemporaryDir dir;
        const QString e = errorOf([&] { loadBuiltinDataset("mnist:" + dir.path().toStdString()); });
        QVERIFY2(e.contains("no train-images-idx3-ubyte[.gz] in " + dir.path()), qPrintable(e));
    }

    void unknownNameListsKnownDatasets() {
        QCOMPARE(errorOf([] { loadBuiltinDataset("cifar"); }),
                 QStringLiteral("unknown dataset 'cifar'; known datasets: digits, iris, wine, "
                                "fashion-mnist, mnist:DIR"));
        QCOMPARE(listBuiltinDatasets().front().name, std::string("digits"));
    }

    void missingResourceFileListsTheFoldersSearched() {
        const QString e = errorOf([] { findDatasetFile("no-such-dataset.csv"); });
        QVERIFY2(e.contains("no-such-dataset.csv") && e.contains("STRATA_RESOURCES"),
                 qPrintable(e));
        QVERIFY(findDatasetFile("iris.csv").filename() == "iris.csv");
    }
};

QTEST_APPLESS_MAIN(TestBuiltinDatasets)
#include "tst_builtindatasets.moc"
