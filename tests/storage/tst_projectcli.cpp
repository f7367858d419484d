// strata-cli over projects: train --project records the run, metrics and checkpoints; --resume
// continues to the same weights as an uninterrupted run; inspect lists what a project holds;
// export writes a saved model that predicts exactly like the project, in a fresh process;
// predict handles several inputs and outputs; evaluate prints one JSON line.
#include "StorageTestUtil.h"

#include "app/cli/Cli.h"
#include "engine/data/BuiltinDatasets.h"
#include "storage/CheckpointStore.h"

#include <QProcess>
#include <QTemporaryDir>
#include "tests/support/RequiredTools.h"
#include <QtTest>

#include <cstdio>
#include <sstream>

using namespace strata;
using namespace strata::storage;
namespace fs = std::filesystem;
using nlohmann::json;

namespace {
using Result = testutil::CliResult;
Result run(const std::vector<std::string>& args) { return testutil::runCliHere(args); }

std::map<std::string, Tensor> latestState(const fs::path& project) {
    Project p = Project::open(project, OpenMode::ReadOnly);
    auto c = CheckpointStore(p).latest();
    CheckpointReader r(p, c->id);
    std::map<std::string, Tensor> out;
    for (const auto& e : r.entries())
        if (e.key != kSaveCounterKey) out.emplace(e.key, r.read(e));
    return out;
}
} // namespace

class TestProjectCli : public QObject {
    Q_OBJECT
    QTemporaryDir dir_;
    std::string path(const std::string& name) const { return (fs::path(dir_.path().toStdString()) / name).string(); }
    std::string trained_; // a project with digits_mlp trained 3 epochs

private slots:
    void initTestCase() {
        trained_ = path("digits.strata");
        auto r = run({"train", "--device", "cpu", testutil::examplePath("digits_mlp.json"), "--data", "digits", "--epochs", "3", "--project", trained_,
                      "--seed", "1", "--json"});
        QVERIFY2(r.code == 0, r.err.c_str());
        QVERIFY(r.err.find("recording run 1") != std::string::npos);
    }

    void everyProjectCommandHasHelp() {
        for (const char* cmd : {"inspect", "export", "predict", "evaluate"}) {
            auto h = run({cmd, "--help"});
            QCOMPARE(h.code, 0);
            QVERIFY(QString::fromStdString(h.out).startsWith(QString("usage: strata-cli ") + cmd));
        }
        auto t = run({"train", "--help"});
        for (const char* opt : {"--project", "--model", "--checkpoint-every", "--max-to-keep", "--resume"})
            QVERIFY2(t.out.find(opt) != std::string::npos, opt);
    }

    void trainRecordsTheRunMetricsAndOneCheckpointPerEpoch() {
        Project p = Project::open(trained_, OpenMode::ReadOnly);
        QCOMPARE(int(p.models().size()), 1);
        const auto runs = p.runs();
        QCOMPARE(int(runs.size()), 1);
        QCOMPARE(QString::fromStdString(runs[0].status), QString("completed"));
        QCOMPARE(QString::fromStdString(runs[0].datasetName), QString("digits"));
        QCOMPARE(runs[0].hyperparameters["epochs"].get<int>(), 3);
        QVERIFY(runs[0].result.contains("test_accuracy"));
        const auto checkpoints = CheckpointStore(p).list();
        QCOMPARE(int(checkpoints.size()), 3);
        QCOMPARE(checkpoints.back().epochsDone, 3);
        QVERIFY(checkpoints.back().metrics.contains("val_loss"));
        QCOMPARE(int(p.metrics(runs[0].id, "step").size()), int(checkpoints.back().step));
        QVERIFY(p.metrics(runs[0].id, "epoch").size() >= 3 * 4);
        QCOMPARE(int(p.tracedGraphs(runs[0].modelVersionId).size()), 2);
    }

    void checkpointEveryAndMaxToKeep() {
        const std::string f = path("every.strata");
        auto r = run({"train", "--device", "cpu", testutil::examplePath("digits_mlp.json"), "--data", "digits", "--epochs", "1", "--project", f,
                      "--checkpoint-every", "7", "--max-to-keep", "2", "--quiet"});
        QVERIFY2(r.code == 0, r.err.c_str());
        Project p = Project::open(f, OpenMode::ReadOnly);
        const auto cs = CheckpointStore(p).list();
        QVERIFY(cs.size() >= 2 && cs.size() <= 3); // the newest two, and the best by val_loss
        const int64_t steps = p.runs()[0].result["steps"].get<int64_t>();
        QCOMPARE(cs.back().step, steps); // a last checkpoint at the end, whatever N
        QCOMPARE(cs[cs.size() - 2].step % 7, int64_t(0));
    }

    void usageErrorsAreExitTwo() {
        QCOMPARE(run({"train", "--device", "cpu", testutil::examplePath("digits_mlp.json"), "--data", "digits", "--resume"}).code, 2);
        QCOMPARE(run({"train", "--device", "cpu", "--project", path("none.strata"), "--resume"}).code, 2);
        QCOMPARE(run({"train", "--device", "cpu", testutil::examplePath("digits_mlp.json"), "--data", "digits", "--project", path("x.strata"),
                      "--checkpoint-every", "-1"}).code, 2);
        auto r = run({"train", "--device", "cpu", testutil::examplePath("fashion_mlp.json"), "--project", trained_, "--resume"});
        QCOMPARE(r.code, 2);
        QVERIFY2(r.err.find("differs from the spec of run") != std::string::npos, r.err.c_str());
    }

    void resumeContinuesToTheSameWeightsAsAnUninterruptedRun() {
        const std::string a = path("resumed.strata"), b = path("straight.strata");
        const std::string spec = testutil::examplePath("two_branch.json");
        QCOMPARE(run({"train", "--device", "cpu", spec, "--data", "digits", "--epochs", "2", "--project", a, "--seed", "4", "--quiet"}).code, 0);
        auto r = run({"train", "--device", "cpu", "--project", a, "--resume", "--epochs", "4", "--quiet"});
        QVERIFY2(r.code == 0, r.err.c_str());
        QVERIFY2(r.err.find("resuming run 1 from checkpoint") != std::string::npos, r.err.c_str());
        QCOMPARE(run({"train", "--device", "cpu", spec, "--data", "digits", "--epochs", "4", "--project", b, "--seed", "4", "--quiet"}).code, 0);
        const auto ra = latestState(a), rb = latestState(b);
        QCOMPARE(ra.size(), rb.size());
        for (const auto& [k, t] : rb) QVERIFY2(testutil::sameBytes(ra.at(k), t), k.c_str());
        Project p = Project::open(a, OpenMode::ReadOnly);
        QCOMPARE(int(p.runs().size()), 1);
        QCOMPARE(p.runs()[0].result["epochs_done"].get<int>(), 4);
    }

    void inspectListsModelsRunsCheckpointsAndVariables() {
        auto r = run({"inspect", trained_});
        QCOMPARE(r.code, 0);
        QVERIFY(r.out.find("digits_mlp  1 version") != std::string::npos);
        QVERIFY(r.out.find("completed") != std::string::npos);
        auto v = run({"inspect", trained_, "--checkpoint", "latest"});
        QCOMPARE(v.code, 0);
        QVERIFY2(v.out.find("model/dense_1/kernel/.ATTRIBUTES/VARIABLE_VALUE") != std::string::npos, v.out.c_str());
        QVERIFY(v.out.find("float32  (64, 32)") != std::string::npos);
        QVERIFY(v.out.find("model/dense_1/kernel/.OPTIMIZER_SLOT/optimizer/m/.ATTRIBUTES/VARIABLE_VALUE") != std::string::npos);
        QVERIFY(v.out.find("optimizer/iter/.ATTRIBUTES/VARIABLE_VALUE") != std::string::npos);
        auto j = run({"inspect", trained_, "--json"});
        const json doc = json::parse(j.out);
        QCOMPARE(int(doc["checkpoints"].size()), 3);
        QCOMPARE(doc["runs"][0]["status"].get<std::string>(), std::string("completed"));
        auto bad = run({"inspect", testutil::examplePath("digits_mlp.json")});
        QCOMPARE(bad.code, 2);
        QVERIFY2(bad.err.find("not a Strata project") != std::string::npos, bad.err.c_str());
    }

    void exportedModelPredictsLikeTheProjectInAFreshProcess() {
        const std::string out = path("exported");
        auto e = run({"export", trained_, "--checkpoint", "latest", "--format", "saved-model", "--out", out});
        QVERIFY2(e.code == 0, e.err.c_str());
        QCOMPARE(run({"export", trained_, "--format", "saved-model", "--out", out}).code, 2); // exists
        QCOMPARE(run({"inspect", out}).code, 0);

        auto splits = data::loadBuiltinDataset("digits");
        const std::string input = path("x.csv");
        {
            std::ofstream f(input);
            char buf[32];
            for (int r = 0; r < 40; ++r)
                for (int c = 0; c < 64; ++c) {
                    std::snprintf(buf, sizeof buf, "%.9g", double(splits.test.x.f32()[r * 64 + c]));
                    f << buf << (c == 63 ? "\n" : ",");
                }
        }
        const QString bin = testutil::cliBinary();
        if (bin.isEmpty()) STRATA_SKIP_UNLESS_REQUIRED("strata-cli binary not found (set STRATA_CLI)");
        auto predict = [&](const std::string& source, const std::string& output) {
            QProcess p;
            p.start(bin, {"predict", QString::fromStdString(source), "--input", QString::fromStdString(input), "--output",
                          QString::fromStdString(output)});
            return p.waitForFinished(60000) && p.exitCode() == 0;
        };
        QVERIFY(predict(out, path("from_saved.csv")));
        QVERIFY(predict(trained_, path("from_project.csv")));
        const std::string a = testutil::readText(path("from_saved.csv")), b = testutil::readText(path("from_project.csv"));
        QCOMPARE(std::count(a.begin(), a.end(), '\n'), std::ptrdiff_t(40));
        QVERIFY(!a.empty());
        QCOMPARE(a, b);
        auto inProcess = run({"predict", out, "--input", input});
        QCOMPARE(inProcess.out, a);

        auto ev1 = run({"evaluate", out, "--data", "digits"});
        auto ev2 = run({"evaluate", trained_, "--data", "digits"});
        QVERIFY2(ev1.code == 0, ev1.err.c_str());
        QCOMPARE(std::count(ev1.out.begin(), ev1.out.end(), '\n'), std::ptrdiff_t(1));
        const json j1 = json::parse(ev1.out), j2 = json::parse(ev2.out);
        QCOMPARE(j1["loss"].get<double>(), j2["loss"].get<double>());
        QVERIFY(j1["accuracy"].get<double>() > 0.5); // three epochs: well above chance (0.1)
        QCOMPARE(j1["samples"].get<int>(), int(splits.test.size()));
    }

    void predictTakesSeveralInputsAndOutputs() {
        const std::string f = path("multi.strata");
        auto model = Model::fromSpec(testutil::specFromJson(R"({"format": "strata.model/1", "name": "multi",
          "inputs": ["a", "b"], "outputs": ["sum", "first"], "layers": [
          {"name": "a", "type": "Input", "config": {"shape": [2]}},
          {"name": "b", "type": "Input", "config": {"shape": [3]}},
          {"name": "ab", "type": "Concatenate", "inbound": ["a", "b"]},
          {"name": "sum", "type": "Dense", "config": {"units": 1}, "inbound": ["ab"]},
          {"name": "first", "type": "Dense", "config": {"units": 1}, "inbound": ["a"]}]})"));
        model->build(0);
        model->findVariable("sum/kernel")->assign(Tensor::fromVector(Shape{5, 1}, std::vector<float>{1, 1, 1, 1, 1}));
        model->findVariable("sum/bias")->assign(Tensor::fromVector(Shape{1}, std::vector<float>{0}));
        model->findVariable("first/kernel")->assign(Tensor::fromVector(Shape{2, 1}, std::vector<float>{1, 2}));
        model->findVariable("first/bias")->assign(Tensor::fromVector(Shape{1}, std::vector<float>{0.5f}));
        {
            Project p = Project::open(f, OpenMode::Create);
            CheckpointWriter w(p, {p.saveVersion("multi", model->spec()).id, std::nullopt, 0, 0, 0});
            w.addModel(*model);
            w.commit();
        }
        testutil::writeText(path("a.csv"), "1,1\n0.25,-1\n");
        testutil::writeText(path("b.csv"), "1,2,3\n0,0,0.125\n");
        auto r = run({"predict", f, "--input", "a=" + path("a.csv"), "--input", "b=" + path("b.csv"), "--output",
                      "sum=" + path("sum.csv"), "--output", "first=" + path("first.csv")});
        QVERIFY2(r.code == 0, r.err.c_str());
        QCOMPARE(testutil::readText(path("sum.csv")), std::string("8\n-0.625\n"));
        QCOMPARE(testutil::readText(path("first.csv")), std::string("3.5\n-1.25\n"));
        auto missing = run({"predict", f, "--input", "a=" + path("a.csv")});
        QCOMPARE(missing.code, 2);
        QVERIFY2(missing.err.find("no --input b=file.csv") != std::string::npos, missing.err.c_str());
        testutil::writeText(path("short.csv"), "1,2,3\n1,2\n");
        auto bad = run({"predict", f, "--input", "a=" + path("a.csv"), "--input", "b=" + path("short.csv")});
        QCOMPARE(bad.code, 1);
        QVERIFY2(bad.err.find("short.csv:2: expected 3 values for input 'b'") != std::string::npos, bad.err.c_str());
    }
};

QTEST_GUILESS_MAIN(TestProjectCli)
#include "tst_projectcli.moc"
