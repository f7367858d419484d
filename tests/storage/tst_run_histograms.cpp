// Weights over time: strata-cli train --project records, at the end of every epoch, one value
// histogram and one gradient histogram (the epoch's last step) per trainable variable, readable
// with Project::histograms; the value histogram of the last epoch is the final checkpoint's;
// --resume continues the epoch numbers; --no-histograms records none; the Vulkan backend records
// the same set (lavapipe on a machine without a GPU).
#include "StorageTestUtil.h"

#include "app/session/Devices.h"
#include "engine/train/Histogram.h"
#include "storage/CheckpointStore.h"
#include "storage/VariableSource.h"
#include "tests/support/RequiredTools.h"

#include <QRegularExpression>
#include <QTemporaryDir>
#include <QtTest>

#include <numeric>

using namespace strata;
using namespace strata::storage;
namespace fs = std::filesystem;

namespace {
using Result = testutil::CliResult;
Result run(const std::vector<std::string>& args) { return testutil::runCliHere(args); }

// The trainable variables' keys of digits_mlp: dense_1 and probs, kernel and bias.
std::vector<std::string> trainableKeys() {
    std::vector<std::string> keys;
    auto m = testutil::builtModel("digits_mlp.json");
    for (const Variable* v : m->trainableVariables()) keys.push_back(keyOfPath(v->path()));
    std::sort(keys.begin(), keys.end());
    return keys;
}

// Every (key, kind) has one histogram per epoch 1..epochs, each with its bins summing to its
// count (all weights finite).
void checkComplete(const std::vector<VariableHistogram>& hs, int epochs) {
    const std::vector<std::string> keys = trainableKeys();
    QCOMPARE(int(keys.size()), 4);
    QCOMPARE(int(hs.size()), int(keys.size()) * 2 * epochs);
    std::size_t i = 0;
    for (const std::string& key : keys)
        for (const char* kind : {"gradient", "value"})
            for (int epoch = 1; epoch <= epochs; ++epoch, ++i) {
                const VariableHistogram& h = hs[i];
                QCOMPARE(QString::fromStdString(h.key), QString::fromStdString(key));
                QCOMPARE(QString::fromStdString(h.kind), QString(kind));
                QCOMPARE(h.epoch, int64_t(epoch));
                QCOMPARE(int(h.bins.size()), train::kHistogramBins);
                QCOMPARE(h.nonFinite, int64_t(0));
                QCOMPARE(int64_t(std::accumulate(h.bins.begin(), h.bins.end(), uint64_t(0))), h.count);
                QVERIFY(h.min <= h.mean && h.mean <= h.max);
                QVERIFY(h.std > 0);
            }
}
} // namespace

class TestRunHistograms : public QObject {
    Q_OBJECT
    QTemporaryDir dir_;
    std::string path(const std::string& name) const { return (fs::path(dir_.path().toStdString()) / name).string(); }

    Result train(const std::string& project, const std::string& device, std::vector<std::string> more = {}) {
        std::vector<std::string> args = {"train", "--device", device, testutil::examplePath("digits_mlp.json"), "--data", "digits",
                                         "--epochs", "3", "--project", project, "--seed", "1"};
        args.insert(args.end(), more.begin(), more.end());
        return run(args);
    }

private slots:
    void helpNamesTheSwitch() {
        const Result h = run({"train", "--help"});
        QCOMPARE(h.code, 0);
        QVERIFY(h.out.find("--no-histograms") != std::string::npos);
        const Result bad = run({"train", testutil::examplePath("digits_mlp.json"), "--data", "digits", "--no-histograms"});
        QVERIFY(bad.code != 0);
        QVERIFY2(bad.err.find("--no-histograms needs --project") != std::string::npos, bad.err.c_str());
    }

    void everyEpochRecordsValueAndGradientHistograms() {
        const std::string file = path("cpu.strata");
        const Result r = train(file, "cpu");
        QVERIFY2(r.code == 0, r.err.c_str());
        Project p = Project::open(file, OpenMode::ReadOnly);
        const int64_t runId = p.runs().at(0).id;
        const auto hs = p.histograms(runId);
        checkComplete(hs, 3);
        QCOMPARE(p.histogramKeys(runId), trainableKeys());
        const nlohmann::json result = p.runs().at(0).result;
        QVERIFY(result.contains("histogram_seconds") && result["histogram_seconds"].is_number()); // the time they took
        QVERIFY(result["histogram_seconds"].get<double>() >= 0);
        // The last epoch's value histogram is the one of the final checkpoint's values.
        CheckpointReader reader(p, CheckpointStore(p).latest()->id);
        for (const auto& e : reader.entries()) {
            if (!isModelKey(e.key)) continue;
            const auto mine = p.histograms(runId, e.key);
            const auto it = std::find_if(mine.begin(), mine.end(), [](const VariableHistogram& h) { return h.kind == "value" && h.epoch == 3; });
            QVERIFY(it != mine.end());
            const train::Histogram want = train::histogramOf(reader.read(e));
            QCOMPARE(it->count, want.count);
            QCOMPARE(it->min, want.min);
            QCOMPARE(it->max, want.max);
            QCOMPARE(it->bins, want.bins);
        }
        // Gradients change from epoch to epoch and are not the values.
        const auto kernel = p.histograms(runId, keyOfPath("model/dense_1/kernel"));
        QVERIFY(kernel[0].min != kernel[1].min);
        QVERIFY(kernel[0].min != kernel[3].min);
    }

    void resumeContinuesTheEpochs() {
        const std::string file = path("resume.strata");
        Result r = run({"train", "--device", "cpu", testutil::examplePath("digits_mlp.json"), "--data", "digits", "--epochs", "2",
                        "--project", file, "--seed", "1"});
        QVERIFY2(r.code == 0, r.err.c_str());
        r = run({"train", "--device", "cpu", "--project", file, "--resume", "--epochs", "3"});
        QVERIFY2(r.code == 0, r.err.c_str());
        Project p = Project::open(file, OpenMode::ReadOnly);
        QCOMPARE(int(p.runs().size()), 1);
        checkComplete(p.histograms(p.runs().at(0).id), 3);
    }

    void noHistogramsRecordsNone() {
        const std::string file = path("off.strata");
        const Result r = train(file, "cpu", {"--no-histograms"});
        QVERIFY2(r.code == 0, r.err.c_str());
        Project p = Project::open(file, OpenMode::ReadOnly);
        const int64_t runId = p.runs().at(0).id;
        QVERIFY(p.histograms(runId).empty());
        QVERIFY(p.histogramKeys(runId).empty());
        QVERIFY(!p.runs().at(0).result.contains("histogram_seconds"));
        QCOMPARE(int(CheckpointStore(p).list().size()), 3); // the rest is recorded as usual
    }

    void vulkanRecordsTheSame() {
        if (strata_testsupport::vulkanOffForSanitizers())
            QSKIP("the sanitizer build runs without a Vulkan driver (tests/CMakeLists.txt); the plain build runs this case");
        const session::BackendChoice choice = session::chooseBackend("vulkan", 1);
        if (!choice.backend || !choice.note.empty() || choice.backend->name() == "cpu")
            STRATA_SKIP_UNLESS_REQUIRED("no Vulkan device (install mesa-vulkan-drivers for lavapipe): " + choice.error + choice.note);
        const std::string file = path("vulkan.strata");
        const Result r = train(file, "vulkan");
        QVERIFY2(r.code == 0, r.err.c_str());
        Project p = Project::open(file, OpenMode::ReadOnly);
        // The device with its number, so that evaluating the run picks the same one again.
        QVERIFY2(QRegularExpression("^vulkan:[0-9]+$").match(QString::fromStdString(p.runs().at(0).backend)).hasMatch(),
                 p.runs().at(0).backend.c_str());
        checkComplete(p.histograms(p.runs().at(0).id), 3);
    }
};

QTEST_GUILESS_MAIN(TestRunHistograms)
#include "tst_run_histograms.moc"
