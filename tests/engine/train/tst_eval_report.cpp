// train::evaluationReport on a model whose outputs are its inputs (an identity Dense layer), so
// every prediction is chosen by the test: the confusion matrix, precision/recall/F1 against
// sklearn's definitions worked by hand, misclassified samples worst first, logits and a single
// sigmoid unit, batches that do not divide the split, regression residuals, and data that does
// not fit the output named; a model with two outputs, one report each.
#include "engine/Error.h"
#include "engine/Model.h"
#include "engine/cpu/CpuBackend.h"
#include "engine/train/EvalReport.h"

#include <QtTest>

#include <cmath>

using namespace strata;

namespace {

// Input(k) -> Dense(k, linear) with an identity kernel and zero bias: outputs = inputs.
std::unique_ptr<Model> identity(int k, const char* activation = "linear") {
    auto m = Model::fromSpec(ModelSpec::fromJson(nlohmann::json::parse(
        std::string(R"({"format": "strata.model/1", "name": "m", "layers": [{"name": "x", "type": "Input", "config": {"shape": [)") +
        std::to_string(k) + R"(]}}, {"name": "out", "type": "Dense", "config": {"units": )" + std::to_string(k) +
        R"(, "activation": ")" + activation + R"("}}]})")));
    m->build(4);
    for (Variable* v : m->variables()) {
        Tensor t(v->value().shape());
        t.fill(0.0f);
        if (v->value().shape().rank() == 2)
            for (int i = 0; i < k; ++i) t.f32()[i * k + i] = 1.0f;
        v->assign(t);
    }
    return m;
}

data::Dataset classes(const std::vector<std::vector<float>>& probs, const std::vector<int32_t>& labels, int k) {
    data::Dataset d;
    d.name = "chosen";
    std::vector<float> flat;
    for (const auto& p : probs) flat.insert(flat.end(), p.begin(), p.end());
    d.x = Tensor::fromVector(Shape{int64_t(probs.size()), int64_t(probs[0].size())}, flat);
    d.y = Tensor::fromVector(Shape{int64_t(labels.size())}, labels);
    d.numClasses = k;
    d.classNames = {"cat", "dog", "bird"};
    d.classNames.resize(std::size_t(k));
    return d;
}

} // namespace

class TestEvalReport : public QObject {
    Q_OBJECT
private slots:
    void confusionScoresAndMistakesAsChosen() {
        auto m = identity(3);
        cpu::CpuBackend be;
        // true: 0 0 0 1 1 2 2; predicted: 0 0 1 1 2 2 0
        const data::Dataset d = classes({{.8f, .1f, .1f}, {.6f, .3f, .1f}, {.3f, .6f, .1f}, {.1f, .8f, .1f}, {.1f, .2f, .7f},
                                         {.1f, .1f, .8f}, {.5f, .2f, .3f}},
                                        {0, 0, 0, 1, 1, 2, 2}, 3);
        train::EvalReportOptions o;
        o.batchSize = 3; // 3, 3, 1
        o.sampleIndex = 4;
        int64_t lastDone = 0, calls = 0, lastTotal = 0;
        o.progress = [&](int64_t done, int64_t total) {
            lastDone = done;
            lastTotal = total;
            ++calls;
        };
        const train::EvalReport r = train::evaluationReport(*m, be, d, o);
        QCOMPARE(lastDone, int64_t(7));
        QCOMPARE(lastTotal, int64_t(7));
        QCOMPARE(calls, int64_t(3));
        QCOMPARE(r.kind, train::ReportKind::Classification);
        QCOMPARE(r.classNames, (std::vector<std::string>{"cat", "dog", "bird"}));
        const std::vector<std::vector<int64_t>> want = {{2, 1, 0}, {0, 1, 1}, {1, 0, 1}};
        QCOMPARE(r.confusion, want);
        QCOMPARE(r.samplesOf(0, 1), (std::vector<int64_t>{2}));
        QCOMPARE(r.samplesOf(2, 0), (std::vector<int64_t>{6}));
        QVERIFY(std::fabs(r.accuracy - 4.0 / 7) < 1e-12);
        // cat: precision 2/3, recall 2/3; dog: 1/2, 1/2; bird: 1/2, 1/2.
        QVERIFY(std::fabs(r.perClass[0].precision - 2.0 / 3) < 1e-12 && std::fabs(r.perClass[0].recall - 2.0 / 3) < 1e-12);
        QVERIFY(std::fabs(r.perClass[1].f1 - 0.5) < 1e-12);
        QCOMPARE(r.perClass[0].support, int64_t(3));
        QVERIFY(std::fabs(r.macro.f1 - (2.0 / 3 + 0.5 + 0.5) / 3) < 1e-12);
        QVERIFY(std::fabs(r.weighted.f1 - (3 * 2.0 / 3 + 2 * 0.5 + 2 * 0.5) / 7) < 1e-12);
        QCOMPARE(r.normalisedConfusion()[1], (std::vector<double>{0, 0.5, 0.5}));
        // Mistakes, worst first: sample 4 (p_true 0.2), then 2 and 6 (0.3 each, in split order).
        QCOMPARE(int(r.misclassified.size()), 3);
        QCOMPARE(r.misclassified[0].index, int64_t(4));
        QVERIFY(std::fabs(r.misclassified[0].loss + std::log(0.2)) < 1e-6);
        QCOMPARE(r.misclassified[0].predicted, 2);
        QCOMPARE(int(r.misclassified[0].probabilities.size()), 3);
        QVERIFY(std::fabs(r.meanLoss - (-std::log(.8) - std::log(.6) - std::log(.3) - std::log(.8) - std::log(.2) - std::log(.8) - std::log(.3)) / 7) < 1e-6);
        QCOMPARE(r.sampleIndex, int64_t(4));
        QCOMPARE(r.sampleTarget, (std::vector<float>{1.0f}));
        QCOMPARE(int(r.sampleOutput.size()), 3);
        QVERIFY(std::fabs(r.sampleOutput[2] - 0.7f) < 1e-6f);
    }

    void logitsAndASigmoidUnit() {
        cpu::CpuBackend be;
        auto m = identity(2);
        train::EvalReportOptions o;
        o.fromLogits = true;
        const train::EvalReport r = train::evaluationReport(*m, be, classes({{2.f, 0.f}, {0.f, 1.f}}, {1, 1}, 2), o);
        QCOMPARE(r.predicted, (std::vector<int32_t>{0, 1}));
        QVERIFY(std::fabs(r.losses[0] - (std::log(std::exp(2.0) + 1) - 0)) < 1e-5); // -log softmax(z)[1]
        QVERIFY(std::fabs(r.misclassified[0].probabilities[0] - float(std::exp(2.0) / (std::exp(2.0) + 1))) < 1e-6f);

        auto one = identity(1);
        const train::EvalReport b = train::evaluationReport(*one, be, classes({{.9f}, {.2f}, {.6f}}, {1, 1, 0}, 2), {});
        QCOMPARE(b.predicted, (std::vector<int32_t>{1, 0, 1}));
        QCOMPARE(b.confusion, (std::vector<std::vector<int64_t>>{{0, 1}, {1, 1}}));
        QVERIFY(std::fabs(b.losses[2] + std::log(0.4)) < 1e-6);
    }

    void regressionResiduals() {
        cpu::CpuBackend be;
        auto m = identity(1);
        data::Dataset d;
        d.name = "line";
        d.x = Tensor::fromVector(Shape{4, 1}, std::vector<float>{1, 2, 3, 5});
        d.y = Tensor::fromVector(Shape{4, 1}, std::vector<float>{1, 1, 4, 5});
        train::EvalReportOptions o;
        o.loss = "mean_squared_error";
        o.histogramBins = 4;
        const train::EvalReport r = train::evaluationReport(*m, be, d, o);
        QCOMPARE(r.kind, train::ReportKind::Regression);
        QCOMPARE(r.residualValues(), (std::vector<double>{0, 1, -1, 0}));
        QVERIFY(std::fabs(r.mae - 0.5) < 1e-12);
        QVERIFY(std::fabs(r.rmse - std::sqrt(0.5)) < 1e-12);
        QCOMPARE(r.residuals.counts, (std::vector<int64_t>{1, 0, 2, 1}));
        QVERIFY(std::fabs(r.meanLoss - 0.5) < 1e-12);
        o.reconstruct = true;
        const train::EvalReport a = train::evaluationReport(*m, be, d, o);
        QCOMPARE(a.kind, train::ReportKind::Reconstruction);
        QCOMPARE(a.reconstruction.front().error, 1.0);
        QVERIFY(a.reconstruction.front().index == 1 || a.reconstruction.front().index == 2);
        QCOMPARE(a.reconstruction.back().error, 0.0);
    }

    void dataThatDoesNotFitIsNamed() {
        cpu::CpuBackend be;
        auto m = identity(3);
        try {
            train::evaluationReport(*m, be, classes({{1, 0}, {0, 1}}, {0, 1}, 2), {});
            QFAIL("a 2-class dataset was evaluated on a 3-unit output");
        } catch (const StrataError& e) {
            QVERIFY2(QString(e.what()).contains("output 'out'") && QString(e.what()).contains("2 classes"), e.what());
        }
        try {
            train::evaluationReport(*m, be, classes({{1, 0, 0}}, {5}, 3), {});
            QFAIL("label 5 of 3 classes was evaluated");
        } catch (const StrataError& e) {
            QVERIFY2(QString(e.what()).contains("5"), e.what());
        }
        std::atomic<bool> cancel{true};
        train::EvalReportOptions o;
        o.cancel = &cancel;
        QVERIFY_THROWS_EXCEPTION(train::ReportCancelled, train::evaluationReport(*m, be, classes({{1, 0, 0}}, {0}, 3), o));
    }

    // Two heads on one input: "cls" (identity, 3 classes) and "reg" (the first feature, times 2):
    // one report per output, each judged by its own targets; predictSamples answers for either.
    void everyOutputGetsItsOwnReport() {
        auto m = Model::fromSpec(ModelSpec::fromJson(nlohmann::json::parse(R"({"format": "strata.model/1", "name": "two",
            "inputs": ["x"], "outputs": ["cls", "reg"], "layers": [{"name": "x", "type": "Input", "config": {"shape": [3]}},
            {"name": "cls", "type": "Dense", "config": {"units": 3}, "inbound": ["x"]},
            {"name": "reg", "type": "Dense", "config": {"units": 1}, "inbound": ["x"]}]})")));
        m->build(4);
        for (Variable* v : m->variables()) {
            Tensor t(v->value().shape());
            t.fill(0.0f);
            if (v->path().ends_with("cls/kernel"))
                for (int i = 0; i < 3; ++i) t.f32()[i * 3 + i] = 1.0f;
            if (v->path().ends_with("reg/kernel")) t.f32()[0] = 2.0f;
            v->assign(t);
        }
        // true: 0 1 2 0; predicted: 0 1 0 0. reg targets 1, 0, 0, 2 against predictions 1.6, 0.2, 1.0, 1.4.
        data::Dataset d = classes({{.8f, .1f, .1f}, {.1f, .8f, .1f}, {.5f, .2f, .3f}, {.7f, .2f, .1f}}, {0, 1, 2, 0}, 3);
        d.moreY.push_back({Tensor::fromVector(Shape{4, 1}, std::vector<float>{1, 0, 0, 2}), 0, {}});
        cpu::CpuBackend be;
        train::EvalReportOptions o;
        o.batchSize = 3;
        o.sampleIndex = 2;
        o.outputLosses = {"", "mean_absolute_error"};
        const std::vector<train::EvalReport> r = train::evaluationReports(*m, be, d, o);
        QCOMPARE(int(r.size()), 2);
        QCOMPARE(r[0].output, std::string("cls"));
        QCOMPARE(r[0].outputPosition, 0);
        QCOMPARE(int(r[0].kind), int(train::ReportKind::Classification));
        QCOMPARE(r[0].predicted, (std::vector<int32_t>{0, 1, 0, 0}));
        QCOMPARE(r[0].confusion[2][0], int64_t(1));
        QCOMPARE(r[1].output, std::string("reg"));
        QCOMPARE(r[1].outputPosition, 1);
        QCOMPARE(int(r[1].kind), int(train::ReportKind::Regression));
        const std::vector<float> want{1.6f, 0.2f, 1.0f, 1.4f};
        for (int i = 0; i < 4; ++i) QVERIFY(std::fabs(r[1].predictedValues[std::size_t(i)] - want[std::size_t(i)]) < 1e-6);
        QVERIFY(std::fabs(r[1].mae - (0.6 + 0.2 + 1.0 + 0.6) / 4) < 1e-6);
        QVERIFY(std::fabs(r[1].meanLoss - r[1].mae) < 1e-6); // its loss is mean_absolute_error, as asked
        QCOMPARE(r[1].sampleTarget, std::vector<float>{0.0f});
        QVERIFY(std::fabs(r[1].sampleOutput.at(0) - 1.0f) < 1e-6);
        // The first output's report alone is the same as evaluationReports' first.
        QCOMPARE(train::evaluationReport(*m, be, d, o).predicted, r[0].predicted);
        const Tensor reg = train::predictSamples(*m, be, d, {3, 0}, true, 1);
        QCOMPARE(reg.shape(), Shape({2, 1}));
        QVERIFY(std::fabs(reg.f32()[0] - 1.4f) < 1e-6 && std::fabs(reg.f32()[1] - 1.6f) < 1e-6);
        // Data without targets for "reg": named, not a crash.
        d.moreY.clear();
        try {
            train::evaluationReports(*m, be, d, o);
            QFAIL("a model with two outputs was evaluated on targets for one");
        } catch (const StrataError& e) {
            QVERIFY2(QString(e.what()).contains("output 'reg'") && QString(e.what()).contains("'chosen'"), e.what());
        }
    }
};

QTEST_GUILESS_MAIN(TestEvalReport)
#include "tst_eval_report.moc"
