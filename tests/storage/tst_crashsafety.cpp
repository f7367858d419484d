// Crash safety with the real strata-cli: a training run that checkpoints every step is killed
// with SIGKILL at random moments (50 times by default; STRATA_CRASH_KILLS changes it); after
// each kill the project passes PRAGMA integrity_check, opens, and its latest checkpoint restores
// and predicts. An export killed mid-write leaves its folder complete or absent.
#include "StorageTestUtil.h"

#include "engine/data/BuiltinDatasets.h"
#include "storage/CheckpointStore.h"
#include "storage/Restore.h"
#include "storage/SavedModel.h"

#include <QElapsedTimer>
#include <QProcess>
#include <QTemporaryDir>
#include "tests/support/RequiredTools.h"
#include <QtTest>

#include <csignal>
#include <random>
#include <thread>

using namespace strata;
using namespace strata::storage;
namespace fs = std::filesystem;

namespace {

// Starts strata-cli with `args`; returns the running process.
std::unique_ptr<QProcess> start(const QString& bin, const QStringList& args) {
    auto p = std::make_unique<QProcess>();
    p->setStandardOutputFile(QProcess::nullDevice());
    p->setStandardErrorFile(QProcess::nullDevice());
    p->start(bin, args);
    p->waitForStarted(10000);
    return p;
}

void killHard(QProcess& p) {
    if (p.state() != QProcess::NotRunning) ::kill(pid_t(p.processId()), SIGKILL);
    p.waitForFinished(10000);
}

bool hasPartial(const fs::path& parent, const std::string& name) {
    for (const auto& e : fs::directory_iterator(parent))
        if (e.path().filename().string().rfind("." + name + ".partial-", 0) == 0) return true;
    return false;
}

} // namespace

class TestCrashSafety : public QObject {
    Q_OBJECT
    QTemporaryDir dir_;
    QString bin_;
    std::mt19937 rng_;
    data::DatasetSplits splits_;

    fs::path path(const std::string& name) const { return fs::path(dir_.path().toStdString()) / name; }

    // The checks after a kill: integrity, open, restore the latest checkpoint, predict.
    int64_t checkProject(const fs::path& file, int64_t previousStep) {
        {
            Database raw(file, true, false);
            Statement s(raw, "PRAGMA integrity_check");
            std::string result;
            while (s.step()) result += s.columnText(0);
            if (result != "ok") QTest::qFail(("integrity_check: " + result).c_str(), __FILE__, __LINE__);
        }
        Project p = Project::open(file, OpenMode::ReadWrite);
        for (const auto& run : p.runs()) // the killed process is gone: its run is failed, not "running"
            if (run.status == "running") QTest::qFail(("run " + std::to_string(run.id) + " is still running").c_str(), __FILE__, __LINE__);
        const auto latest = CheckpointStore(p).latest();
        if (!latest) return QTest::qFail("no checkpoint", __FILE__, __LINE__), -1;
        if (latest->step < previousStep) QTest::qFail("the latest checkpoint went back in time", __FILE__, __LINE__);
        CheckpointReader r(p, latest->id);
        auto model = Model::fromSpec(p.version(latest->modelVersionId).spec);
        restoreModel(r, *model);
        cpu::CpuBackend be;
        restoreTrainingState(r, be);
        train::Trainer trainer(*model, be, testutil::adam(1));
        const Tensor probs = trainer.predict(splits_.test.take(16).x);
        for (int64_t i = 0; i < 16; ++i) {
            double sum = 0;
            for (int c = 0; c < 10; ++c) sum += probs.f32()[i * 10 + c];
            if (!(std::fabs(sum - 1.0) < 1e-4)) QTest::qFail("prediction is not a distribution", __FILE__, __LINE__);
        }
        return latest->step;
    }

private slots:
    void initTestCase() {
        bin_ = testutil::cliBinary();
        if (bin_.isEmpty()) STRATA_SKIP_UNLESS_REQUIRED("strata-cli binary not found next to the tests (set STRATA_CLI)");
        const unsigned seed = qEnvironmentVariableIsSet("STRATA_CRASH_SEED") ? unsigned(qEnvironmentVariableIntValue("STRATA_CRASH_SEED"))
                                                                                : unsigned(std::random_device{}());
        qInfo("random seed %u (STRATA_CRASH_SEED repeats it)", seed);
        rng_.seed(seed);
        splits_ = data::loadBuiltinDataset("digits");
    }

    void trainingKilledAtRandomMomentsLeavesALoadableProject() {
        const fs::path project = path("crash.strata");
        const QString P = QString::fromStdString(project.string());
        const QString spec = QString::fromStdString(testutil::examplePath("digits_mlp.json"));
        auto first = start(bin_, {"train", "--device", "cpu", spec, "--data", "digits", "--epochs", "1", "--project", P, "--checkpoint-every", "1",
                                  "--max-to-keep", "3", "--quiet"});
        QVERIFY(first->waitForFinished(120000));
        QCOMPARE(first->exitCode(), 0);
        int64_t step = checkProject(project, 0);
        const int64_t firstStep = step;

        const int target = qEnvironmentVariableIsSet("STRATA_CRASH_KILLS") ? qEnvironmentVariableIntValue("STRATA_CRASH_KILLS") : 50;
        std::uniform_int_distribution<int> delayMs(10, 350);
        int kills = 0;
        QElapsedTimer clock;
        clock.start();
        while (kills < target) {
            auto child = start(bin_, {"train", "--device", "cpu", "--project", P, "--resume", "--epochs", "100000", "--quiet"});
            std::this_thread::sleep_for(std::chrono::milliseconds(delayMs(rng_)));
            const bool running = child->state() == QProcess::Running;
            killHard(*child);
            QVERIFY2(running, "the training child ended before it was killed");
            ++kills;
            step = checkProject(project, step);
            if (QTest::currentTestFailed()) return;
        }
        qInfo("%d kills in %.1f s; the run went from step %lld to %lld", kills, clock.elapsed() / 1000.0, (long long)firstStep,
              (long long)step);
        QVERIFY(step > firstStep); // training made progress between kills

        // A fresh strata-cli process predicts from what the kills left.
        std::string row = "0";
        for (int i = 1; i < 64; ++i) row += ",0.5";
        testutil::writeText(path("one.csv"), row + "\n");
        QProcess predict;
        predict.start(bin_, {"predict", P, "--input", QString::fromStdString(path("one.csv").string())});
        QVERIFY(predict.waitForFinished(60000));
        QCOMPARE(predict.exitCode(), 0);
        QCOMPARE(QString(predict.readAllStandardOutput()).count(','), 9);
    }

    void exportKilledMidWriteLeavesTheFolderCompleteOrAbsent() {
        // A larger model (fashion_mlp, 100k parameters) so that writing takes a while.
        const fs::path project = path("export.strata");
        auto model = testutil::builtModel("fashion_mlp.json", 2);
        {
            Project p = Project::open(project, OpenMode::Create);
            CheckpointWriter w(p, {p.saveVersion("fashion_mlp", model->spec()).id, std::nullopt, 0, 0, 0});
            w.addModel(*model);
            w.commit();
        }
        const QString P = QString::fromStdString(project.string());
        const fs::path parent = path("exports");
        fs::create_directory(parent);
        auto exportTo = [&](const std::string& name) {
            return start(bin_, {"export", P, "--format", "saved-model", "--out", QString::fromStdString((parent / name).string())});
        };
        // How long the folder is being written: from its temporary name appearing to the rename.
        auto calib = exportTo("calibration");
        QElapsedTimer t;
        while (!hasPartial(parent, "calibration") && !fs::exists(parent / "calibration")) std::this_thread::yield();
        t.start();
        while (!fs::exists(parent / "calibration")) std::this_thread::yield();
        const qint64 writeNs = std::max<qint64>(t.nsecsElapsed(), 100000);
        QVERIFY(calib->waitForFinished(60000));
        QCOMPARE(calib->exitCode(), 0);

        int complete = 0, absent = 0;
        std::uniform_int_distribution<qint64> delayNs(0, writeNs * 5 / 4);
        for (int i = 0; i < 30; ++i) {
            const std::string name = "out" + std::to_string(i);
            auto child = exportTo(name);
            while (!hasPartial(parent, name) && !fs::exists(parent / name) && child->state() == QProcess::Running) std::this_thread::yield();
            std::this_thread::sleep_for(std::chrono::nanoseconds(delayNs(rng_)));
            killHard(*child);
            if (!fs::exists(parent / name)) {
                ++absent;
                continue;
            }
            ++complete;
            const SavedModel saved = SavedModel::load(parent / name); // complete: every part loads and checks
            auto loaded = saved.instantiate();
            for (const Variable* v : model->variables())
                QVERIFY(testutil::sameBytes(loaded->findVariable(v->path().substr(6))->value(), v->value()));
        }
        qInfo("30 kills during export: %d folders complete, %d absent (write window %.2f ms)", complete, absent, writeNs / 1e6);
        // The next export removes what the killed ones left under temporary names.
        auto last = exportTo("final");
        QVERIFY(last->waitForFinished(60000));
        QCOMPARE(last->exitCode(), 0);
        for (const auto& e : fs::directory_iterator(parent))
            QVERIFY2(e.path().filename().string().find(".partial-") == std::string::npos, e.path().c_str());
    }
};

QTEST_GUILESS_MAIN(TestCrashSafety)
#include "tst_crashsafety.moc"
