// strata-cli train --distributed under OpenMPI's mpirun (as root: --allow-run-as-root; more ranks
// than cores: --oversubscribe): 2 and 3 ranks end with the weights of one process on the same
// global batch (1e-5: each rank sums its shard's gradient in its own order), uneven shards
// included; Vulkan ranks (lavapipe, with the validation layer) likewise; a killed rank ends the
// job with a message naming the rank and the step, the project keeps its last checkpoint and
// --resume reaches the weights of an uninterrupted run; a hanging rank is named by the watchdog;
// rank 0 alone writes the project; wrong rank counts and missing flags are refused by name.
#include "storage/CheckpointStore.h"
#include "storage/Project.h"
#include "tests/support/RequiredTools.h"

#include <QtTest>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <map>
#include <sstream>
#include <unistd.h>

using namespace strata;

namespace {

struct Run {
    int code = -1;
    QString out, err;
};

// The latest checkpoint's variables (weights, optimizer slots, iteration) by key.
std::map<std::string, Tensor> latestVariables(const QString& project) {
    const storage::Project p = storage::Project::open(project.toStdString(), storage::OpenMode::ReadOnly);
    const auto latest = storage::CheckpointStore(p).latest();
    if (!latest) return {};
    storage::CheckpointReader r(p, latest->id);
    std::map<std::string, Tensor> out;
    for (const auto& e : r.entries()) out[e.key] = r.read(e);
    return out;
}

// The largest absolute difference of any float variable; infinity when the keys or shapes differ.
double maxDifference(const std::map<std::string, Tensor>& a, const std::map<std::string, Tensor>& b) {
    if (a.size() != b.size() || a.empty()) return INFINITY;
    double worst = 0;
    for (const auto& [key, t] : a) {
        const auto it = b.find(key);
        if (it == b.end() || it->second.shape() != t.shape() || it->second.dtype() != t.dtype()) return INFINITY;
        if (t.dtype() != DType::F32) {
            if (std::memcmp(t.bytes(), it->second.bytes(), t.byteSize()) != 0) return INFINITY;
            continue;
        }
        for (int64_t i = 0; i < t.size(); ++i) worst = std::max(worst, std::fabs(double(t.f32()[i]) - double(it->second.f32()[i])));
    }
    return worst;
}

} // namespace

class TestDistributed : public QObject {
    Q_OBJECT

    QString cli_ = STRATA_CLI_EXE, mpirun_ = STRATA_MPIRUN;
    QTemporaryDir dir_;
    QString spec_ = QString(STRATA_TEST_DATA_DIR) + "/../../resources/examples/digits_mlp.json";

    QString path(const QString& name) const { return dir_.filePath(name); }

    Run exec(const QString& program, const QStringList& args, const QStringList& env = {}, int timeoutMs = 120000) {
        QProcess p;
        QProcessEnvironment e = QProcessEnvironment::systemEnvironment();
        e.insert("OMPI_ALLOW_RUN_AS_ROOT", "1"); // OpenMPI 4.1 wants both, besides --allow-run-as-root
        e.insert("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1");
        e.insert("OMPI_MCA_rmaps_base_oversubscribe", "1");
        for (const QString& kv : env) e.insert(kv.section('=', 0, 0), kv.section('=', 1));
        p.setProcessEnvironment(e);
        p.start(program, args);
        if (!p.waitForFinished(timeoutMs)) {
            p.kill();
            p.waitForFinished();
            return {-2, p.readAllStandardOutput(), "timed out: " + p.readAllStandardError()};
        }
        return {p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1, p.readAllStandardOutput(), p.readAllStandardError()};
    }
    Run mpi(int ranks, const QStringList& args, const QStringList& env = {}) {
        QStringList a;
        if (geteuid() == 0) a << "--allow-run-as-root";
        a << "--oversubscribe" << "-np" << QString::number(ranks) << cli_ << args;
        return exec(mpirun_, a, env);
    }
    QStringList train(const QString& project, const QStringList& more) const {
        return QStringList{"train", spec_, "--data", "digits", "--seed", "3", "--project", path(project), "--json"} + more;
    }
    static nlohmann::json distributedLine(const Run& r) {
        for (const QString& line : r.out.split('\n'))
            if (line.startsWith("{\"distributed\"")) return nlohmann::json::parse(line.toStdString())["distributed"];
        return nullptr;
    }

private slots:
    void initTestCase() {
        QVERIFY(dir_.isValid());
        if (mpirun_.isEmpty() || !QFileInfo(mpirun_).isExecutable())
            STRATA_SKIP_UNLESS_REQUIRED("mpirun (openmpi-bin) was not found when this build was configured");
        QVERIFY2(QFileInfo(cli_).isExecutable(), qPrintable(cli_));
    }

    void ranksMatchOneProcessOnTheSameGlobalBatch() {
        const Run one = exec(cli_, train("one.strata", {"--batch", "48", "--steps", "20"}));
        QVERIFY2(one.code == 0, qPrintable(one.err));
        const auto reference = latestVariables(path("one.strata"));
        QVERIFY(!reference.empty());
        for (int ranks : {2, 3}) {
            const QString name = QString("ranks%1.strata").arg(ranks);
            // 2 ranks: one bucket; 3 ranks: 1 KiB buckets, summed while the backward pass goes on
            const QStringList buckets = ranks == 3 ? QStringList{"--bucket-kib", "1"} : QStringList{};
            const Run r = mpi(ranks, train(name, QStringList{"--batch", QString::number(48 / ranks), "--steps", "20", "--distributed"} + buckets));
            QVERIFY2(r.code == 0, qPrintable(r.err));
            const nlohmann::json d = distributedLine(r);
            QVERIFY2(d.is_object(), qPrintable(r.out));
            QCOMPARE(d["ranks"].get<int>(), ranks);
            QCOMPARE(d["global_batch"].get<int>(), 48);
            QCOMPARE(d["steps"].get<int>(), 20);
            QCOMPARE(d["buckets"].get<int>(), ranks == 3 ? 4 : 1);
            QVERIFY(d["replicas_agree"].get<bool>());
            const double diff = maxDifference(reference, latestVariables(path(name)));
            qInfo("%d ranks vs one process after 20 steps: max |difference| %.3g", ranks, diff);
            QVERIFY2(diff <= 1e-5, qPrintable(QString("%1 ranks differ from one process by %2").arg(ranks).arg(diff)));
        }
        // The comparison can fail: another seed's weights are far from these.
        const Run other = exec(cli_, QStringList{"train", spec_, "--data", "digits", "--seed", "4", "--batch", "48", "--steps",
                                                 "20", "--project", path("seed4.strata")});
        QCOMPARE(other.code, 0);
        QVERIFY(maxDifference(reference, latestVariables(path("seed4.strata"))) > 1e-3);
    }

    void unevenShardsAverageExactly() { // 50 rows over 3 ranks: 17, 17, 16; and a partial last batch
        const Run one = exec(cli_, train("uneven1.strata", {"--batch", "50", "--steps", "30", "--optimizer", "sgd", "--lr", "0.05"}));
        QVERIFY2(one.code == 0, qPrintable(one.err));
        const Run r = mpi(3, train("uneven3.strata", {"--global-batch", "50", "--steps", "30", "--optimizer", "sgd", "--lr",
                                                      "0.05", "--distributed"}));
        QVERIFY2(r.code == 0, qPrintable(r.err));
        const double diff = maxDifference(latestVariables(path("uneven1.strata")), latestVariables(path("uneven3.strata")));
        qInfo("3 uneven shards vs one process: max |difference| %.3g", diff);
        QVERIFY2(diff <= 1e-5, qPrintable(QString::number(diff)));
    }

    void onlyRankZeroWritesTheProject() {
        const Run r = mpi(3, train("writer.strata", {"--batch", "16", "--steps", "12", "--checkpoint-every", "4", "--distributed"}));
        QVERIFY2(r.code == 0, qPrintable(r.err));
        const storage::Project p = storage::Project::open(path("writer.strata").toStdString(), storage::OpenMode::ReadOnly);
        QCOMPARE(int(p.runs().size()), 1); // a second writer would have begun its own run
        const auto run = p.runs()[0];
        QCOMPARE(run.hyperparameters["distributed"]["ranks"].get<int>(), 3);
        QCOMPARE(run.hyperparameters["batch_size"].get<int>(), 48);
        std::vector<int64_t> steps;
        for (const auto& c : storage::CheckpointStore(p).list({})) steps.push_back(c.step);
        std::sort(steps.begin(), steps.end());
        QCOMPARE(steps, (std::vector<int64_t>{4, 8, 12}));
        QCOMPARE(int(p.metrics(run.id, "step").size()), 12); // one loss per step, not one per rank
    }

    void killedRankEndsTheJobAndResumeReachesTheSameWeights() {
        const QStringList common = {"--batch", "24", "--epochs", "2", "--checkpoint-every", "10", "--distributed"};
        const Run whole = mpi(2, train("whole.strata", common));
        QVERIFY2(whole.code == 0, qPrintable(whole.err));

        const Run killed = mpi(2, train("killed.strata", common), {"STRATA_TEST_FAULT=1:37:kill"});
        QVERIFY(killed.code != 0);
        QVERIFY2(killed.err.contains("rank 1, step 37"), qPrintable(killed.err));
        QVERIFY2(killed.err.contains("rank 0, step 37: ended by the MPI launcher"), qPrintable(killed.err));
        QVERIFY2(killed.err.contains("exited on signal 9"), qPrintable(killed.err)); // mpirun names the dead rank
        { // readable, with its last committed checkpoint
            const storage::Project p = storage::Project::open(path("killed.strata").toStdString(), storage::OpenMode::ReadOnly);
            QCOMPARE(storage::CheckpointStore(p).latest()->step, int64_t(30));
        }
        const Run wrongN = mpi(3, {"train", "--project", path("killed.strata"), "--resume", "--distributed"});
        QVERIFY(wrongN.code != 0);
        QVERIFY2(wrongN.err.contains("was trained on 2 ranks and is resumed on 3"), qPrintable(wrongN.err));
        const Run alone = exec(cli_, {"train", "--project", path("killed.strata"), "--resume"});
        QCOMPARE(alone.code, 2);
        QVERIFY2(alone.err.contains("mpirun -np 2"), qPrintable(alone.err));

        const Run resumed = mpi(2, {"train", "--project", path("killed.strata"), "--resume", "--distributed", "--json"});
        QVERIFY2(resumed.code == 0, qPrintable(resumed.err));
        QVERIFY2(resumed.err.contains("resuming run 1 from checkpoint 3 (step 30"), qPrintable(resumed.err));
        const double diff = maxDifference(latestVariables(path("whole.strata")), latestVariables(path("killed.strata")));
        qInfo("killed and resumed vs uninterrupted: max |difference| %.3g", diff);
        QVERIFY2(diff <= 1e-5, qPrintable(QString::number(diff)));
    }

    void hangingRankIsNamedByTheWatchdog() {
        QElapsedTimer t;
        t.start();
        const Run r = mpi(3, train("hang.strata", {"--batch", "16", "--steps", "30", "--distributed", "--collective-timeout", "2"}),
                          {"STRATA_TEST_FAULT=2:6:hang"});
        QVERIFY(r.code != 0);
        QVERIFY2(r.err.contains("step 6: the gradient sum"), qPrintable(r.err));
        QVERIFY2(r.err.contains("rank 2 did not answer: it died or hangs"), qPrintable(r.err));
        QVERIFY2(t.elapsed() < 60000, "the watchdog did not end the job");
    }

    void badInvocationsAreRefused() {
        const Run noFlag = mpi(2, train("noflag.strata", {"--steps", "1"}));
        QVERIFY(noFlag.code != 0);
        QVERIFY2(noFlag.err.contains("without --distributed"), qPrintable(noFlag.err));
        const Run both = exec(cli_, train("both.strata", {"--distributed", "--batch", "8", "--global-batch", "16"}));
        QCOMPARE(both.code, 2);
        QVERIFY2(both.err.contains("not both"), qPrintable(both.err));
        const Run lone = exec(cli_, train("lone.strata", {"--global-batch", "16"}));
        QCOMPARE(lone.code, 2);
        QVERIFY2(lone.err.contains("--global-batch needs --distributed"), qPrintable(lone.err));
        const Run tiny = mpi(3, train("tiny.strata", {"--distributed", "--global-batch", "2"}));
        QVERIFY(tiny.code != 0);
        QVERIFY2(tiny.err.contains("smaller than the 3 ranks"), qPrintable(tiny.err));
    }

    void vulkanRanksMatchOneVulkanProcess() {
        const Run devices = exec(cli_, {"devices"});
        if (!devices.out.contains("vulkan:0")) STRATA_SKIP_UNLESS_REQUIRED("no Vulkan device (Mesa's lavapipe: mesa-vulkan-drivers)");
        const QStringList validation = {"VK_INSTANCE_LAYERS=VK_LAYER_KHRONOS_validation"};
        const Run one = exec(cli_, train("vk1.strata", {"--device", "vulkan", "--batch", "32", "--steps", "20"}), validation);
        QVERIFY2(one.code == 0, qPrintable(one.err));
        const Run two = mpi(2, train("vk2.strata", {"--device", "vulkan", "--batch", "16", "--steps", "20", "--distributed"}), validation);
        QVERIFY2(two.code == 0, qPrintable(two.err));
        for (const Run* r : {&one, &two})
            QVERIFY2(!r->err.contains("Validation Error") && !r->out.contains("Validation Error"), qPrintable(r->err));
        const storage::Project p = storage::Project::open(path("vk2.strata").toStdString(), storage::OpenMode::ReadOnly);
        QCOMPARE(QString::fromStdString(p.runs()[0].backend), QString("vulkan:0"));
        const double diff = maxDifference(latestVariables(path("vk1.strata")), latestVariables(path("vk2.strata")));
        qInfo("2 Vulkan ranks vs one Vulkan process: max |difference| %.3g", diff);
        QVERIFY2(diff <= 1e-5, qPrintable(QString::number(diff)));
    }
};

QTEST_GUILESS_MAIN(TestDistributed)
#include "tst_distributed.moc"
