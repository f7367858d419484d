// The histograms a run records per variable and epoch (engine/train/Histogram.h): hand-worked
// small cases, and NumPy's np.histogram(x, bins=30), mean and std on random data with values on
// the edges, a constant tensor, negative ranges and non-finite values.
#include "engine/train/Histogram.h"

#include "engine/Error.h"
#include "tests/support/RequiredTools.h"

#include <QProcess>
#include <QtTest>

#include <cmath>
#include <limits>
#include <random>

using namespace strata;
using namespace strata::train;

class TestHistogram : public QObject {
    Q_OBJECT
private slots:
    void handWorked();
    void constantAndEmpty();
    void nonFinite();
    void quantiles();
    void tensorDtype();
    void matchesNumpy();
};

void TestHistogram::handWorked() {
    // [0, 4] in 4 bins: edges 0 1 2 3 4; 1 and 2 open their bins, 4 closes the last.
    const std::vector<float> x{0, 1, 1.5f, 2, 3.999f, 4};
    const Histogram h = histogramOf(x, 4);
    QCOMPARE(h.count, 6);
    QCOMPARE(h.nonFinite, 0);
    QCOMPARE(h.min, 0.0);
    QCOMPARE(h.max, 4.0);
    QCOMPARE(h.bins, (std::vector<uint32_t>{1, 2, 1, 2}));
    double mean = 0;
    for (float v : x) mean += v;
    mean /= 6;
    double var = 0;
    for (float v : x) var += (v - mean) * (v - mean);
    QVERIFY(std::fabs(h.mean - mean) < 1e-12);
    QVERIFY(std::fabs(h.std - std::sqrt(var / 6)) < 1e-12);
    QCOMPARE(histogramEdges(0, 4, 4), (std::vector<double>{0, 1, 2, 3, 4}));
    // The default: 30 bins, every element in one.
    const Histogram d = histogramOf(std::vector<float>{-1, 0.5f, 2});
    QCOMPARE(int(d.bins.size()), kHistogramBins);
    QCOMPARE(d.bins.front(), 1u);
    QCOMPARE(d.bins.back(), 1u);
    QCOMPARE(d.bins[15], 1u); // (0.5 + 1) / 3 * 30 = 15
}

void TestHistogram::constantAndEmpty() {
    // np.histogram([2, 2, 2], bins=3): range (1.5, 2.5), edges 1.5 1.8333 2.1667 2.5, all in the middle.
    const Histogram c = histogramOf(std::vector<float>{2, 2, 2}, 3);
    QCOMPARE(c.bins, (std::vector<uint32_t>{0, 3, 0}));
    QCOMPARE(c.min, 2.0);
    QCOMPARE(c.max, 2.0);
    QCOMPARE(c.std, 0.0);
    const std::vector<double> e = histogramEdges(2, 2, 2);
    QCOMPARE(e, (std::vector<double>{1.5, 2, 2.5}));
    const Histogram empty = histogramOf(std::vector<float>{}, 5);
    QCOMPARE(empty.count, 0);
    QCOMPARE(empty.bins, std::vector<uint32_t>(5, 0));
    QVERIFY_THROWS_EXCEPTION(StrataError, histogramOf(std::vector<float>{1}, 0));
}

void TestHistogram::nonFinite() {
    const float inf = std::numeric_limits<float>::infinity(), nan = std::numeric_limits<float>::quiet_NaN();
    const Histogram h = histogramOf(std::vector<float>{nan, -1, inf, 1, -inf}, 2);
    QCOMPARE(h.count, 5);
    QCOMPARE(h.nonFinite, 3);
    QCOMPARE(h.min, -1.0);
    QCOMPARE(h.max, 1.0);
    QCOMPARE(h.mean, 0.0);
    QCOMPARE(h.std, 1.0);
    QCOMPARE(h.bins, (std::vector<uint32_t>{1, 1}));
    const Histogram all = histogramOf(std::vector<float>{nan, nan}, 2);
    QCOMPARE(all.nonFinite, 2);
    QCOMPARE(all.bins, (std::vector<uint32_t>{0, 0}));
}

void TestHistogram::quantiles() {
    // 10 elements in [0, 10], 1 per bin: the quantile is q * 10.
    const std::vector<uint32_t> flat(10, 1);
    QCOMPARE(histogramQuantile(flat, 0, 10, 0), 0.0);
    QCOMPARE(histogramQuantile(flat, 0, 10, 0.5), 5.0);
    QCOMPARE(histogramQuantile(flat, 0, 10, 0.25), 2.5);
    QCOMPARE(histogramQuantile(flat, 0, 10, 1), 10.0);
    // Two bins: 3 in [0, 1), 1 in [1, 2]; the median is 2/3 through the first bin.
    QVERIFY(std::fabs(histogramQuantile({3, 1}, 0, 2, 0.5) - 2.0 / 3.0) < 1e-12);
    QCOMPARE(histogramQuantile({0, 0}, -1, 1, 0.5), -1.0);
}

void TestHistogram::tensorDtype() {
    const Histogram h = histogramOf(Tensor::fromVector(Shape{2, 2}, std::vector<float>{1, 2, 3, 4}), 3);
    QCOMPARE(h.count, 4);
    QCOMPARE(h.bins, (std::vector<uint32_t>{1, 1, 2})); // edges 1 2 3 4: 2 opens bin 1, 3 and 4 in the last
    try {
        histogramOf(Tensor::fromVector(Shape{1}, std::vector<int32_t>{1}));
        QFAIL("an int32 tensor was accepted");
    } catch (const StrataError& e) {
        QVERIFY(QString(e.what()).contains("int32"));
    }
}

void TestHistogram::matchesNumpy() {
    // Cases: a normal sample; a uniform one with its values rounded onto a grid that hits edges;
    // negative-only; tiny spread; a constant; non-finite mixed in.
    std::mt19937 rng(7);
    std::normal_distribution<float> normal(0.1f, 0.05f);
    std::vector<std::vector<float>> cases(6);
    for (int i = 0; i < 5000; ++i) cases[0].push_back(normal(rng));
    for (int i = 0; i < 3000; ++i) cases[1].push_back(float(int(rng() % 301)) / 10.0f); // 0.0 .. 30.0, edges every 1.0
    for (int i = 0; i < 777; ++i) cases[2].push_back(-1.0f - float(rng() % 1000) / 999.0f);
    for (int i = 0; i < 500; ++i) cases[3].push_back(1.0f + float(rng() % 7) * 1e-6f);
    cases[4].assign(17, -0.25f);
    cases[5] = cases[0];
    cases[5][3] = std::numeric_limits<float>::quiet_NaN();
    cases[5][10] = std::numeric_limits<float>::infinity();
    QByteArray input;
    for (const auto& c : cases) {
        for (float v : c) input += QByteArray::number(double(v), 'g', 9) + ' ';
        input += '\n';
    }
    const char* script = R"(
import sys
try:
    import numpy as np
except ImportError:
    sys.exit(77)
for line in sys.stdin.read().splitlines():
    x = np.array([float(t) for t in line.split()], dtype=np.float32).astype(np.float64)  # the values C++ has
    f = x[np.isfinite(x)]
    counts, edges = np.histogram(f, bins=30)
    print(len(x), len(x) - len(f), repr(float(f.min())), repr(float(f.max())), repr(float(f.mean())), repr(float(f.std())),
          ' '.join(str(int(c)) for c in counts), ' '.join(repr(float(e)) for e in edges))
)";
    QProcess py;
    py.start("/usr/bin/python3", {"-c", script});
    if (!py.waitForStarted()) STRATA_SKIP_UNLESS_REQUIRED("/usr/bin/python3 is not installed");
    py.write(input);
    py.closeWriteChannel();
    QVERIFY(py.waitForFinished(60000));
    if (py.exitCode() == 77) STRATA_SKIP_UNLESS_REQUIRED("numpy is not installed (apt-get install python3-numpy)");
    QCOMPARE(py.exitCode(), 0);
    const QList<QByteArray> lines = py.readAllStandardOutput().trimmed().split('\n');
    QCOMPARE(lines.size(), qsizetype(cases.size()));
    for (std::size_t k = 0; k < cases.size(); ++k) {
        const QList<QByteArray> f = lines[qsizetype(k)].split(' ');
        QCOMPARE(f.size(), qsizetype(6 + 30 + 31));
        const Histogram h = histogramOf(cases[k]);
        QCOMPARE(h.count, f[0].toLongLong());
        QCOMPARE(h.nonFinite, f[1].toLongLong());
        QCOMPARE(h.min, f[2].toDouble());
        QCOMPARE(h.max, f[3].toDouble());
        QVERIFY2(std::fabs(h.mean - f[4].toDouble()) <= 1e-12 * std::max(1.0, std::fabs(h.mean)), qPrintable(QString::number(k)));
        QVERIFY2(std::fabs(h.std - f[5].toDouble()) <= 1e-9 * std::max(1e-6, h.std), qPrintable(QString::number(k)));
        for (int b = 0; b < 30; ++b) QCOMPARE(h.bins[std::size_t(b)], uint32_t(f[6 + b].toUInt()));
        const std::vector<double> edges = histogramEdges(h.min, h.max, 30);
        for (int e = 0; e <= 30; ++e) QCOMPARE(edges[std::size_t(e)], f[36 + e].toDouble());
    }
}

QTEST_GUILESS_MAIN(TestHistogram)
#include "tst_histogram.moc"
