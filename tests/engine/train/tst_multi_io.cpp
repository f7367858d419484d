// Models with several inputs and outputs through the trainer: two_heads.json (two Inputs, a shared
// trunk, a softmax head and a linear head, loss = 1.0 * sparse CE + 0.5 * MSE, from PyTorch in
// tests/reference) evaluated and trained one SGD step by Trainer, per-output figures included; a
// CSV table's columns mapped to the inputs and outputs; and the errors of a mapping that does not
// fit the model.
#include "engine/Error.h"
#include "engine/Model.h"
#include "engine/cpu/CpuBackend.h"
#include "engine/data/ColumnMapping.h"
#include "engine/data/DatasetSource.h"
#include "engine/train/Trainer.h"
#include "tests/support/AnimalsTable.h"
#include "tests/support/GoldenFiles.h"

#include <QTemporaryDir>
#include <QtTest>

#include <cmath>
#include <fstream>

using namespace strata;

namespace {

// The golden file's batch as a dataset: x = input a, moreX = {b}, y = cls labels, moreY = {reg}.
data::Dataset goldenDataset(const golden::Fixture& f) {
    data::Dataset d;
    d.name = "two_heads";
    d.x = f.inputs[0];
    d.moreX = {f.inputs[1]};
    d.y = f.labels[0];
    d.numClasses = 3;
    d.moreY = {{f.labels[1], 0, {}}};
    d.validate();
    return d;
}

void setGoldenWeights(Model& m, const golden::json& g) {
    for (Variable* v : m.variables()) v->assign(golden::tensorOf(g["weights"][v->path()]));
}

std::string writeTable(const QString& dir, int rows) {
    return animals::writeTable((dir + "/table.csv").toStdString(), rows);
}

data::ColumnMapping twoHeadsMapping() {
    data::ColumnMapping m;
    m.inputs = {data::parseInputColumns("b=b0..b2"), data::parseInputColumns("a=a0, a1,a2 ,3")};
    m.outputs = {data::parseOutputColumn("reg=size:regression"), data::parseOutputColumn("cls=kind")};
    return m;
}

} // namespace

class TestMultiIo : public QObject {
    Q_OBJECT
private slots:
    // Evaluate on the golden batch: the weighted sum and each output's loss as PyTorch computes them.
    void evaluateGivesEachOutputsLossAndTheWeightedSum() {
        golden::Fixture f("two_heads");
        setGoldenWeights(*f.model, f.golden);
        cpu::CpuBackend be;
        train::TrainOptions o = f.options;
        o.batchSize = 4;
        train::Trainer trainer(*f.model, be, o);
        const train::EvalResult r = trainer.evaluate(goldenDataset(f));
        QCOMPARE(r.samples, int64_t(4));
        const double want = f.golden["loss_value"];
        QVERIFY2(std::fabs(r.loss - want) < 1e-5, qPrintable(QString("%1 vs %2").arg(r.loss).arg(want)));
        QCOMPARE(int(r.outputs.size()), 2);
        QCOMPARE(r.outputs[0].name, std::string("cls"));
        QCOMPARE(r.outputs[1].name, std::string("reg"));
        const double cls = f.golden["output_losses"]["cls"], reg = f.golden["output_losses"]["reg"];
        QVERIFY(std::fabs(r.outputs[0].loss - cls) < 1e-5);
        QVERIFY(std::fabs(r.outputs[1].loss - reg) < 1e-5);
        QVERIFY(std::fabs(r.loss - (1.0 * cls + 0.5 * reg)) < 1e-5);
        QVERIFY(r.outputs[0].accuracy >= 0 && r.outputs[0].accuracy <= 1); // a class head has accuracy
        QVERIFY(std::isnan(r.outputs[1].accuracy) && std::isfinite(r.outputs[1].mae)); // a regression head, MAE
        QVERIFY(std::isnan(r.accuracy));
        // The same figures under Keras' names.
        bool named = false;
        for (const auto& [k, v] : train::evalMetrics(r, "test_")) named = named || (k == "test_reg_loss" && v == r.outputs[1].loss);
        QVERIFY(named);
    }

    // One fit() step of SGD (lr 0.1) on the golden batch gives PyTorch's weights after one step.
    void fitTrainsTheWeightedSum() {
        golden::Fixture f("two_heads");
        setGoldenWeights(*f.model, f.golden);
        const golden::json& entry = f.golden["after_one_step"]["sgd"];
        cpu::CpuBackend be;
        train::TrainOptions o = f.options;
        o.batchSize = 4;
        o.shuffle = false;
        o.optimizer = ir::OptimizerConfig::fromJson(entry["config"]);
        train::Trainer trainer(*f.model, be, o);
        std::vector<train::EpochEvent> events;
        trainer.onEpoch([&](const train::EpochEvent& e) { events.push_back(e); });
        const train::FitResult fit = trainer.fit(goldenDataset(f));
        QCOMPARE(fit.steps, int64_t(1));
        QCOMPARE(int(events.size()), 1);
        QVERIFY(std::fabs(events[0].loss - double(entry["losses"][0])) < 1e-5);
        QCOMPARE(int(events[0].outputs.size()), 2);
        QVERIFY(std::fabs(events[0].outputs[1].loss - double(f.golden["output_losses"]["reg"])) < 1e-5);
        golden::Checker check({1e-5, 1e-6});
        std::string why;
        for (Variable* v : f.model->variables())
            QVERIFY2(check.close(v->value(), entry["weights"][v->path()], v->path(), why), why.c_str());
    }

    // A data set that feeds one input and one output is refused by a two-input, two-output model,
    // naming its inputs and outputs; so is a loss list of the wrong length.
    void mismatchedDataIsNamed() {
        golden::Fixture f("two_heads");
        cpu::CpuBackend be;
        train::Trainer trainer(*f.model, be, f.options);
        data::Dataset one = goldenDataset(f);
        one.moreX.clear();
        one.moreY.clear();
        try {
            trainer.checkData(one);
            QFAIL("a one-input dataset was accepted");
        } catch (const StrataError& e) {
            const QString m = e.what();
            QVERIFY2(m.contains("'a', 'b'") && m.contains("'cls', 'reg'"), e.what());
        }
        train::TrainOptions o = f.options;
        o.outputLosses.pop_back();
        QVERIFY_THROWS_EXCEPTION(StrataError, train::Trainer(*f.model, be, o));
        o = f.options;
        o.outputLosses[1].weight = -1;
        QVERIFY_THROWS_EXCEPTION(StrataError, train::Trainer(*f.model, be, o));
    }

    // The table's columns in the model's order, by names, indices and ranges; class names numbered.
    void csvColumnsFeedTheInputsAndOutputs() {
        QTemporaryDir dir;
        const std::string path = writeTable(dir.path(), 30);
        const data::ColumnMapping m = data::orderedFor(twoHeadsMapping(), {"a", "b"}, {"cls", "reg"});
        QCOMPARE(m.inputs[0].input, std::string("a"));
        QCOMPARE(m.outputs[1].output, std::string("reg"));
        const data::Dataset d = data::loadMappedCsv(path, m);
        QCOMPARE(d.x.shape(), (Shape{30, 4}));
        QCOMPARE(d.moreX.at(0).shape(), (Shape{30, 3}));
        QCOMPARE(d.numClasses, 3);
        QCOMPARE(d.classNames, (std::vector<std::string>{"cat", "dog", "owl"}));
        QCOMPARE(d.y.i32()[4], animals::kindOf(4)); // cat 0, dog 1, owl 2
        QCOMPARE(d.moreY.at(0).y.shape(), (Shape{30, 1}));
        QCOMPARE(d.moreY.at(0).numClasses, 0);
        QVERIFY(std::fabs(d.x.f32()[7 * 4 + 3] - std::sin(0.37 * 7 + 1.3 * 3)) < 1e-5); // a3 of row 7 (column "3")
        QVERIFY(std::fabs(d.moreX[0].f32()[2 * 3 + 1] - std::cos(0.23 * 2 + 0.7)) < 1e-5);  // b1 of row 2
        QCOMPARE(d.inputSources.at(1), std::string("columns b0, b1, b2"));
        // Split as a table is: every part keeps its rows together.
        const data::DatasetSplits s = data::splitTable(d);
        QCOMPARE(s.train.size() + s.validation.size() + s.test.size(), int64_t(30));
        QCOMPARE(s.test.moreX.at(0).shape()[0], s.test.size());
        QCOMPARE(s.validation.moreY.at(0).y.shape()[0], s.validation.size());
    }

    // The mapped table trains the two-headed model end to end and both heads learn.
    void mappedTableTrains() {
        QTemporaryDir dir;
        const std::string path = writeTable(dir.path(), 300);
        data::DataSource src;
        src.name = "csv:" + path;
        src.columns = data::orderedFor(twoHeadsMapping(), {"a", "b"}, {"cls", "reg"});
        data::DatasetSplits s = data::loadDataSource(src);
        golden::Fixture f("two_heads");
        f.model->build(1);
        cpu::CpuBackend be;
        train::TrainOptions o = f.options;
        o.epochs = 40;
        o.batchSize = 16;
        o.optimizer = ir::OptimizerConfig::defaults("adam");
        o.outputLosses[1].loss = "mean_squared_error";
        // the golden model's regression head has 2 units; this table has one value: use a 2-column target
        for (data::Dataset* d : {&s.train, &s.validation, &s.test}) {
            Tensor two(Shape{d->size(), 2});
            for (int64_t i = 0; i < d->size(); ++i) two.f32()[2 * i] = two.f32()[2 * i + 1] = d->moreY[0].y.f32()[i];
            d->moreY[0].y = std::move(two);
        }
        train::Trainer trainer(*f.model, be, o);
        const train::FitResult fit = trainer.fit(s.train, &s.validation);
        QCOMPARE(int(fit.epochs.size()), 40);
        QVERIFY(fit.epochs.back().outputs[0].loss < fit.epochs.front().outputs[0].loss);
        QVERIFY(fit.epochs.back().outputs[1].loss < 0.5 * fit.epochs.front().outputs[1].loss);
        QCOMPARE(int(fit.epochs.back().valOutputs.size()), 2);
        const train::EvalResult test = trainer.evaluate(s.test);
        QVERIFY2(test.outputs[0].accuracy > 0.8, qPrintable(QString::number(test.outputs[0].accuracy)));
    }

    void badMappingsAreNamed() {
        QTemporaryDir dir;
        const std::string path = writeTable(dir.path(), 10);
        auto fails = [&](const data::ColumnMapping& m, const char* expect) {
            try {
                data::loadMappedCsv(path, m);
            } catch (const StrataError& e) {
                return QString(e.what()).contains(expect) ? QString() : QString(e.what());
            }
            return QString("no error");
        };
        data::ColumnMapping m = twoHeadsMapping();
        m.inputs[0].columns = {"b0", "nope"};
        QCOMPARE(fails(m, "no column named 'nope'"), QString());
        m = twoHeadsMapping();
        m.inputs[0].columns = {"b0", "kind"};
        QCOMPARE(fails(m, "column 'kind' is the target of output 'cls' and cannot also feed input 'b'"), QString());
        m = twoHeadsMapping();
        m.inputs[0].columns = {"b2..b0"};
        QCOMPARE(fails(m, "runs backwards"), QString());
        m = twoHeadsMapping();
        m.outputs[1].column = "size";
        QCOMPARE(fails(m, "target of two outputs"), QString());
        m = twoHeadsMapping();
        m.outputs[0].regression = false; // "size" holds real values: not class labels
        QCOMPARE(fails(m, "is not an integer"), QString());
        QVERIFY_THROWS_EXCEPTION(StrataError, data::parseInputColumns("a"));
        QVERIFY_THROWS_EXCEPTION(StrataError, data::parseOutputColumn("y=size:float"));
        try {
            data::orderedFor(twoHeadsMapping(), {"a", "b", "c"}, {"cls", "reg"});
            QFAIL("an unmapped input was accepted");
        } catch (const StrataError& e) {
            QVERIFY2(QString(e.what()).contains("input 'c' is given no columns"), e.what());
        }
        try {
            data::orderedFor(twoHeadsMapping(), {"a", "b"}, {"cls"});
            QFAIL("a mapping to an unknown output was accepted");
        } catch (const StrataError& e) {
            QVERIFY2(QString(e.what()).contains("output 'reg'"), e.what());
        }
        // The mapping survives its JSON form (a project records it).
        const data::ColumnMapping back = data::ColumnMapping::fromJson(twoHeadsMapping().toJson());
        QCOMPARE(back.toJson(), twoHeadsMapping().toJson());
        QVERIFY_THROWS_EXCEPTION(StrataError, data::ColumnMapping::fromJson(golden::json{{"inputs", {{{"input", 3}}}}}));
    }
};

QTEST_GUILESS_MAIN(TestMultiIo)
#include "tst_multi_io.moc"
