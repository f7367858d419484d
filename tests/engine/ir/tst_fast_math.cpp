// The CPU backend's own e^x, sigmoid and tanh (engine/cpu/Activations.h: branch-free so that the
// gate loops of the recurrent layers vectorize) against the C library's, in float64, over every
// 1/64 step of [-100, 100] plus the edges: relative error within a few float32 ulp (absolute near
// tanh's zero and sigmoid's tail), saturation to the right limits, NaN kept.
#include "engine/cpu/Activations.h"

#include <QtTest>

#include <cmath>
#include <limits>

using namespace strata::cpu;

class TestFastMath : public QObject {
    Q_OBJECT
private slots:
    void expIsWithinTwoUlp() {
        double worst = 0;
        for (int i = -87 * 256; i <= 88 * 256; ++i) {
            const float x = float(i) / 256.0f;
            const double want = std::exp(double(x)), got = expFast(x);
            worst = std::max(worst, std::abs(got - want) / want);
        }
        QVERIFY2(worst < 2.5e-7, qPrintable(QString("worst relative error %1").arg(worst)));
        QVERIFY(expFast(-1000.0f) > 0.0f && expFast(-1000.0f) < 2e-38f); // clamped, still a normal float
        QVERIFY(std::isfinite(expFast(1000.0f)));
        QCOMPARE(expFast(0.0f), 1.0f);
    }

    void sigmoidAndTanhMatchTheLibrary() {
        double worstSigmoid = 0, worstTanh = 0;
        for (int i = -100 * 64; i <= 100 * 64; ++i) {
            const float x = float(i) / 64.0f;
            const double s = 1.0 / (1.0 + std::exp(-double(x))), t = std::tanh(double(x));
            worstSigmoid = std::max(worstSigmoid, std::abs(sigmoidf(x) - s) / (s + 1e-30) * (s > 1e-30 ? 1 : 0));
            worstTanh = std::max(worstTanh, std::abs(tanhFast(x) - t) / std::max(std::abs(t), 1e-30));
        }
        // Float32 results: a few ulp (1 ulp is 6e-8 relative).
        QVERIFY2(worstSigmoid < 5e-7, qPrintable(QString("sigmoid: worst relative error %1").arg(worstSigmoid)));
        QVERIFY2(worstTanh < 5e-7, qPrintable(QString("tanh: worst relative error %1").arg(worstTanh)));
        // Near zero tanh keeps its relative precision (the polynomial branch).
        QVERIFY(std::abs(tanhFast(1e-6f) - 1e-6f) < 1e-12f);
        QCOMPARE(tanhFast(50.0f), 1.0f);
        QCOMPARE(tanhFast(-50.0f), -1.0f);
        QCOMPARE(sigmoidf(100.0f), 1.0f);
        QVERIFY(sigmoidf(-100.0f) >= 0.0f && sigmoidf(-100.0f) < 1e-37f);
        QCOMPARE(sigmoidf(0.0f), 0.5f);
        const float nan = std::numeric_limits<float>::quiet_NaN();
        QVERIFY(std::isnan(tanhFast(nan)));
        QVERIFY(std::isnan(sigmoidf(nan)));
    }
};

QTEST_APPLESS_MAIN(TestFastMath)
#include "tst_fast_math.moc"
