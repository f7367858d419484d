// Restore by key and shape: every missing, unexpected and mismatched key is reported by name, a
// failed restore changes nothing (an unbuilt model stays unbuilt), a partial restore applies the
// matches and lists what it skipped, and the training state goes to the backend.
#include "StorageTestUtil.h"

#include "engine/data/BuiltinDatasets.h"
#include "storage/CheckpointStore.h"
#include "storage/Restore.h"

#include <QTemporaryDir>
#include <QtTest>

#include <algorithm>

using namespace strata;
using namespace strata::storage;
namespace fs = std::filesystem;

namespace {
// digits_mlp with a layer added (hidden) so probs's kernel changes shape.
constexpr const char* kWiderSpec = R"({"format": "strata.model/1", "name": "wider", "layers": [
  {"name": "pixels", "type": "Input", "config": {"shape": [64]}},
  {"name": "dense_1", "type": "Dense", "config": {"units": 32, "activation": "relu"}},
  {"name": "hidden", "type": "Dense", "config": {"units": 16, "activation": "relu"}},
  {"name": "probs", "type": "Dense", "config": {"units": 10, "activation": "softmax"}}]})";

const std::string kHiddenKernel = "model/hidden/kernel/.ATTRIBUTES/VARIABLE_VALUE";
const std::string kHiddenBias = "model/hidden/bias/.ATTRIBUTES/VARIABLE_VALUE";
const std::string kProbsKernel = "model/probs/kernel/.ATTRIBUTES/VARIABLE_VALUE";
const std::string kOldKernel = "model/old_layer/kernel/.ATTRIBUTES/VARIABLE_VALUE";

bool contains(const std::vector<std::string>& v, const std::string& s) { return std::find(v.begin(), v.end(), s) != v.end(); }

std::map<std::string, Tensor> values(const Model& m) {
    std::map<std::string, Tensor> out;
    for (const Variable* v : m.variables()) out.emplace(v->checkpointKey(), v->value());
    return out;
}
} // namespace

class TestRestore : public QObject {
    Q_OBJECT
    QTemporaryDir dir_;
    std::unique_ptr<Project> project_;
    std::unique_ptr<Model> source_; // digits_mlp after three steps
    cpu::CpuBackend backend_;
    int64_t checkpoint_ = 0;

private slots:
    void initTestCase() {
        project_ = std::make_unique<Project>(Project::open(fs::path(dir_.path().toStdString()) / "r.strata", OpenMode::Create));
        source_ = testutil::builtModel("digits_mlp.json", 5);
        auto splits = data::loadBuiltinDataset("digits");
        auto opts = testutil::adam(1);
        opts.maxSteps = 3;
        train::Trainer trainer(*source_, backend_, opts);
        trainer.fit(splits.train);
        const int64_t v = project_->saveVersion("digits_mlp", source_->spec()).id;
        CheckpointWriter w(*project_, {v, std::nullopt, 3, 0, 3});
        w.addBackend(backend_);
        w.add(kOldKernel, Tensor(Shape{4, 4})); // a layer the models below no longer have
        checkpoint_ = w.commit();
    }

    void reportsMissingUnexpectedAndMismatchedKeysByName() {
        auto target = Model::fromSpec(testutil::specFromJson(kWiderSpec));
        target->build(1);
        const auto before = values(*target);
        CheckpointReader r(*project_, checkpoint_);
        try {
            restoreModel(r, *target);
            QFAIL("restore succeeded");
        } catch (const RestoreError& e) {
            const RestoreReport& rep = e.report();
            QCOMPARE(int(rep.missing.size()), 2);
            QVERIFY(contains(rep.missing, kHiddenKernel) && contains(rep.missing, kHiddenBias));
            QCOMPARE(rep.unexpected, std::vector<std::string>{kOldKernel});
            QCOMPARE(int(rep.mismatched.size()), 1);
            QCOMPARE(QString::fromStdString(rep.mismatched[0].key), QString::fromStdString(kProbsKernel));
            QCOMPARE(rep.mismatched[0].expected, Shape({16, 10}));
            QCOMPARE(rep.mismatched[0].found, Shape({32, 10}));
            QVERIFY(!rep.applied);
            const QString msg = e.what();
            for (const auto& k : {kHiddenKernel, kHiddenBias, kOldKernel, kProbsKernel}) QVERIFY2(msg.contains(QString::fromStdString(k)), qPrintable(msg));
            QVERIFY(msg.contains("nothing was applied"));
            QVERIFY(msg.contains("(16, 10)") && msg.contains("(32, 10)"));
        }
        for (const auto& [k, v] : values(*target)) QVERIFY2(testutil::sameBytes(v, before.at(k)), k.c_str());
    }

    void partialRestoreAppliesMatchesAndListsSkipped() {
        auto target = Model::fromSpec(testutil::specFromJson(kWiderSpec));
        target->build(1);
        const auto before = values(*target);
        CheckpointReader r(*project_, checkpoint_);
        const RestoreReport rep = restoreModel(r, *target, RestoreMode::Partial);
        QVERIFY(rep.applied);
        QCOMPARE(int(rep.restored.size()), 3); // dense_1 kernel and bias, probs bias
        QCOMPARE(int(rep.skipped.size()), 4);
        for (const auto& k : {kHiddenKernel, kHiddenBias, kOldKernel, kProbsKernel}) QVERIFY(contains(rep.skipped, k));
        const auto after = values(*target);
        const auto src = values(*source_);
        QVERIFY(testutil::sameBytes(after.at("model/dense_1/kernel/.ATTRIBUTES/VARIABLE_VALUE"),
                                    src.at("model/dense_1/kernel/.ATTRIBUTES/VARIABLE_VALUE")));
        QVERIFY(testutil::sameBytes(after.at(kProbsKernel), before.at(kProbsKernel)));
        QVERIFY(testutil::sameBytes(after.at(kHiddenKernel), before.at(kHiddenKernel)));
        QVERIFY(contains(rep.trainingState, "optimizer/iter/.ATTRIBUTES/VARIABLE_VALUE"));
    }

    void anUnbuiltModelIsBuiltFromTheCheckpoint() {
        auto target = Model::fromSpec(testutil::example("digits_mlp.json"));
        QVERIFY(!target->built());
        CheckpointReader r(*project_, checkpoint_);
        // The spec matches but the checkpoint has one extra key: only a partial restore applies.
        QVERIFY_THROWS_EXCEPTION(RestoreError, restoreModel(r, *target));
        QVERIFY(!target->built());
        const RestoreReport rep = restoreModel(r, *target, RestoreMode::Partial);
        QVERIFY(rep.built);
        QVERIFY(target->built());
        QCOMPARE(rep.skipped, std::vector<std::string>{kOldKernel});
        const auto src = values(*source_);
        for (const auto& [k, v] : values(*target)) QVERIFY2(testutil::sameBytes(v, src.at(k)), k.c_str());
    }

    void anExactCheckpointRestoresAllOrNothing() {
        Project& p = *project_;
        CheckpointWriter w(p, {CheckpointStore(p).get(checkpoint_).modelVersionId, std::nullopt, 3, 0, 3});
        w.addModel(*source_);
        const int64_t exact = w.commit();
        auto target = Model::fromSpec(testutil::example("digits_mlp.json"));
        CheckpointReader r(p, exact);
        const RestoreReport rep = restoreModel(r, *target);
        QVERIFY(rep.complete() && rep.applied && rep.skipped.empty());
        QCOMPARE(int(rep.restored.size()), 4);
    }

    void aCheckpointThatMatchesNothingSaysSo() {
        Project& p = *project_;
        CheckpointWriter w(p, {CheckpointStore(p).get(checkpoint_).modelVersionId, std::nullopt, 0, 0, 0});
        w.add("model/x/kernel/.ATTRIBUTES/VARIABLE_VALUE", Tensor(Shape{1}));
        const int64_t id = w.commit();
        auto target = testutil::builtModel("digits_mlp.json");
        CheckpointReader r(p, id);
        try {
            restoreModel(r, *target);
            QFAIL("restore succeeded");
        } catch (const RestoreError& e) {
            QCOMPARE(int(e.report().missing.size()), 4);
            QCOMPARE(int(e.report().unexpected.size()), 1);
        }
    }

    void trainingStateGoesToTheBackend() {
        cpu::CpuBackend fresh;
        CheckpointReader r(*project_, checkpoint_);
        const RestoreReport rep = restoreTrainingState(r, fresh);
        QVERIFY(rep.applied);
        QCOMPARE(int(rep.restored.size()), 9); // 8 Adam slots and optimizer/iter
        QVERIFY(!fresh.hasVariable("save_counter"));
        QVERIFY(!fresh.hasVariable("model/dense_1/kernel")); // model variables go through the model
        for (const std::string& path : fresh.variablePaths())
            QVERIFY2(testutil::sameBytes(fresh.getVariable(path), backend_.getVariable(path)), path.c_str());
    }

    void aMismatchedSlotSetsNothing() {
        cpu::CpuBackend be;
        be.setVariable("model/probs/kernel/.OPTIMIZER_SLOT/optimizer/m", Tensor(Shape{3, 3}));
        CheckpointReader r(*project_, checkpoint_);
        try {
            restoreTrainingState(r, be);
            QFAIL("restore succeeded");
        } catch (const RestoreError& e) {
            QCOMPARE(int(e.report().mismatched.size()), 1);
            QVERIFY(QString(e.what()).contains("model/probs/kernel/.OPTIMIZER_SLOT/optimizer/m"));
        }
        QVERIFY(!be.hasVariable("optimizer/iter"));
    }
};

QTEST_GUILESS_MAIN(TestRestore)
#include "tst_restore.moc"
