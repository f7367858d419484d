// strata-cli summary and check on the shipped examples and on broken specs: output, JSON and
// exit codes; --help and --version on every command.
#include "CliTestSupport.h"

#include <QDir>
#include <QProcess>
#include "tests/support/RequiredTools.h"
#include <QtTest>

#include <nlohmann/json.hpp>

using namespace strata::cli;
using namespace strata::cli::test;

namespace {
std::string specFile(const char* name) { return std::string(STRATA_TEST_DATA_DIR) + "/specs/" + name; }
} // namespace

class TestCli : public QObject {
    Q_OBJECT
private slots:
    void summaryJsonOnExamples_data() {
        QTest::addColumn<QString>("file");
        QTest::addColumn<qint64>("total");
        QTest::addColumn<qint64>("nonTrainable");
        QTest::addColumn<QString>("lastShape");
        QTest::newRow("digits_mlp") << "digits_mlp.json" << qint64(2410) << qint64(0) << "[null,10]";
        QTest::newRow("fashion_mlp") << "fashion_mlp.json" << qint64(101770) << qint64(0) << "[null,10]";
        QTest::newRow("mnist_cnn") << "mnist_cnn.json" << qint64(34826) << qint64(0) << "[null,10]";
        QTest::newRow("two_branch") << "two_branch.json" << qint64(10282) << qint64(128) << "[null,10]";
        QTest::newRow("autoencoder") << "autoencoder.json" << qint64(4744) << qint64(0) << "[null,64]";
        QTest::newRow("fashion_autoencoder") << "fashion_autoencoder.json" << qint64(3217) << qint64(0) << "[null,28,28,1]";
        // Conv1D 32 k3 on 8 channels (800), Conv1D 32 k3 on 32 (3104), Dense 10 on 32 (330)
        QTest::newRow("conv1d_sequence") << "conv1d_sequence.json" << qint64(800 + 3104 + 330) << qint64(0) << "[null,10]";
        // Embedding 64x16 (1024), LSTM 64 on 16 (4 * 64 * (16 + 64 + 1) = 20736), Dense 5 on 64 (325)
        QTest::newRow("char_lstm_language") << "char_lstm_language.json" << qint64(1024 + 20736 + 325) << qint64(0) << "[null,5]";
    }
    void summaryJsonOnExamples() {
        QFETCH(QString, file);
        QFETCH(qint64, total);
        QFETCH(qint64, nonTrainable);
        QFETCH(QString, lastShape);
        auto r = run({"summary", example(file.toUtf8().constData()), "--json"});
        QCOMPARE(r.code, 0);
        auto j = nlohmann::json::parse(r.out);
        QCOMPARE(j["total_params"].get<qint64>(), total);
        QCOMPARE(j["non_trainable_params"].get<qint64>(), nonTrainable);
        QCOMPARE(j["trainable_params"].get<qint64>(), total - nonTrainable);
        QCOMPARE(QString::fromStdString(j["layers"].back()["output_shape"].dump()), lastShape);
        qint64 sum = 0;
        for (const auto& l : j["layers"]) {
            for (const char* key : {"name", "type", "output_shape", "params", "trainable_params", "inbound"})
                QVERIFY2(l.contains(key), key);
            sum += l["params"].get<qint64>();
        }
        QCOMPARE(sum, total);
    }

    void summaryTextOnExample() {
        auto r = run({"summary", example("digits_mlp.json")});
        QCOMPARE(r.code, 0);
        QVERIFY(QString::fromStdString(r.out).contains("Total params: 2,410 (9.41 KB)"));
        QVERIFY(QString::fromStdString(r.out).contains("dense_1 (Dense)"));
    }

    void checkAcceptsExamples() {
        for (const char* f : {"digits_mlp.json", "fashion_mlp.json", "mnist_cnn.json", "two_branch.json", "autoencoder.json", "fashion_autoencoder.json",
                              "two_heads.json", "fashion_augmented.json", "conv1d_sequence.json", "char_lstm_language.json"}) {
            auto r = run({"check", example(f)});
            QVERIFY2(r.code == 0, (f + (": " + r.out)).c_str());
            QVERIFY(QString::fromStdString(r.out).contains("valid"));
        }
    }

    void checkPrintsEveryErrorOnePerLine() {
        auto r = run({"check", specFile("broken_shapes.json")});
        QCOMPARE(r.code, 1);
        const QStringList lines = QString::fromStdString(r.out).trimmed().split('\n');
        QCOMPARE(lines.size(), 3);
        QVERIFY(lines.filter(QRegularExpression("^b: activation: unknown activation \"rellu\"")).size() == 1);
        QVERIFY(lines.filter(QRegularExpression("^sum: needs inputs whose sizes agree or are 1 on every axis \\(NumPy broadcasting\\), got \\[\\(None, 3\\), \\(None, 4\\)\\]")).size() == 1);
        QVERIFY(lines.filter(QRegularExpression("^out: unknown inbound layer 'missing'")).size() == 1);
    }

    void summaryOfBrokenSpecFailsWithErrors() {
        auto r = run({"summary", specFile("broken_shapes.json"), "--json"});
        QCOMPARE(r.code, 1);
        QVERIFY(r.out.empty());
        QVERIFY(QString::fromStdString(r.err).contains("out: unknown inbound layer 'missing'"));
    }

    void notJsonOrNotSpecExitsTwoWithOneLine_data() {
        QTest::addColumn<QString>("command");
        QTest::addColumn<QString>("file");
        QTest::addColumn<QString>("fragment");
        for (const char* cmd : {"check", "summary"}) {
            QTest::newRow((std::string(cmd) + " not json").c_str()) << cmd << "not_json.json" << "not_json.json:3: not valid JSON";
            QTest::newRow((std::string(cmd) + " number overflow").c_str())
                << cmd << "number_overflow.json" << "number_overflow.json: not valid JSON (number overflow parsing '1e309')";
            QTest::newRow((std::string(cmd) + " not spec").c_str()) << cmd << "not_a_spec.json" << "not a model spec";
            QTest::newRow((std::string(cmd) + " missing").c_str()) << cmd << "nowhere.json" << "cannot open the file";
        }
    }
    void notJsonOrNotSpecExitsTwoWithOneLine() {
        QFETCH(QString, command);
        QFETCH(QString, file);
        QFETCH(QString, fragment);
        auto r = run({command.toStdString(), specFile(file.toUtf8().constData())});
        QCOMPARE(r.code, 2);
        QVERIFY2(QString::fromStdString(r.err).contains(fragment), r.err.c_str());
        QCOMPARE(QString::fromStdString(r.err).trimmed().count('\n'), 0);
    }

    void helpAndVersionOnEveryCommand() {
        for (const char* cmd : {"summary", "check", "import"}) {
            auto h = run({cmd, "--help"});
            QCOMPARE(h.code, 0);
            QVERIFY(QString::fromStdString(h.out).startsWith(QString("usage: strata-cli ") + cmd));
            auto v = run({cmd, "--version"});
            QCOMPARE(v.code, 0);
            QVERIFY(QString::fromStdString(v.out).startsWith("strata-cli "));
        }
        QCOMPARE(run({"--help"}).code, 0);
        QCOMPARE(run({"--version"}).code, 0);
        QCOMPARE(run({}).code, 2);
        QCOMPARE(run({"frobnicate"}).code, 2);
        QCOMPARE(run({"summary", example("digits_mlp.json"), "--bogus"}).code, 2);
    }

    void realBinaryExitCodes() {
        const QString bin = QCoreApplication::applicationDirPath() + "/../app/strata-cli";
        if (!QFileInfo::exists(bin)) STRATA_SKIP_UNLESS_REQUIRED("strata-cli binary not built next to the tests");
        QProcess p;
        p.start(bin, {"check", QString::fromStdString(specFile("broken_shapes.json"))});
        QVERIFY(p.waitForFinished(10000));
        QCOMPARE(p.exitCode(), 1);
        p.start(bin, {"summary", "--json", QString::fromStdString(example("two_branch.json"))});
        QVERIFY(p.waitForFinished(10000));
        QCOMPARE(p.exitCode(), 0);
        QCOMPARE(nlohmann::json::parse(p.readAllStandardOutput().toStdString())["total_params"].get<int>(), 10282);
        // import of a file that is not ONNX: exit 2, one line naming the file (ONNX import itself: tst_onnx_import)
        const QString spec = QString::fromStdString(example("two_branch.json"));
        p.start(bin, {"import", spec, "--out", QDir::tempPath() + "/strata_tst_cli_never_written"});
        QVERIFY(p.waitForFinished(10000));
        QCOMPARE(p.exitCode(), 2);
        const QString err = QString::fromUtf8(p.readAllStandardError());
        QVERIFY2(err.startsWith("strata-cli import: " + spec + ": "), qPrintable(err));
        QVERIFY(!QFileInfo::exists(QDir::tempPath() + "/strata_tst_cli_never_written"));
    }
};

QTEST_GUILESS_MAIN(TestCli)
#include "tst_cli.moc"
