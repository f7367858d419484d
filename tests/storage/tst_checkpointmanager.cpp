// Retention: the newest max_to_keep, one kept for good every N epochs, the best by a metric;
// latest and best; pruning happens in the save's transaction.
#include "StorageTestUtil.h"

#include "storage/CheckpointManager.h"

#include <QTemporaryDir>
#include <QtTest>

using namespace strata;
using namespace strata::storage;
namespace fs = std::filesystem;

class TestCheckpointManager : public QObject {
    Q_OBJECT
    QTemporaryDir dir_;
    int counter_ = 0;

    struct Fixture {
        Project project;
        int64_t version = 0, run = 0;
    };
    Fixture fixture() {
        Fixture f{Project::open(fs::path(dir_.path().toStdString()) / ("m" + std::to_string(counter_++) + ".strata"), OpenMode::Create)};
        f.version = f.project.saveVersion("m", testutil::example("digits_mlp.json")).id;
        f.run = f.project.beginRun({f.version, std::nullopt, {}, 0, "cpu"});
        return f;
    }
    static int64_t save(CheckpointManager& mgr, int64_t step, int epochsDone, int64_t batchesDone, nlohmann::json metrics = nlohmann::json::object()) {
        CheckpointMeta meta;
        meta.step = step;
        meta.epochsDone = epochsDone;
        meta.batchesDone = batchesDone;
        meta.metrics = std::move(metrics);
        return mgr.save(meta, [](CheckpointWriter& w) { w.add("model/w/.ATTRIBUTES/VARIABLE_VALUE", Tensor(Shape{2})); });
    }
    static std::vector<int64_t> steps(const CheckpointManager& mgr) {
        std::vector<int64_t> out;
        for (const auto& c : mgr.checkpoints()) out.push_back(c.step);
        return out;
    }

private slots:
    void keepsTheNewestMaxToKeep() {
        Fixture f = fixture();
        CheckpointManager mgr(f.project, f.version, f.run, {3, 0, "", false});
        for (int s = 1; s <= 7; ++s) save(mgr, s, 0, s);
        QCOMPARE(steps(mgr), (std::vector<int64_t>{5, 6, 7}));
        QCOMPARE(mgr.latest()->step, int64_t(7));
        QCOMPARE(f.project.database().queryInt("SELECT count(*) FROM checkpoint_variables"), int64_t(3 * 2)); // w + save_counter
    }

    void zeroKeepsAll() {
        Fixture f = fixture();
        CheckpointManager mgr(f.project, f.version, f.run, {0, 0, "", false});
        for (int s = 1; s <= 6; ++s) save(mgr, s, 0, s);
        QCOMPARE(int(mgr.checkpoints().size()), 6);
    }

    void keepsOneEveryNEpochsForGood() {
        Fixture f = fixture();
        CheckpointManager mgr(f.project, f.version, f.run, {2, 2, "", false});
        int64_t step = 0;
        for (int epoch = 1; epoch <= 6; ++epoch)
            for (int b = 1; b <= 3; ++b) save(mgr, ++step, b == 3 ? epoch : epoch - 1, b == 3 ? 0 : b);
        // Ends of epochs 2, 4 and 6 (steps 6, 12, 18) are kept, plus the newest two (17, 18).
        QCOMPARE(steps(mgr), (std::vector<int64_t>{6, 12, 17, 18}));
        for (const auto& c : mgr.checkpoints()) QCOMPARE(c.keep, c.step % 6 == 0);
    }

    void keepsTheBestByMetric() {
        Fixture f = fixture();
        CheckpointManager mgr(f.project, f.version, f.run, {2, 0, "val_loss", false});
        const double losses[] = {0.9, 0.5, 0.2, 0.4, 0.6, 0.7};
        for (int e = 1; e <= 6; ++e) save(mgr, e * 10, e, 0, {{"val_loss", losses[e - 1]}});
        QCOMPARE(steps(mgr), (std::vector<int64_t>{30, 50, 60}));
        QCOMPARE(mgr.best()->step, int64_t(30));
        QCOMPARE(mgr.best("val_loss", true)->step, int64_t(60)); // highest of those kept
    }

    void metricsAddedLaterCanMakeABest() {
        Fixture f = fixture();
        CheckpointManager mgr(f.project, f.version, f.run, {1, 0, "val_loss", false});
        const int64_t first = save(mgr, 1, 1, 0);
        mgr.addMetrics(first, {{"val_loss", 0.1}});
        save(mgr, 2, 2, 0, {{"val_loss", 0.5}});
        save(mgr, 3, 3, 0, {{"val_loss", 0.6}});
        QCOMPARE(steps(mgr), (std::vector<int64_t>{1, 3}));
    }

    void runsAreManagedSeparately() {
        Fixture f = fixture();
        const int64_t other = f.project.beginRun({f.version, std::nullopt, {}, 0, "cpu"});
        CheckpointManager a(f.project, f.version, f.run, {1, 0, "", false});
        CheckpointManager b(f.project, f.version, other, {1, 0, "", false});
        save(a, 1, 0, 1);
        save(b, 1, 0, 1);
        save(a, 2, 0, 2);
        QCOMPARE(steps(a), std::vector<int64_t>{2});
        QCOMPARE(steps(b), std::vector<int64_t>{1});
    }
};

QTEST_GUILESS_MAIN(TestCheckpointManager)
#include "tst_checkpointmanager.moc"
