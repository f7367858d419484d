// strata-cli train and evaluate with a model of two inputs and two outputs
// (resources/examples/two_heads.json): a CSV table's columns mapped with --input/--output, each
// output's loss and weight, per-output figures in the JSON lines, a project that records the
// mapping so --resume and evaluate need not repeat it, and clear errors for mappings that do not fit.
#include "CliTestSupport.h"

#include "tests/support/AnimalsTable.h"

#include <QTemporaryDir>
#include <QtTest>

#include <nlohmann/json.hpp>

#include <cmath>
#include <fstream>
#include <sstream>

using namespace strata::cli;
using namespace strata::cli::test;

namespace {

std::string writeTable(const QString& dir, int rows) { return animals::writeTable((dir + "/animals.csv").toStdString(), rows); }

std::vector<nlohmann::json> jsonLines(const std::string& text) {
    std::vector<nlohmann::json> rows;
    std::istringstream lines(text);
    std::string line;
    while (std::getline(lines, line))
        if (!line.empty()) rows.push_back(nlohmann::json::parse(line));
    return rows;
}

} // namespace

class TestCliMultiIo : public QObject {
    Q_OBJECT
private slots:
    void mappedTableTrainsResumesAndEvaluates() {
        QTemporaryDir dir;
        const std::string csv = writeTable(dir.path(), 400), project = dir.filePath("p.strata").toStdString();
        auto r = run({"train", example("two_heads.json"), "--data", csv, "--input", "a=a0..a3", "--input", "b=b0,b1,b2",
                      "--output", "cls=kind", "--output", "reg=size:regression", "--loss-weight", "reg=0.5", "--epochs", "15",
                      "--batch", "16", "--lr", "0.01", "--project", project, "--json"});
        QVERIFY2(r.code == 0, r.err.c_str());
        auto rows = jsonLines(r.out);
        QCOMPARE(int(rows.size()), 16);
        for (const char* key : {"loss", "cls_loss", "cls_accuracy", "reg_loss", "val_loss", "val_cls_loss", "val_cls_accuracy", "val_reg_loss"})
            QVERIFY2(rows[0].contains(key) && rows[0][key].is_number(), key);
        QVERIFY(rows[0]["accuracy"].is_null()); // no single accuracy for two outputs
        // The loss trained is cls_loss + 0.5 reg_loss (epoch means of each, so equal up to float sums).
        const double sum = rows[14]["cls_loss"].get<double>() + 0.5 * rows[14]["reg_loss"].get<double>();
        QVERIFY2(std::fabs(rows[14]["loss"].get<double>() - sum) < 1e-4, rows[14].dump().c_str());
        QVERIFY(rows[14]["reg_loss"].get<double>() < rows[0]["reg_loss"].get<double>());
        const nlohmann::json test = rows.back();
        QVERIFY2(test["test_cls_accuracy"].get<double>() > 0.8, test.dump().c_str());
        QVERIFY(test["test_reg_mae"].is_number());

        // Resumed from the project: the mapping and the losses come from the run.
        r = run({"train", "--project", project, "--resume", "--epochs", "17", "--json"});
        QVERIFY2(r.code == 0, r.err.c_str());
        rows = jsonLines(r.out);
        QCOMPARE(rows.front()["epoch"].get<int>(), 16);
        QVERIFY(rows.front().contains("val_reg_loss"));

        r = run({"evaluate", project, "--data", csv});
        QVERIFY2(r.code == 0, r.err.c_str());
        const auto e = nlohmann::json::parse(r.out);
        QVERIFY2(e["cls_accuracy"].get<double>() > 0.8, r.out.c_str());
        QCOMPARE(e["samples"].get<int>(), 80);
    }

    void mappingsThatDoNotFitAreNamed() {
        QTemporaryDir dir;
        const std::string csv = writeTable(dir.path(), 50);
        const std::string spec = example("two_heads.json");
        struct Case {
            std::vector<std::string> args;
            int code;
            const char* says;
        } cases[] = {
            {{"--input", "a=a0..a3", "--output", "cls=kind", "--output", "reg=size:regression"}, 1, "input 'b' is given no columns"},
            {{"--input", "a=a0..a3", "--input", "b=b0..b2", "--input", "c=id", "--output", "cls=kind", "--output", "reg=size:regression"},
             1, "the model's inputs are 'a', 'b'"},
            {{"--input", "a=a0..a3", "--input", "b=b0,wings", "--output", "cls=kind", "--output", "reg=size:regression"}, 1,
             "no column named 'wings'"},
            {{"--input", "a=a0..a3", "--input", "b=b0..b2", "--output", "cls=kind", "--output", "reg=size:float"}, 2,
             "'class' or 'regression'"},
            {{"--input", "a=a0..a3", "--input", "b=b0..b2", "--output", "cls=kind", "--output", "reg=size:regression",
              "--loss-weight", "reg=-1"}, 2, "--loss-weight takes OUTPUT=W"},
            {{"--input", "a=a0..a3", "--input", "b=b0..b2", "--output", "cls=kind", "--output", "reg=size:regression",
              "--loss", "head=mean_squared_error"}, 1, "a loss is given for output 'head'"},
            {{"--input", "a=a0..a3", "--input", "b=b0..b2", "--output", "cls=kind", "--output", "reg=size:regression",
              "--label", "kind"}, 2, "replaces --label"},
            {{"--input", "a=a0..a3", "--input", "b=b0..b2", "--output", "cls=size:regression", "--output", "reg=kind"}, 1,
             "loss mean_squared_error compares output 'cls'"},
            {{}, 1, "map a CSV table's columns to each"},
        };
        for (const Case& c : cases) {
            std::vector<std::string> args = {"train", spec, "--data", csv, "--epochs", "1"};
            args.insert(args.end(), c.args.begin(), c.args.end());
            const auto r = run(args);
            QVERIFY2(r.code == c.code, qPrintable(QString("%1: exit %2 %3").arg(c.says).arg(r.code).arg(r.err.c_str())));
            QVERIFY2(QString::fromStdString(r.err).contains(c.says), r.err.c_str());
        }
    }
};

QTEST_GUILESS_MAIN(TestCliMultiIo)
#include "tst_cli_multi_io.moc"
