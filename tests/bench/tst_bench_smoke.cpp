// strata-bench at toy sizes: every subcommand the benchmark script and the issues quote still
// runs and prints one JSON line with its figures and peak RSS (the figures themselves are
// measured by tests/bench/run_gpu_benchmarks.sh and train_vs_pytorch.py, never here).
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include "tests/support/RequiredTools.h"
#include <QtTest>

namespace {

// The last line of the command's output that parses as a JSON object; `why` on failure.
QJsonObject bench(const QStringList& args, QString& why) {
    QProcess p;
    p.setProcessChannelMode(QProcess::MergedChannels);
    p.start(STRATA_BENCH_EXE, args);
    if (!p.waitForFinished(300000)) {
        p.kill();
        why = "strata-bench " + args.join(' ') + " did not finish in 300 s";
        return {};
    }
    const QList<QByteArray> lines = p.readAll().split('\n');
    for (auto it = lines.rbegin(); it != lines.rend(); ++it) {
        const QJsonDocument d = QJsonDocument::fromJson(it->trimmed());
        if (d.isObject()) return d.object();
    }
    why = "strata-bench " + args.join(' ') + " printed no JSON line (exit " + QString::number(p.exitCode()) + ")";
    return {};
}

bool noVulkan(const QJsonObject& o) {
    const QString e = o.value("error").toString();
    return e.contains("Vulkan") && (e.contains("no Vulkan") || e.contains("without Vulkan") || e.contains("loader"));
}

} // namespace

class TestBenchSmoke : public QObject {
    Q_OBJECT

private slots:
    void cpuBenchmarks_data() {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<QString>("figure");
        QTest::newRow("gemm openblas") << QStringList{"gemm", "--backend", "openblas", "--n", "64", "--threads", "1"} << "gflops";
        QTest::newRow("op-chain cpu") << QStringList{"op-chain", "--backend", "cpu", "--ops", "10"} << "us_per_op";
        QTest::newRow("train-device cpu") << QStringList{"train-device", "--backend", "cpu", "--model", "digits_mlp", "--steps", "5",
                                                         "--batch", "16", "--data", "synthetic"}
                                          << "samples_per_second";
    }
    void cpuBenchmarks() {
        QFETCH(QStringList, args);
        QFETCH(QString, figure);
        QString why;
        const QJsonObject o = bench(args, why);
        QVERIFY2(!o.isEmpty(), qPrintable(why));
        QVERIFY2(!o.contains("error"), qPrintable(o.value("error").toString()));
        QVERIFY2(o.value(figure).toDouble() > 0, qPrintable(figure + " in " + QJsonDocument(o).toJson(QJsonDocument::Compact)));
        QVERIFY(o.value("peak_rss_bytes").toDouble() > 1e6);
        if (args.first() == "train-device") QVERIFY(o.value("host_cpu_us_per_step").toDouble() > 0);
    }

    void vulkanGemmAndStep() {
        QString why;
        const QJsonObject gemm = bench({"gemm-vulkan", "--n", "64", "--repeat", "2"}, why);
        QVERIFY2(!gemm.isEmpty(), qPrintable(why));
        if (noVulkan(gemm)) STRATA_SKIP_UNLESS_REQUIRED(gemm.value("error").toString().toStdString());
        QVERIFY2(!gemm.contains("error"), qPrintable(gemm.value("error").toString()));
        QVERIFY(gemm.value("gflops").toDouble() > 0);
        QVERIFY(gemm.value("max_rel_error").toDouble() < 1e-3);
        QVERIFY(gemm.value("submissions").toInt() >= 3);

        const QJsonObject step = bench({"train-device", "--backend", "vulkan", "--model", "digits_mlp", "--steps", "4", "--batch", "16",
                                        "--data", "synthetic"},
                                       why);
        QVERIFY2(!step.contains("error"), qPrintable(step.value("error").toString()));
        QVERIFY(step.value("samples_per_second").toDouble() > 0);
        const int dispatches = step.value("dispatches_per_step").toInt(), barriers = step.value("barriers_per_step").toInt();
        QVERIFY2(dispatches > 10 && barriers > 0 && barriers < dispatches, qPrintable(QString("%1 dispatches, %2 barriers").arg(dispatches).arg(barriers)));
    }

    void vulkanStepProfile() {
        QString why;
        const QJsonObject o = bench({"step-profile", "--model", "digits_mlp", "--steps", "2", "--batch", "16", "--top", "5"}, why);
        QVERIFY2(!o.isEmpty(), qPrintable(why));
        if (noVulkan(o)) STRATA_SKIP_UNLESS_REQUIRED(o.value("error").toString().toStdString());
        if (o.value("error").toString().contains("timestamp")) QSKIP("no timestamp queries on this device");
        QVERIFY2(!o.contains("error"), qPrintable(o.value("error").toString()));
        QCOMPARE(o.value("runs").toInt(), 2);
        QVERIFY(o.value("commands").toInt() > 10);
        const QJsonArray slowest = o.value("slowest").toArray();
        QCOMPARE(slowest.size(), 5);
        double previous = 1e300, sum = 0;
        for (const QJsonValue& v : slowest) {
            const QJsonObject k = v.toObject();
            QVERIFY(!k.value("op").toString().isEmpty() && !k.value("kernel").toString().isEmpty());
            QVERIFY(k.value("us").toDouble() <= previous); // slowest first
            previous = k.value("us").toDouble();
        }
        const QJsonObject perKernel = o.value("us_per_kernel").toObject();
        QVERIFY(perKernel.contains("adam"));
        for (const QJsonValue& v : perKernel) sum += v.toDouble();
        QVERIFY2(std::abs(sum - o.value("us_per_step").toDouble()) <= 1e-6 * sum + 1e-3, "the kernels add up to the step");
    }
};

QTEST_APPLESS_MAIN(TestBenchSmoke)
#include "tst_bench_smoke.moc"
