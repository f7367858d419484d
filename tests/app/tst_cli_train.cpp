// strata-cli train: JSON lines per epoch and the test line, accuracy on digits, and clear
// messages for bad inputs (shape mismatch, unknown dataset, bad options, loss/output mismatch).
#include "CliTestSupport.h"

#include "tests/support/RequiredTools.h"
#include <QtTest>

#include <nlohmann/json.hpp>

#include <cmath>
#include <sstream>

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
            STRATA_SKIP_UNLESS_REQUIRED("dataset-fashion-mnist is not installed");
        auto r = run({"train", example("fashion_mlp.json"), "--data", "fashion-mnist", "--epochs", "2", "--batch", "64",
                      "--optimizer", "adam", "--lr", "1e-3", "--seed", "0", "--json"});
        QCOMPARE(r.code, 0);
        const auto last = nlohmann::json::parse(r.out.substr(r.out.rfind('{')));
        QVERIFY2(last["test_accuracy"].get<double>() >= 0.84, r.out.c_str());
    }

    void cnnTakesImagesReshapedFromIdx() {
        if (!QFileInfo::exists("/usr/share/datasets/fashion-mnist"))
            STRATA_SKIP_UNLESS_REQUIRED("dataset-fashion-mnist is not installed");
        auto r = run({"train", example("mnist_cnn.json"), "--data", "fashion-mnist", "--steps", "3", "--batch", "16", "--json"});
        QCOMPARE(r.code, 0);
        QVERIFY(QString::fromStdString(r.err).contains("stopped after 3 steps"));
    }

    // A CSV table of the user's: class names in a named first column, recorded in a project with
    // its label column, resumed without repeating --data/--label, evaluated with the run's label.
    void csvTableWithNamedClassesTrainsAndResumes() {
        QTemporaryDir dir;
        QFile in(QString::fromStdString(std::string(STRATA_TEST_DATA_DIR) + "/../../resources/datasets/iris.csv"));
        QVERIFY(in.open(QIODevice::ReadOnly));
        const QStringList head = QString::fromUtf8(in.readLine()).trimmed().split(','); // 150,4,setosa,versicolor,virginica
        const QString csv = dir.filePath("flowers.csv");
        QFile out(csv);
        QVERIFY(out.open(QIODevice::WriteOnly));
        out.write("species,sepal length,sepal width,petal length,petal width\n");
        int rows = 0;
        while (!in.atEnd()) {
            const QStringList cells = QString::fromUtf8(in.readLine()).trimmed().split(',');
            if (cells.size() != 5) continue;
            out.write((head[2 + cells[4].toInt()] + "," + cells.mid(0, 4).join(',') + "\n").toUtf8());
            ++rows;
        }
        out.close();
        QCOMPARE(rows, 150);
        const QString spec = dir.filePath("flowers.json");
        QFile s(spec);
        QVERIFY(s.open(QIODevice::WriteOnly));
        s.write(R"({"format": "strata.model/1", "name": "flowers", "layers": [
            {"name": "x", "type": "Input", "config": {"shape": [4]}},
            {"name": "h", "type": "Dense", "config": {"units": 16, "activation": "relu"}},
            {"name": "p", "type": "Dense", "config": {"units": 3, "activation": "softmax"}}]})");
        s.close();
        const std::string project = dir.filePath("flowers.strata").toStdString();
        auto r = run({"train", spec.toStdString(), "--data", csv.toStdString(), "--label", "species", "--epochs", "20", "--batch",
                      "16", "--lr", "0.01", "--project", project, "--json"});
        QVERIFY2(r.code == 0, r.err.c_str());
        auto last = nlohmann::json::parse(r.out.substr(r.out.rfind('{')));
        QVERIFY2(last["test_accuracy"].get<double>() >= 0.8, r.out.c_str());

        r = run({"train", "--project", project, "--resume", "--epochs", "30", "--json"});
        QVERIFY2(r.code == 0, r.err.c_str());
        QVERIFY2(QString::fromStdString(r.out).contains("\"epoch\":30"), r.out.c_str());
        const double resumed = nlohmann::json::parse(r.out.substr(r.out.rfind('{')))["test_accuracy"].get<double>();

        r = run({"evaluate", project, "--data", csv.toStdString()});
        QVERIFY2(r.code == 0, r.err.c_str());
        const auto e = nlohmann::json::parse(r.out);
        QCOMPARE(e["samples"].get<int>(), 30);
        QCOMPARE(e["accuracy"].get<double>(), resumed);

        // The last column is a number, not the class: a clear error, not a silent wrong target.
        r = run({"train", spec.toStdString(), "--data", csv.toStdString(), "--epochs", "1"});
        QCOMPARE(r.code, 1);
        QVERIFY2(QString::fromStdString(r.err).contains("flowers.csv"), r.err.c_str());
    }

    void csvRegressionTarget() {
        QTemporaryDir dir;
        const QString csv = dir.filePath("line.csv");
        QFile out(csv);
        QVERIFY(out.open(QIODevice::WriteOnly));
        out.write("y,a,b\n");
        for (int i = 0; i < 200; ++i) {
            const double a = (i % 20) / 10.0 - 1, b = (i / 20) / 5.0 - 1;
            out.write(QString("%1,%2,%3\n").arg(2 * a - b + 1).arg(a).arg(b).toUtf8());
        }
        out.close();
        const QString spec = dir.filePath("line.json");
        QFile s(spec);
        QVERIFY(s.open(QIODevice::WriteOnly));
        s.write(R"({"format": "strata.model/1", "name": "line", "layers": [
            {"name": "x", "type": "Input", "config": {"shape": [2]}}, {"name": "y", "type": "Dense", "config": {"units": 1}}]})");
        s.close();
        auto r = run({"train", spec.toStdString(), "--data", csv.toStdString(), "--label", "0", "--regression", "--epochs", "40",
                      "--optimizer", "sgd", "--lr", "0.05"});
        QVERIFY2(r.code == 0, r.err.c_str());
        QVERIFY2(QString::fromStdString(r.out).contains("test  loss") && QString::fromStdString(r.out).contains("mae"), r.out.c_str());
        QVERIFY2(!QString::fromStdString(r.out).contains("accuracy"), r.out.c_str());
        const double mae = QString::fromStdString(r.out.substr(r.out.find("mae") + 4)).split(' ').first().toDouble();
        QVERIFY2(mae < 0.05, r.out.c_str());
    }

    // --reconstruct: the example autoencoder learns to give back its digits (its loss falls well
    // below the first epoch's), the run records it, and evaluate reads it back from the project.
    void autoencoderReconstructsItsInput() {
        QTemporaryDir dir;
        const std::string project = dir.filePath("ae.strata").toStdString();
        auto r = run({"train", example("autoencoder.json"), "--data", "digits", "--reconstruct", "--epochs", "15", "--json",
                      "--project", project});
        QVERIFY2(r.code == 0, r.err.c_str());
        std::vector<nlohmann::json> lines;
        std::istringstream in(r.out);
        for (std::string line; std::getline(in, line);)
            if (!line.empty()) lines.push_back(nlohmann::json::parse(line));
        QCOMPARE(lines.size(), std::size_t(16));
        QVERIFY(lines.front()["accuracy"].is_null()); // no classes to count
        const double first = lines.front()["loss"].get<double>(), last = lines[14]["loss"].get<double>();
        QVERIFY2(last < 0.5 * first, r.out.c_str());
        QVERIFY2(lines.back()["test_mae"].get<double>() < 0.2, r.out.c_str());
        auto e = run({"evaluate", project, "--data", "digits"});
        QVERIFY2(e.code == 0, e.err.c_str());
        const auto ej = nlohmann::json::parse(e.out);
        QVERIFY2(std::abs(ej["loss"].get<double>() - lines.back()["test_loss"].get<double>()) < 1e-4, e.out.c_str());
        QVERIFY(ej["accuracy"].is_null());
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
        QTest::newRow("label on a built-in dataset") << QStringList{"train", digits, "--data", "digits", "--label", "3"} << 2
                                                     << "--label and --regression apply to CSV tables";
        QTest::newRow("regression and reconstruct") << QStringList{"train", digits, "--data", "digits", "--reconstruct", "--regression"}
                                                    << 2 << "--regression and --reconstruct exclude each other";
        QTest::newRow("missing csv") << QStringList{"train", digits, "--data", "/nonexistent/t.csv"} << 1 << "/nonexistent/t.csv";
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
