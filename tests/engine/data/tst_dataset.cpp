// Dataset helpers: subsets, reshaping features to a model input, label range checks.
#include "DataTestFiles.h"
#include "engine/Error.h"
#include "engine/data/Dataset.h"

#include <QTest>

using namespace strata;
using namespace strata::data;

namespace {
using datatest::errorOf;

Dataset digitsLike(int64_t n) {
    Dataset d;
    d.name = "digits";
    d.numClasses = 10;
    d.x = Tensor(Shape{n, 64});
    d.y = Tensor(Shape{n}, DType::I32);
    for (int64_t i = 0; i < n; ++i) {
        d.x.f32()[64 * i] = float(i);
        d.y.i32()[i] = int32_t(i % 10);
    }
    return d;
}
} // namespace

class TestDataset : public QObject {
    Q_OBJECT

  private slots:
    void subsetCopiesRowsInIndexOrder() {
        const Dataset d = digitsLike(5);
        const std::vector<int64_t> picks{4, 1, 1};
        const Dataset s = d.subset(picks);
        QCOMPARE(s.size(), int64_t(3));
        QCOMPARE(s.x.f32()[0], 4.0f);
        QCOMPARE(s.x.f32()[64 * 2], 1.0f);
        QCOMPARE(s.y.i32()[0], 4);
        QCOMPARE(s.numClasses, 10);
        QCOMPARE(d.take(2).size(), int64_t(2));
        QCOMPARE(d.take(99).size(), int64_t(5));
        const std::vector<int64_t> bad{5};
        QVERIFY(errorOf([&] { d.subset(bad); }).contains("sample index 5 is out of range [0, 5)"));
    }

    void reshapeFeaturesFollowsTheModelInput() {
        Dataset d = digitsLike(3);
        reshapeFeatures(d, Shape{8, 8, 1}, "pixels");
        QCOMPARE(d.x.shape(), (Shape{3, 8, 8, 1}));
        QCOMPARE(d.x.f32()[64], 1.0f);
        reshapeFeatures(d, Shape{kUnknownDim, 8, 1}, "pixels"); // compatible as it is
        QCOMPARE(d.featureShape(), (Shape{8, 8, 1}));
    }

    void reshapeFeaturesErrorNamesBothShapes() {
        Dataset d = digitsLike(2);
        QCOMPARE(errorOf([&] {
                     reshapeFeatures(d, Shape{28, 28, 1}, "pixels");
                 }),
                 QStringLiteral(
                     "dataset 'digits' has samples of shape (64,) (64 values) but the model input "
                     "'pixels' expects (28, 28, 1) (784 values)"));
        QVERIFY(errorOf([&] {
                    reshapeFeatures(d, Shape{kUnknownDim, 3}, "pixels");
                }).contains("expects (None, 3)"));
    }

    void labelOutsideModelClassesNamesValueAndSample() {
        Dataset d = digitsLike(12);
        checkLabelRange(d, 10);
        d.y.i32()[7] = 12;
        QCOMPARE(
            errorOf([&] { checkLabelRange(d, 10); }),
            QStringLiteral(
                "dataset 'digits': label 12 of sample 7 is outside [0, 10): the model's output has "
                "10 classes"));
        QVERIFY(
            errorOf([&] { checkLabelRange(digitsLike(12), 5); }).contains("label 5 of sample 5"));
    }

    void validateCatchesInconsistentData() {
        Dataset d = digitsLike(3);
        d.validate();
        d.y = Tensor(Shape{2}, DType::I32);
        QVERIFY(errorOf([&] { d.validate(); }).contains("3 samples of features"));
    }

    void datasetFromArraysInfersTheTask() {
        const Dataset classes =
            datasetFromArrays("c", Tensor(Shape{2, 3}, DType::I32),
                              Tensor::fromVector(Shape{2}, std::vector<int32_t>{0, 4}));
        QCOMPARE(classes.x.dtype(), DType::F32);
        QCOMPARE(classes.numClasses, 5);
        const Dataset regression = datasetFromArrays("r", Tensor(Shape{2, 3}), Tensor(Shape{2}));
        QCOMPARE(regression.numClasses, 0);
        QCOMPARE(regression.y.shape(), (Shape{2, 1}));
        QVERIFY(errorOf([] {
                    datasetFromArrays("n", Tensor(Shape{1, 1}),
                                      Tensor::fromVector(Shape{1}, std::vector<int32_t>{-2}));
                }).contains("label -2 of sample 0 is negative"));
    }
};

QTEST_APPLESS_MAIN(TestDataset)
#include "tst_dataset.moc"
