// The trainer end to end on the CPU backend: accuracy on digits, one trace per signature,
// frozen variables, seeded reproducibility, stop requests, NaN stops and bad data.
#include "engine/Error.h"
#include "engine/Model.h"
#include "engine/cpu/CpuBackend.h"
#include "engine/data/BuiltinDatasets.h"
#include "engine/train/Trainer.h"

#include <QtTest>

using namespace strata;

namespace {
ModelSpec example(const char* name) {
    return ModelSpec::load(std::string(STRATA_TEST_DATA_DIR) + "/../../resources/examples/" + name);
}

train::TrainOptions adam(int epochs, int64_t batch = 32) {
    train::TrainOptions o;
    o.epochs = epochs;
    o.batchSize = batch;
    o.optimizer = ir::OptimizerConfig::defaults("adam");
    return o;
}

std::vector<float> flatWeights(const Model& m) {
    std::vector<float> out;
    for (Variable* v : m.variables()) out.insert(out.end(), v->value().values().begin(), v->value().values().end());
    return out;
}
} // namespace

class TestTrainer : public QObject {
    Q_OBJECT
private slots:
    void digitsMlpReachesKerasAccuracy() {
        auto model = Model::fromSpec(example("digits_mlp.json"));
        model->build(0);
        auto splits = data::loadBuiltinDataset("digits");
        cpu::CpuBackend be;
        train::Trainer trainer(*model, be, adam(30));
        std::vector<train::EpochEvent> events;
        trainer.onEpoch([&](const train::EpochEvent& e) { events.push_back(e); });
        auto fit = trainer.fit(splits.train, &splits.validation);
        QCOMPARE(int(fit.epochs.size()), 30);
        QCOMPARE(int(events.size()), 30);
        QVERIFY(events.back().loss < events.front().loss);
        QVERIFY2(events.back().accuracy >= 0.95, qPrintable(QString::number(events.back().accuracy))); // outputs vs their own labels
        QVERIFY(!std::isnan(events.back().valAccuracy));
        auto test = trainer.evaluate(splits.test);
        QVERIFY2(test.accuracy >= 0.95, qPrintable(QString::number(test.accuracy)));
        // predict agrees with evaluate's accuracy
        Tensor probs = trainer.predict(splits.test.x);
        QCOMPARE(probs.shape(), (Shape{splits.test.size(), 10}));
    }

    void eachSignatureIsTracedOnce() {
        auto model = Model::fromSpec(example("digits_mlp.json"));
        model->build(0);
        auto splits = data::loadBuiltinDataset("digits");
        cpu::CpuBackend be;
        train::Trainer trainer(*model, be, adam(3));
        trainer.fit(splits.train); // 1294 samples: full batches of 32 and a last one of 14
        QCOMPARE(trainer.traces().size(), std::size_t(2));
        trainer.evaluate(splits.test); // 359 = 11 * 32 + 7: two inference signatures
        QCOMPARE(trainer.traces().size(), std::size_t(4));
        trainer.fit(splits.train);
        QCOMPARE(trainer.traces().size(), std::size_t(4));
    }

    void trainingFlagChangesTheGraph() {
        auto model = Model::fromSpec(example("mnist_cnn.json"));
        model->build(0);
        auto training = train::traceModel(*model, {{Shape{2, 28, 28, 1}}, true}, 0);
        auto inference = train::traceModel(*model, {{Shape{2, 28, 28, 1}}, false}, 0);
        QVERIFY(training.graph.nodeCount() > inference.graph.nodeCount()); // dropout only while training
        QVERIFY(QString::fromStdString(training.graph.toText()).contains("dropout", Qt::CaseInsensitive));
        QVERIFY(!QString::fromStdString(inference.graph.toText()).contains("dropout", Qt::CaseInsensitive));
    }

    void frozenLayerIsNotUpdated() {
        auto model = Model::fromSpec(example("digits_mlp.json"));
        model->build(0);
        model->layer("dense_1")->setTrainable(false);
        const Tensor before = model->findVariable("dense_1/kernel")->value();
        const Tensor headBefore = model->findVariable("probs/kernel")->value();
        auto splits = data::loadBuiltinDataset("digits");
        cpu::CpuBackend be;
        train::Trainer trainer(*model, be, adam(2));
        trainer.fit(splits.train);
        const Tensor after = model->findVariable("dense_1/kernel")->value();
        QVERIFY(std::equal(before.values().begin(), before.values().end(), after.values().begin()));
        const Tensor headAfter = model->findVariable("probs/kernel")->value();
        QVERIFY(!std::equal(headBefore.values().begin(), headBefore.values().end(), headAfter.values().begin()));
        QVERIFY(!be.hasVariable(ir::slotPath("model/dense_1/kernel", "m"))); // no optimizer slot either
    }

    void seededRunIsBitReproducible() {
        auto splits = data::loadBuiltinDataset("digits");
        std::vector<float> w[2];
        for (int k = 0; k < 2; ++k) {
            auto model = Model::fromSpec(example("two_branch.json"));
            model->build(7);
            cpu::CpuBackend be;
            auto opts = adam(2);
            opts.seed = 7;
            train::Trainer trainer(*model, be, opts);
            trainer.fit(splits.train);
            w[k] = flatWeights(*model);
        }
        QVERIFY(w[0] == w[1]);
    }

    void stopRequestEndsBetweenSteps() {
        auto model = Model::fromSpec(example("digits_mlp.json"));
        model->build(0);
        auto splits = data::loadBuiltinDataset("digits");
        cpu::CpuBackend be;
        train::Trainer trainer(*model, be, adam(50));
        trainer.onStep([&](const train::StepEvent& s) {
            if (s.step == 5) trainer.requestStop();
        });
        auto fit = trainer.fit(splits.train);
        QVERIFY(fit.stopped);
        QCOMPARE(fit.steps, int64_t(5));
        QVERIFY(QString::fromStdString(fit.message).contains("stopped on request"));
    }

    void nanLossStopsAndKeepsFiniteWeights() {
        auto model = Model::fromSpec(example("digits_mlp.json"));
        model->build(0);
        auto splits = data::loadBuiltinDataset("digits");
        cpu::CpuBackend be;
        // One corrupt sample (a NaN pixel) makes the loss of its batch NaN in the first epoch.
        splits.train.x.f32()[500 * 64 + 3] = std::numeric_limits<float>::quiet_NaN();
        auto opts = adam(5);
        train::Trainer trainer(*model, be, opts);
        auto fit = trainer.fit(splits.train);
        QVERIFY(fit.diverged);
        QVERIFY(fit.epochs.empty());
        QVERIFY2(QString::fromStdString(fit.message).contains(QRegularExpression("became (NaN|infinite) at step \\d+")),
                 fit.message.c_str());
        for (float v : flatWeights(*model)) QVERIFY(std::isfinite(v));
    }

    void labelOutOfRangeIsRejected() {
        auto model = Model::fromSpec(example("digits_mlp.json"));
        model->build(0);
        auto splits = data::loadBuiltinDataset("digits");
        splits.train.y.i32()[3] = 12;
        cpu::CpuBackend be;
        train::Trainer trainer(*model, be, adam(1));
        try {
            trainer.fit(splits.train);
            QFAIL("expected an error");
        } catch (const StrataError& e) {
            QVERIFY2(QString(e.what()).contains("label 12"), e.what());
        }
    }

    void lossOutputShapeMismatchIsRejected() {
        auto model = Model::fromSpec(example("autoencoder.json"));
        model->build(0);
        auto splits = data::loadBuiltinDataset("digits");
        cpu::CpuBackend be;
        auto opts = adam(1);
        opts.loss = "mean_squared_error";
        train::Trainer trainer(*model, be, opts);
        try {
            trainer.fit(splits.train);
            QFAIL("expected an error");
        } catch (const StrataError& e) {
            QVERIFY2(QString(e.what()).contains("output 'decoder' of shape (None, 64)"), e.what());
        }
    }

    void unknownLossIsRejected() {
        auto model = Model::fromSpec(example("digits_mlp.json"));
        model->build(0);
        auto splits = data::loadBuiltinDataset("digits");
        cpu::CpuBackend be;
        auto opts = adam(1);
        opts.loss = "hinge_of_doom";
        train::Trainer trainer(*model, be, opts);
        QVERIFY_THROWS_EXCEPTION(StrataError, trainer.fit(splits.train));
    }
};

QTEST_APPLESS_MAIN(TestTrainer)
#include "tst_trainer.moc"
