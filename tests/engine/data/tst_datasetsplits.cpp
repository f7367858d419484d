// Random and stratified splits (sizes, disjointness, class proportions, determinism) and the
// normalization fitted on the training split.
#include "engine/Error.h"
#include "engine/data/DatasetSplits.h"
#include "engine/data/Normalization.h"

#include <QTest>

#include <algorithm>
#include <cmath>
#include <set>

using namespace strata;
using namespace strata::data;

namespace {
// n samples; feature 0 is the sample index; labels follow `classSizes` (class c repeated).
Dataset labelled(const std::vector<int>& classSizes) {
    int n = 0;
    for (int s : classSizes)
        n += s;
    Dataset d;
    d.name = "labelled";
    d.numClasses = int(classSizes.size());
    d.x = Tensor(Shape{n, 2});
    d.y = Tensor(Shape{n}, DType::I32);
    int i = 0;
    for (int c = 0; c < int(classSizes.size()); ++c)
        for (int k = 0; k < classSizes[std::size_t(c)]; ++k, ++i) {
            d.x.f32()[2 * i] = float(i);
            d.x.f32()[2 * i + 1] = float(c * 10 + k % 3);
            d.y.i32()[i] = c;
        }
    return d;
}

std::vector<int> ids(const Dataset& d) {
    std::vector<int> out;
    for (int64_t i = 0; i < d.size(); ++i)
        out.push_back(int(d.x.f32()[2 * i]));
    return out;
}

std::vector<int> classCounts(const Dataset& d) {
    std::vector<int> counts(std::size_t(d.numClasses), 0);
    for (int64_t i = 0; i < d.size(); ++i)
        ++counts[std::size_t(d.y.i32()[i])];
    return counts;
}
} // namespace

class TestDatasetSplits : public QObject {
    Q_OBJECT

  private slots:
    void randomSplitPartitionsEverySample() {
        const DatasetSplits s = randomSplit(labelled({50, 50}), 0.1, 0.2, 9);
        QCOMPARE(s.train.size(), int64_t(70));
        QCOMPARE(s.validation.size(), int64_t(10));
        QCOMPARE(s.test.size(), int64_t(20));
        std::multiset<int> all;
        for (const Dataset* d : {&s.train, &s.validation, &s.test})
            for (int id : ids(*d))
                all.insert(id);
        QCOMPARE(all.size(), std::size_t(100));
        QCOMPARE(std::set<int>(all.begin(), all.end()).size(), std::size_t(100));
    }

    void stratifiedSplitKeepsClassProportions() {
        const TwoWaySplit cut = stratifiedHoldOut(labelled({60, 30, 10}), 0.2, 1);
        QCOMPARE(classCounts(cut.heldOut), (std::vector<int>{12, 6, 2}));
        QCOMPARE(classCounts(cut.kept), (std::vector<int>{48, 24, 8}));
        // Uneven shares: the total is still round(fraction * N), spread by largest remainder.
        const TwoWaySplit uneven = stratifiedHoldOut(labelled({7, 7, 7}), 0.2, 1);
        QCOMPARE(uneven.heldOut.size(), int64_t(4));
        for (int count : classCounts(uneven.heldOut))
            QVERIFY(count == 1 || count == 2);
    }

    void splitsKeepOriginalOrderWithinEachPart() {
        const TwoWaySplit cut = randomHoldOut(labelled({40}), 0.25, 4);
        const std::vector<int> kept = ids(cut.kept);
        QVERIFY(std::is_sorted(kept.begin(), kept.end()));
    }

    void sameSeedSameSplitOtherSeedOtherSplit() {
        const Dataset d = labelled({30, 30});
        QCOMPARE(ids(stratifiedHoldOut(d, 0.3, 5).heldOut),
                 ids(stratifiedHoldOut(d, 0.3, 5).heldOut));
        QVERIFY(ids(stratifiedHoldOut(d, 0.3, 5).heldOut) !=
                ids(stratifiedHoldOut(d, 0.3, 6).heldOut));
        QVERIFY(ids(randomHoldOut(d, 0.3, 5).heldOut) != ids(randomHoldOut(d, 0.3, 6).heldOut));
    }

    void validationIsCarvedFromTrain() {
        DatasetSplits s = stratifiedSplit(labelled({50, 50}), 0.0, 0.2, 3);
        QCOMPARE(s.validation.size(), int64_t(0));
        const std::vector<int> test = ids(s.test);
        validationFromTrain(s, 0.1, 8);
        QCOMPARE(s.train.size(), int64_t(72));
        QCOMPARE(s.validation.size(), int64_t(8));
        QCOMPARE(classCounts(s.validation), (std::vector<int>{4, 4}));
        QCOMPARE(ids(s.test), test);
    }

    void badFractionsRejected() {
        const Dataset d = labelled({10});
        QVERIFY_THROWS_EXCEPTION(StrataError, randomSplit(d, 0.5, 0.5, 1));
        QVERIFY_THROWS_EXCEPTION(StrataError, randomHoldOut(d, 1.5, 1));
        QVERIFY_THROWS_EXCEPTION(StrataError, stratifiedHoldOut(d, -0.1, 1));
    }

    void standardizerUsesTrainingStatisticsOnly() {
        DatasetSplits s;
        s.train.x = Tensor::fromVector(Shape{4, 2}, std::vector<float>{1, 5, 2, 5, 3, 5, 4, 5});
        s.test.x = Tensor::fromVector(Shape{1, 2}, std::vector<float>{2.5f, 7});
        const Standardizer fitted = standardize(s);
        QCOMPARE(fitted.mean()[0], 2.5f);
        QCOMPARE(fitted.stddev()[1], 1.0f); // constant feature: divide by 1, not by 0
        double sumSq = 0;
        for (int i = 0; i < 4; ++i)
            sumSq += double(s.train.x.f32()[2 * i]) * s.train.x.f32()[2 * i];
        QVERIFY(std::abs(sumSq / 4 - 1.0) < 1e-6);
        QCOMPARE(s.test.x.f32()[0], 0.0f); // the training mean maps to 0
        QCOMPARE(s.test.x.f32()[1], 2.0f); // (7 - 5) / 1
    }

    void scaleMultipliesEveryFeature() {
        Dataset d = labelled({2});
        scale(d, 0.5f);
        QCOMPARE(d.x.f32()[2], 0.5f);
    }
};

QTEST_APPLESS_MAIN(TestDatasetSplits)
#include "tst_datasetsplits.moc"
