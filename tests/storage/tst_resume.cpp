// Resuming from a checkpoint continues a run exactly: weights, optimizer slots, optimizer/iter
// (hence dropout masks) and the data position restored, three epochs plus a resume to six end
// bit-identical to six uninterrupted epochs on the CPU backend, also when stopped mid-epoch.
#include "StorageTestUtil.h"

#include "engine/data/BuiltinDatasets.h"
#include "storage/CheckpointStore.h"
#include "storage/Restore.h"

#include <QTemporaryDir>
#include <QtTest>

using namespace strata;
using namespace strata::storage;
namespace fs = std::filesystem;

namespace {
constexpr uint64_t kSeed = 3;

std::map<std::string, Tensor> state(const ir::Backend& be) {
    std::map<std::string, Tensor> out;
    for (const auto& p : be.variablePaths()) out.emplace(p, be.getVariable(p));
    return out;
}
} // namespace

class TestResume : public QObject {
    Q_OBJECT
    QTemporaryDir dir_;
    data::DatasetSplits splits_;
    std::map<std::string, Tensor> uninterrupted_;
    std::vector<float> uninterruptedWeights_;

    // Trains two_branch (batch norm and dropout: both depend on the step) for `epochs`,
    // stopping after `maxSteps` when given; checkpoints where it stopped.
    int64_t trainAndCheckpoint(Project& p, int epochs, int64_t maxSteps) {
        auto model = testutil::builtModel("two_branch.json", kSeed);
        cpu::CpuBackend be;
        auto opts = testutil::adam(epochs, 32, kSeed);
        opts.maxSteps = maxSteps;
        train::Trainer trainer(*model, be, opts);
        train::StepEvent last;
        trainer.onStep([&](const train::StepEvent& e) { last = e; });
        trainer.fit(splits_.train, &splits_.validation);
        const bool epochEnd = last.batch == last.batchesPerEpoch;
        CheckpointWriter w(p, {p.ensureVersion("two_branch", model->spec()).id, std::nullopt, last.step,
                               epochEnd ? last.epoch : last.epoch - 1, epochEnd ? 0 : last.batch});
        w.addBackend(be);
        return w.commit();
    }

    // A fresh model and backend (as in a new process), restored from the checkpoint and trained to 6 epochs.
    std::map<std::string, Tensor> resume(Project& p, int64_t checkpointId, std::vector<float>& weights) {
        auto model = Model::fromSpec(testutil::example("two_branch.json")); // unbuilt: built by the restore
        cpu::CpuBackend be;
        CheckpointReader r(p, checkpointId);
        restoreModel(r, *model);
        restoreTrainingState(r, be);
        auto opts = testutil::adam(6, 32, kSeed);
        opts.initialEpoch = r.info().epochsDone;
        opts.initialBatch = r.info().batchesDone;
        train::Trainer trainer(*model, be, opts);
        trainer.fit(splits_.train, &splits_.validation);
        for (const Variable* v : model->variables()) weights.insert(weights.end(), v->value().values().begin(), v->value().values().end());
        return state(be);
    }

    void compareWithUninterrupted(const std::map<std::string, Tensor>& resumed, const std::vector<float>& weights) {
        QCOMPARE(resumed.size(), uninterrupted_.size());
        for (const auto& [path, t] : uninterrupted_) QVERIFY2(testutil::sameBytes(resumed.at(path), t), path.c_str());
        QCOMPARE(weights.size(), uninterruptedWeights_.size());
        QVERIFY(std::memcmp(weights.data(), uninterruptedWeights_.data(), weights.size() * sizeof(float)) == 0);
    }

private slots:
    void initTestCase() {
        splits_ = data::loadBuiltinDataset("digits");
        auto model = testutil::builtModel("two_branch.json", kSeed);
        cpu::CpuBackend be;
        train::Trainer trainer(*model, be, testutil::adam(6, 32, kSeed));
        trainer.fit(splits_.train, &splits_.validation);
        uninterrupted_ = state(be);
        for (const Variable* v : model->variables())
            uninterruptedWeights_.insert(uninterruptedWeights_.end(), v->value().values().begin(), v->value().values().end());
        QVERIFY(uninterrupted_.count("optimizer/iter"));
        QVERIFY(uninterrupted_.count("model/batch_normalization/moving_mean"));
    }

    void threeEpochsThenResumeToSixEqualsSixUninterrupted() {
        Project p = Project::open(fs::path(dir_.path().toStdString()) / "epochs.strata", OpenMode::Create);
        const int64_t id = trainAndCheckpoint(p, 3, -1);
        QCOMPARE(CheckpointStore(p).get(id).epochsDone, 3);
        QCOMPARE(CheckpointStore(p).get(id).batchesDone, int64_t(0));
        std::vector<float> weights;
        compareWithUninterrupted(resume(p, id, weights), weights);
    }

    void stoppedMidEpochResumesExactly() {
        Project p = Project::open(fs::path(dir_.path().toStdString()) / "steps.strata", OpenMode::Create);
        const int64_t id = trainAndCheckpoint(p, 6, 57);
        QVERIFY(CheckpointStore(p).get(id).batchesDone > 0);
        QCOMPARE(CheckpointStore(p).get(id).step, int64_t(57));
        std::vector<float> weights;
        compareWithUninterrupted(resume(p, id, weights), weights);
    }
};

QTEST_GUILESS_MAIN(TestResume)
#include "tst_resume.moc"
