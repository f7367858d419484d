// strata-cli evaluate --report DIR: the report folder's files for a classifier (a confusion matrix
// that sums to the test split and equals NumPy's count over `strata-cli predict`'s outputs) and
// for a regression (predicted/true pairs, residuals, charts); a --report path that is an existing
// file or cannot be created is refused, naming it, with nothing left behind; a model with two
// outputs gets a folder per output; the run's device computes (Vulkan on lavapipe giving the CPU's
// figures), and a device this machine lacks gives the CPU with a note.
#include "CliTestSupport.h"

#include "app/session/Devices.h"
#include "engine/data/BuiltinDatasets.h"
#include "engine/data/CsvTensors.h"
#include "storage/Sqlite.h"
#include "tests/support/AnimalsTable.h"
#include "tests/support/RequiredTools.h"

#include <QDir>
#include <QFile>
#include <QProcess>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QtTest>

#include <nlohmann/json.hpp>

#include <cmath>
#include <fstream>
#include <numeric>
#include <sstream>

using namespace strata;
using namespace strata::cli::test;
using nlohmann::json;

namespace {

json readJson(const QString& file) {
    std::ifstream in(file.toStdString());
    return json::parse(in);
}

std::string readText(const QString& file) {
    std::ifstream in(file.toStdString());
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

bool isPng(const QString& file) {
    QFile f(file);
    return f.open(QIODevice::ReadOnly) && f.read(8) == QByteArray("\x89PNG\r\n\x1a\n", 8) && f.size() > 500;
}

// Entries of `dir` (hidden ones included), to see that a refused report left nothing.
QStringList entries(const QString& dir) { return QDir(dir).entryList(QDir::AllEntries | QDir::Hidden | QDir::NoDotAndDotDot); }

} // namespace

class TestCliEvaluate : public QObject {
    Q_OBJECT
    QTemporaryDir dir_;
    QString project_;

private slots:
    void initTestCase() {
        QVERIFY(dir_.isValid());
        project_ = dir_.filePath("digits.strata");
        const auto r = run({"train", example("digits_mlp.json"), "--data", "digits", "--epochs", "3", "--batch", "32", "--seed", "1",
                            "--project", project_.toStdString(), "--json"});
        QVERIFY2(r.code == 0, r.err.c_str());
    }

    // The confusion matrix of the report is NumPy's count of (true label, argmax of predict's
    // output) over the test split, and its files are all there.
    void classifierReportMatchesNumpyOverPredict() {
        const QString report = dir_.filePath("report");
        const auto r = run({"evaluate", project_.toStdString(), "--data", "digits", "--report", report.toStdString(), "--sample", "7"});
        QVERIFY2(r.code == 0, r.err.c_str());
        const json line = json::parse(r.out);
        QCOMPARE(QString::fromStdString(line["report"].get<std::string>()), QFileInfo(report).absoluteFilePath());
        for (const char* f : {"report.json", "confusion_matrix.csv", "per_class.csv", "misclassified.csv", "confusion_matrix.png"})
            QVERIFY2(QFileInfo::exists(report + "/" + f), f);
        QVERIFY(isPng(report + "/confusion_matrix.png"));
        QVERIFY(entries(dir_.path()).filter(".partial").isEmpty());

        const data::DatasetSplits splits = data::loadBuiltinDataset("digits");
        const data::Dataset& test = splits.test;
        const json j = readJson(report + "/report.json");
        QCOMPARE(j["kind"].get<std::string>(), std::string("classification"));
        QCOMPARE(j["samples"].get<int64_t>(), test.size());
        QCOMPARE(line["samples"].get<int64_t>(), test.size());
        const auto confusion = j["confusion_matrix"].get<std::vector<std::vector<int64_t>>>();
        QCOMPARE(int(confusion.size()), 10);
        int64_t sum = 0, diagonal = 0;
        for (std::size_t t = 0; t < confusion.size(); ++t) {
            sum += std::accumulate(confusion[t].begin(), confusion[t].end(), int64_t(0));
            diagonal += confusion[t][t];
        }
        QCOMPARE(sum, test.size());
        QVERIFY(std::fabs(double(diagonal) / double(sum) - line["accuracy"].get<double>()) < 1e-9); // the trainer's accuracy
        QCOMPARE(int64_t(j["misclassified"].size()), sum - diagonal);
        double previous = 1e300;
        for (const auto& m : j["misclassified"]) { // worst first, each one wrong
            QVERIFY(m["loss"].get<double>() <= previous);
            previous = m["loss"].get<double>();
            QVERIFY(m["true"] != m["predicted"]);
            QCOMPARE(int(m["probabilities"].size()), 10);
        }
        QCOMPARE(j["sample"]["index"].get<int>(), 7);
        QCOMPARE(j["sample"]["true"].get<int>(), test.y.i32()[7]);
        QCOMPARE(int(j["sample"]["output"].size()), 10);
        // confusion_matrix.csv holds the same counts.
        std::istringstream csv(readText(report + "/confusion_matrix.csv"));
        std::string row;
        std::getline(csv, row);
        QCOMPARE(row, std::string("true\\predicted,0,1,2,3,4,5,6,7,8,9"));
        for (std::size_t t = 0; std::getline(csv, row); ++t) {
            std::string expected = std::to_string(t);
            for (int64_t v : confusion[t]) expected += "," + std::to_string(v);
            QCOMPARE(row, expected);
        }
        const std::string perClass = readText(report + "/per_class.csv");
        QVERIFY(perClass.rfind("class,precision,recall,f1,support\n", 0) == 0);
        QVERIFY(perClass.find("\nmacro avg,") != std::string::npos && perClass.find("\nweighted avg,") != std::string::npos);

        // strata-cli predict on the test split's features, then NumPy counts (true, argmax) pairs.
        const QString features = dir_.filePath("test_x.csv"), labels = dir_.filePath("test_y.csv"), outputs = dir_.filePath("test_p.csv");
        {
            std::ofstream x(features.toStdString()), y(labels.toStdString());
            data::writeCsvTensor(x, test.x.reshaped(Shape{test.size(), test.x.size() / test.size()}));
            for (int64_t i = 0; i < test.size(); ++i) y << test.y.i32()[i] << "\n";
        }
        const auto p = run({"predict", project_.toStdString(), "--input", features.toStdString(), "--output", outputs.toStdString()});
        QVERIFY2(p.code == 0, p.err.c_str());
        QProcess py;
        py.start("/usr/bin/python3", {"-c", "import sys, json\n"
                                            "try:\n    import numpy as np\nexcept ImportError:\n    sys.exit(3)\n"
                                            "p = np.loadtxt(sys.argv[1], delimiter=',', ndmin=2)\n"
                                            "y = np.loadtxt(sys.argv[2], dtype=np.int64, ndmin=1)\n"
                                            "m = np.zeros((p.shape[1], p.shape[1]), dtype=np.int64)\n"
                                            "np.add.at(m, (y, p.argmax(axis=1)), 1)\n"
                                            "print(json.dumps(m.tolist()))\n",
                                      outputs, labels});
        QVERIFY(py.waitForFinished(120000));
        if (py.exitCode() == 3 || py.error() == QProcess::FailedToStart)
            STRATA_SKIP_UNLESS_REQUIRED("numpy for /usr/bin/python3 (apt-get install python3-numpy)");
        QVERIFY2(py.exitCode() == 0, py.readAllStandardError().constData());
        const auto numpy = json::parse(py.readAllStandardOutput().toStdString()).get<std::vector<std::vector<int64_t>>>();
        QCOMPARE(numpy, confusion);
    }

    // A regression run: every test sample's (predicted, true) pair, residuals whose histogram
    // counts every pair, the trainer's MAE, and the two charts.
    void regressionReportHasPairsAndResiduals() {
        const QString csv = dir_.filePath("line.csv"), spec = dir_.filePath("line.json"), project = dir_.filePath("line.strata");
        {
            std::ofstream out(csv.toStdString());
            out << "a,b,c,y\n";
            for (int i = 0; i < 200; ++i) {
                const double a = (i % 17) / 17.0, b = (i % 7) / 7.0, c = (i % 5) / 5.0;
                out << a << "," << b << "," << c << "," << 2 * a - b + 0.5 * c + 0.01 * (i % 3) << "\n";
            }
            std::ofstream s(spec.toStdString());
            s << R"({"format": "strata.model/1", "name": "line", "inputs": ["x"], "outputs": ["y"], "layers": [
                   {"name": "x", "type": "Input", "config": {"shape": [3]}},
                   {"name": "h", "type": "Dense", "config": {"units": 8, "activation": "relu"}},
                   {"name": "y", "type": "Dense", "config": {"units": 1}}]})";
        }
        const auto t = run({"train", spec.toStdString(), "--data", csv.toStdString(), "--label", "y", "--regression", "--epochs", "3",
                            "--project", project.toStdString(), "--json"});
        QVERIFY2(t.code == 0, t.err.c_str());
        const QString report = dir_.filePath("line-report");
        const auto r = run({"evaluate", project.toStdString(), "--data", csv.toStdString(), "--report", report.toStdString()});
        QVERIFY2(r.code == 0, r.err.c_str());
        for (const char* f : {"report.json", "predictions.csv", "residuals.csv", "scatter.png", "residuals.png"})
            QVERIFY2(QFileInfo::exists(report + "/" + f), f);
        QVERIFY(!QFileInfo::exists(report + "/confusion_matrix.csv"));
        QVERIFY(isPng(report + "/scatter.png") && isPng(report + "/residuals.png"));
        const json line = json::parse(r.out);
        const json j = readJson(report + "/report.json");
        QCOMPARE(j["kind"].get<std::string>(), std::string("regression"));
        const int64_t n = line["samples"].get<int64_t>();
        QCOMPARE(n, int64_t(40)); // the 20% test split of 200 rows
        const auto predicted = j["predicted"].get<std::vector<double>>(), truth = j["true"].get<std::vector<double>>();
        QCOMPARE(int64_t(predicted.size()), n);
        QCOMPARE(int64_t(truth.size()), n);
        double mae = 0;
        for (std::size_t i = 0; i < predicted.size(); ++i) mae += std::fabs(predicted[i] - truth[i]) / double(n);
        QVERIFY2(std::fabs(mae - line["mae"].get<double>()) < 1e-5, qPrintable(QString::number(mae)));
        QVERIFY(std::fabs(mae - j["mae"].get<double>()) < 1e-9);
        const auto counts = j["residual_histogram"]["counts"].get<std::vector<int64_t>>();
        QCOMPARE(std::accumulate(counts.begin(), counts.end(), int64_t(0)), n);
        // predictions.csv: one row per pair, residual = predicted - true.
        std::istringstream rows(readText(report + "/predictions.csv"));
        std::string row;
        std::getline(rows, row);
        QCOMPARE(row, std::string("index,element,true,predicted,residual"));
        int64_t count = 0;
        while (std::getline(rows, row)) {
            double cells[5];
            QCOMPARE(std::sscanf(row.c_str(), "%lf,%lf,%lf,%lf,%lf", &cells[0], &cells[1], &cells[2], &cells[3], &cells[4]), 5);
            QVERIFY(std::fabs(cells[4] - (cells[3] - cells[2])) < 1e-6);
            QVERIFY(std::fabs(cells[3] - predicted[std::size_t(cells[0])]) < 1e-6);
            ++count;
        }
        QCOMPARE(count, n);
    }

    // An autoencoder's run (reconstruct): every sample's reconstruction error, worst first, whose
    // mean is the trainer's mean squared error.
    void reconstructionReportListsWorstFirst() {
        const QString project = dir_.filePath("ae.strata"), report = dir_.filePath("ae-report");
        const auto t = run({"train", example("autoencoder.json"), "--data", "digits", "--reconstruct", "--epochs", "1", "--project",
                            project.toStdString()});
        QVERIFY2(t.code == 0, t.err.c_str());
        const auto r = run({"evaluate", project.toStdString(), "--data", "digits", "--report", report.toStdString()});
        QVERIFY2(r.code == 0, r.err.c_str());
        const json line = json::parse(r.out);
        const json j = readJson(report + "/report.json");
        QCOMPARE(j["kind"].get<std::string>(), std::string("reconstruction"));
        const json& errors = j["reconstruction_errors"];
        QCOMPARE(int64_t(errors.size()), line["samples"].get<int64_t>());
        double sum = 0, previous = 1e300;
        for (const auto& e : errors) {
            QVERIFY(e["error"].get<double>() <= previous);
            previous = e["error"].get<double>();
            sum += previous;
        }
        QVERIFY2(std::fabs(sum / double(errors.size()) - line["loss"].get<double>()) < 1e-5, r.out.c_str());
        QCOMPARE(int(j["sample"]["output"].size()), 64);
        QVERIFY(QFileInfo::exists(report + "/reconstruction.csv"));
    }

    // An existing file, a folder that cannot be created (under /proc, even for root), and a
    // parent that is a file: exit 2, the path named, nothing written.
    void reportPathThatCannotBeWrittenIsRefused() {
        const QString file = dir_.filePath("taken.txt");
        {
            QFile f(file);
            QVERIFY(f.open(QIODevice::WriteOnly));
            f.write("keep me\n");
        }
        for (const QString& bad : {file, QString("/proc/strata-report-test"), file + "/report", dir_.filePath("report-existing")}) {
            if (bad.endsWith("report-existing")) QVERIFY(QDir(dir_.path()).mkdir("report-existing"));
            const QStringList listed = entries(dir_.path());
            const auto r = run({"evaluate", project_.toStdString(), "--data", "digits", "--report", bad.toStdString()});
            QCOMPARE(r.code, 2);
            QVERIFY2(QString::fromStdString(r.err).contains("--report " + bad), r.err.c_str());
            QVERIFY2(r.out.empty(), r.out.c_str());
            QCOMPARE(entries(dir_.path()), listed);
            QVERIFY(!QFileInfo::exists("/proc/strata-report-test"));
        }
        QCOMPARE(readText(file), std::string("keep me\n"));
        QVERIFY(entries(dir_.filePath("report-existing")).isEmpty());
        // --sample past the split: refused after the evaluation, and the report folder is gone.
        const QString report = dir_.filePath("report-sample");
        const auto r = run({"evaluate", project_.toStdString(), "--data", "digits", "--report", report.toStdString(), "--sample", "100000"});
        QCOMPARE(r.code, 2);
        QVERIFY2(QString::fromStdString(r.err).contains("--sample 100000"), r.err.c_str());
        QVERIFY(!QFileInfo::exists(report));
        QVERIFY(entries(dir_.path()).filter(".partial").isEmpty());
    }

    // A model with two outputs (two_heads.json: "cls" classifies, "reg" regresses): each output's
    // report in DIR/<output>/, and DIR/report.json lists both with the trainer's figures.
    void severalOutputsGetAFolderEach() {
        const std::string csv = animals::writeTable(dir_.filePath("animals.csv").toStdString(), 300);
        const std::string project = dir_.filePath("heads.strata").toStdString();
        const auto t = run({"train", example("two_heads.json"), "--data", csv, "--input", "a=a0..a3", "--input", "b=b0,b1,b2", "--output",
                            "cls=kind", "--output", "reg=size:regression", "--epochs", "4", "--lr", "0.01", "--project", project, "--json"});
        QVERIFY2(t.code == 0, t.err.c_str());
        const QString report = dir_.filePath("heads-report");
        const auto r = run({"evaluate", project, "--data", csv, "--report", report.toStdString()});
        QVERIFY2(r.code == 0, r.err.c_str());
        const json line = json::parse(r.out);
        const json index = readJson(report + "/report.json");
        QCOMPARE(int(index["outputs"].size()), 2);
        QCOMPARE(index["outputs"][0]["name"].get<std::string>(), std::string("cls"));
        QCOMPARE(index["outputs"][0]["kind"].get<std::string>(), std::string("classification"));
        QCOMPARE(index["outputs"][1]["name"].get<std::string>(), std::string("reg"));
        QCOMPARE(index["outputs"][1]["kind"].get<std::string>(), std::string("regression"));
        QVERIFY(!QFileInfo::exists(report + "/confusion_matrix.csv")); // the files are in the outputs' folders
        for (const char* f : {"cls/report.json", "cls/confusion_matrix.csv", "cls/confusion_matrix.png", "reg/report.json",
                              "reg/predictions.csv", "reg/scatter.png"})
            QVERIFY2(QFileInfo::exists(report + "/" + f), f);
        QVERIFY(!QFileInfo::exists(report + "/reg/confusion_matrix.csv"));
        const json cls = readJson(report + "/cls/report.json"), reg = readJson(report + "/reg/report.json");
        QCOMPARE(cls["output"].get<std::string>(), std::string("cls"));
        QCOMPARE(reg["output"].get<std::string>(), std::string("reg"));
        const int64_t n = line["samples"].get<int64_t>();
        QCOMPARE(n, int64_t(60));
        int64_t sum = 0, diagonal = 0;
        const auto confusion = cls["confusion_matrix"].get<std::vector<std::vector<int64_t>>>();
        QCOMPARE(int(confusion.size()), 3);
        for (std::size_t k = 0; k < confusion.size(); ++k) {
            sum += std::accumulate(confusion[k].begin(), confusion[k].end(), int64_t(0));
            diagonal += confusion[k][k];
        }
        QCOMPARE(sum, n);
        // Each output's figures are the trainer's for that output.
        QVERIFY(std::fabs(double(diagonal) / double(n) - line["cls_accuracy"].get<double>()) < 1e-9);
        QVERIFY(std::fabs(index["outputs"][0]["accuracy"].get<double>() - line["cls_accuracy"].get<double>()) < 1e-9);
        QCOMPARE(int64_t(reg["predicted"].size()), n);
        QVERIFY2(std::fabs(reg["mae"].get<double>() - line["reg_mae"].get<double>()) < 1e-5, r.out.c_str());
        QCOMPARE(index["outputs"][1]["folder"].get<std::string>(), std::string("reg"));
    }

    // A run trained on Vulkan (lavapipe here) evaluates on Vulkan by default, with the CPU's
    // confusion matrix and probabilities within float tolerance; a run whose recorded device this
    // machine lacks evaluates on the CPU and says so; an unknown --device is refused, named.
    void evaluatesOnTheRunsDevice() {
        const QString cpuReport = dir_.filePath("on-cpu");
        auto r = run({"evaluate", project_.toStdString(), "--data", "digits", "--device", "cpu", "--report", cpuReport.toStdString()});
        QVERIFY2(r.code == 0, r.err.c_str());
        QCOMPARE(json::parse(r.out)["device"].get<std::string>(), std::string("cpu"));
        r = run({"evaluate", project_.toStdString(), "--data", "digits", "--device", "tpu"});
        QCOMPARE(r.code, 2);
        QVERIFY2(QString::fromStdString(r.err).contains("unknown device 'tpu'"), r.err.c_str());

        // The run's recorded device is vulkan:9, which no machine here has.
        const QString moved = dir_.filePath("moved.strata");
        QVERIFY(QFile::copy(project_, moved));
        storage::Database(moved.toStdString(), false, false).exec("UPDATE runs SET backend = 'vulkan:9'");
        r = run({"evaluate", moved.toStdString(), "--data", "digits"});
        QVERIFY2(r.code == 0, r.err.c_str());
        json line = json::parse(r.out);
        QCOMPARE(line["device"].get<std::string>(), std::string("cpu"));
        QVERIFY2(line["device_note"].get<std::string>().find("vulkan:9") != std::string::npos, r.out.c_str());
        QVERIFY2(QString::fromStdString(r.err).contains("the run trained on vulkan:9") && QString::fromStdString(r.err).contains("on the CPU"),
                 r.err.c_str());

        if (strata_testsupport::vulkanOffForSanitizers()) QSKIP("the sanitizer build turns Vulkan off; the plain build runs this on lavapipe");
        const session::BackendChoice choice = session::chooseBackend("vulkan", 1);
        if (!choice.backend || !choice.note.empty())
            STRATA_SKIP_UNLESS_REQUIRED("no Vulkan device (install mesa-vulkan-drivers for lavapipe): " + choice.error + choice.note);
        const QString gpuProject = dir_.filePath("vulkan.strata"), gpuReport = dir_.filePath("on-vulkan");
        r = run({"train", example("digits_mlp.json"), "--data", "digits", "--epochs", "1", "--seed", "3", "--device", "vulkan", "--project",
                 gpuProject.toStdString(), "--json"});
        QVERIFY2(r.code == 0, r.err.c_str());
        r = run({"evaluate", gpuProject.toStdString(), "--data", "digits", "--report", gpuReport.toStdString()});
        QVERIFY2(r.code == 0, r.err.c_str());
        line = json::parse(r.out);
        QCOMPARE(line["device"].get<std::string>(), std::string("vulkan"));
        QVERIFY(!line.contains("device_note"));
        r = run({"evaluate", gpuProject.toStdString(), "--data", "digits", "--device", "cpu", "--report", cpuReport.toStdString() + "-2"});
        QVERIFY2(r.code == 0, r.err.c_str());
        const json gpu = readJson(gpuReport + "/report.json"), cpu = readJson(cpuReport + "-2/report.json");
        QCOMPARE(gpu["confusion_matrix"], cpu["confusion_matrix"]);
        const auto gpuOut = gpu["sample"]["output"].get<std::vector<double>>(), cpuOut = cpu["sample"]["output"].get<std::vector<double>>();
        QCOMPARE(gpuOut.size(), cpuOut.size());
        for (std::size_t k = 0; k < gpuOut.size(); ++k) QVERIFY2(std::fabs(gpuOut[k] - cpuOut[k]) < 1e-4, qPrintable(QString::number(k)));
        const auto gpuLoss = gpu["per_sample"]["loss"].get<std::vector<double>>(), cpuLoss = cpu["per_sample"]["loss"].get<std::vector<double>>();
        for (std::size_t i = 0; i < gpuLoss.size(); ++i) QVERIFY(std::fabs(gpuLoss[i] - cpuLoss[i]) < 1e-3 * (1 + cpuLoss[i]));

        // The same Vulkan run where the Vulkan loader finds no driver (the real program, its loader
        // pointed at a driver list that does not exist): the CPU evaluates, and says so.
        QProcess cli;
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert("VK_ICD_FILENAMES", dir_.filePath("no-such-driver.json"));
        cli.setProcessEnvironment(env);
        cli.start(QCoreApplication::applicationDirPath() + "/../app/strata-cli", {"evaluate", gpuProject, "--data", "digits"});
        QVERIFY(cli.waitForFinished(120000));
        const QString said = QString::fromUtf8(cli.readAllStandardError());
        QVERIFY2(cli.exitCode() == 0, qPrintable(said));
        line = json::parse(cli.readAllStandardOutput().toStdString());
        QCOMPARE(line["device"].get<std::string>(), std::string("cpu"));
        QVERIFY2(said.contains(QRegularExpression("the run trained on vulkan:[0-9]+, which is not available here \\(Vulkan is not available")) && said.contains("on the CPU"),
                 qPrintable(said));
        QCOMPARE(line["accuracy"].get<double>(), json::parse(r.out)["accuracy"].get<double>()); // the CPU's figures
    }
};

QTEST_GUILESS_MAIN(TestCliEvaluate)
#include "tst_cli_evaluate.moc"
