// strata-cli train: JSON lines per epoch and the test line, accuracy on digits, and clear
// messages for bad inputs (shape mismatch, unknown dataset, bad options, loss/output mismatch).
#include "CliTestSupport.h"

#include <QtTest>

#include <nlohmann/json.hpp>

using namespace strata::cli;
using namespace strata::cli::test;


class TestCliTrain : public QObject {
    Q_OBJECT
private slots:
    void digitsMlpJsonLinesAndAccuracy() {
        auto r = run({"train", example("digits_mlp.json"), "--data", "digits", "--epochs", "30", "--batch", "32",
                      "--optimizer", "adam", "--lr", "1e-3", "--seed", "0", "--json"});
        QCOMPARE(r.code, 0);
        std::istringstream lines(r.out);
        std::string line;
        std::vector<nlohmann::json> rows;
        while (std::getline(lines, line)) rows.push_back(nlohmann::json::parse(line));
        QCOMPARE(int(rows.size()), 31);
        for (int e = 0; e < 30; ++e) {
            for (const char* key : {"epoch", "loss", "accuracy", "val_loss", "val_accuracy", "seconds", "samples_per_second"})
                QVERIFY2(rows[e].contains(key), key);
            QCOMPARE(rows[e]["epoch"].get<int>(), e + 1);
            QVERIFY(rows[e]["samples_per_second"].get<double>() > 0);
        }
        QVERIFY(rows.back().contains("test_loss"));
        const double acc = rows.back()["test_accuracy"];
        QVERIFY2(acc >= 0.95, qPrintable(QString::number(acc)));
    }

    void fashionMlpReachesReference() {
        if (!QFileInfo::exists("/usr/share/datasets/fashion-mnist"))
            QSKIP("dataset-fashion-mnist is not installed");
        auto r = run({"train", example("fashion_mlp.json"), "--data", "fashion-mnist", "--epochs", "2", "--batch", "64",
                      "--optimizer", "adam", "--lr", "1e-3", "--seed", "0", "--json"});
        QCOMPARE(r.code, 0);
        const auto last = nlohmann::json::parse(r.out.substr(r.out.rfind('{')));
        QVERIFY2(last["test_accuracy"].get<double>() >= 0.84, r.out.c_str());
    }

    void cnnTakesImagesReshapedFromIdx() {
        if (!QFileInfo::exists("/usr/share/datasets/fashion-mnist"))
            QSKIP("dataset-fashion-mnist is not installed");
        auto r = run({"train", example("mnist_cnn.json"), "--data", "fashion-mnist", "--steps", "3", "--batch", "16", "--json"});
        QCOMPARE(r.code, 0);
        QVERIFY(QString::fromStdString(r.err).contains("stopped after 3 steps"));
    }

    void badInputsGetClearMessages_data() {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<int>("code");
        QTest::addColumn<QString>("fragment");
        const QString digits = QString::fromStdString(example("digits_mlp.json"));
        QTest::newRow("shape mismatch") << QStringList{"train", digits, "--data", "iris"} << 1
                                        << "has samples of shape (4,) (4 values) but the model input 'pixels' expects (64,)";
        QTest::newRow("unknown dataset") << QStringList{"train", digits, "--data", "cifar"} << 1 << "unknown dataset 'cifar'";
        QTest::newRow("no data") << QStringList{"train", digits} << 2 << "--data NAME is required";
        QTest::newRow("bad epochs") << QStringList{"train", digits, "--data", "digits", "--epochs", "two"} << 2
                                    << "--epochs must be an integer";
        QTest::newRow("bad lr") << QStringList{"train", digits, "--data", "digits", "--lr", "-1"} << 2 << "--lr must be a positive number";
        QTest::newRow("unknown optimizer") << QStringList{"train", digits, "--data", "digits", "--optimizer", "adamax"} << 1
                                           << "adamax";
        QTest::newRow("loss mismatch") << QStringList{"train", QString::fromStdString(example("autoencoder.json")), "--data",
                                                      "digits", "--loss", "mean_squared_error"}
                                       << 1 << "output 'decoder' of shape (None, 64)";
        QTest::newRow("missing package") << QStringList{"train", digits, "--data", "mnist:/nonexistent/dir"} << 1 << "/nonexistent/dir";
    }
    void badInputsGetClearMessages() {
        QFETCH(QStringList, args);
        QFETCH(int, code);
        QFETCH(QString, fragment);
        std::vector<std::string> a;
        for (const QString& s : args) a.push_back(s.toStdString());
        auto r = run(a);
        QCOMPARE(r.code, code);
        QVERIFY2(QString::fromStdString(r.err).contains(fragment), r.err.c_str());
    }
};

QTEST_GUILESS_MAIN(TestCliTrain)
#include "tst_cli_train.moc"
