// Per-layer cost (engine/LayerCost.h): MACs, other ops and activation bytes per sample, checked
// against hand-computed values for Dense and Conv2D (grouped, strided, transposed, depthwise,
// separable); every registered layer type has a cost rule; the summary's totals and JSON fields;
// the training memory of a step.
#include "engine/Error.h"
#include "engine/LayerCost.h"
#include "engine/LayerRegistry.h"
#include "engine/ModelSpec.h"
#include "engine/ShapeInference.h"
#include "engine/Summary.h"

#include "tests/support/LayerExamples.h"
#include "tests/support/RequiredTools.h"

#include <QProcess>
#include <QtTest>

using namespace strata;

namespace {
ModelSpec example(const char* name) {
    return ModelSpec::load(std::string(STRATA_TEST_DATA_DIR) + "/../../resources/examples/" + name);
}

// The summary (with costs) of a one-input Sequential spec given as layer JSON after an Input.
SummaryTable tableOf(const std::string& inputShape, const std::string& layers) {
    const ModelSpec spec = ModelSpec::parse(R"({"format":"strata.model/1","name":"m","layers":[
        {"name":"x","type":"Input","config":{"shape":)" + inputShape + "}}," + layers + "]}");
    const InferenceResult r = ShapeInference::run(spec);
    if (!r.ok()) qFatal("spec does not validate: %s", r.issues.front().text().c_str());
    return SummaryTable::fromSpec(spec, r);
}

const LayerCost& costOf(const SummaryTable& t, const std::string& name) {
    for (const auto& row : t.rows)
        if (row.name == name) {
            if (!row.cost) qFatal("no cost for %s", name.c_str());
            return *row.cost;
        }
    qFatal("no row %s", name.c_str());
}
} // namespace

class TestLayerCost : public QObject {
    Q_OBJECT
private slots:
    void everyRegisteredTypeHasACostRule() {
        for (const auto& t : LayerRegistry::instance().types()) QVERIFY2(hasCostRule(t.type), t.type.c_str());
    }

    void everyLayerExampleHasAKnownCost() { // the shared examples of every layer type, each costed
        for (const auto& [type, ex] : strata::test::layerExamples()) {
            const ModelSpec spec = strata::test::layerExampleSpec(type);
            const InferenceResult r = ShapeInference::run(spec);
            QVERIFY2(r.ok(), type.c_str());
            const SummaryTable t = SummaryTable::fromSpec(spec, r);
            QVERIFY2(t.costsComplete, type.c_str());
            QVERIFY2(t.costTotals.activationBytes > 0, type.c_str());
            QVERIFY2(t.costTotals.macs >= 0 && t.costTotals.ops >= 0, type.c_str());
        }
    }

    void denseByHand() {
        // x (64) -> dense_1 32 relu -> probs 10 softmax
        const SummaryTable t = SummaryTable::fromSpec(example("digits_mlp.json"), ShapeInference::run(example("digits_mlp.json")));
        const LayerCost& d1 = costOf(t, "dense_1");
        QCOMPARE(d1.macs, int64_t(64 * 32));
        QCOMPARE(d1.ops, int64_t(32 + 32)); // bias, relu
        QCOMPARE(d1.activationBytes, int64_t(32 * 4));
        const LayerCost& p = costOf(t, "probs");
        QCOMPARE(p.macs, int64_t(32 * 10));
        QCOMPARE(p.activationBytes, int64_t(10 * 4));
        QCOMPARE(costOf(t, "pixels").activationBytes, int64_t(64 * 4));
        QCOMPARE(t.costTotals.macs, int64_t(64 * 32 + 32 * 10));
        QCOMPARE(t.costTotals.activationBytes, int64_t((64 + 32 + 10) * 4));
        QVERIFY(t.costsComplete);
    }

    void denseOnASequenceCountsEveryPosition() {
        const SummaryTable t = tableOf("[2, 8]", R"({"name":"d","type":"Dense","config":{"units":16,"use_bias":false}})");
        QCOMPARE(costOf(t, "d").macs, int64_t(2 * 8 * 16));
        QCOMPARE(costOf(t, "d").ops, int64_t(0)); // no bias, linear
    }

    void conv2dByHand() {
        // mnist_cnn: 28x28x1 -conv 3x3x32-> 26x26x32 -pool-> 13x13x32 -conv 3x3x64-> 11x11x64 -pool-> 5x5x64 -> 1600 -> 10
        const ModelSpec spec = example("mnist_cnn.json");
        const SummaryTable t = SummaryTable::fromSpec(spec, ShapeInference::run(spec));
        QCOMPARE(costOf(t, "conv2d").macs, int64_t(26 * 26 * 32 * 3 * 3 * 1));
        QCOMPARE(costOf(t, "conv2d").activationBytes, int64_t(26 * 26 * 32 * 4));
        QCOMPARE(costOf(t, "conv2d_1").macs, int64_t(11 * 11 * 64 * 3 * 3 * 32));
        QCOMPARE(costOf(t, "max_pooling2d").macs, int64_t(0));
        QCOMPARE(costOf(t, "max_pooling2d").ops, int64_t(13 * 13 * 32 * 4)); // a 2x2 window per output
        QCOMPARE(costOf(t, "flatten").ops, int64_t(0));
        QCOMPARE(costOf(t, "probs").macs, int64_t(1600 * 10));
        QCOMPARE(t.costTotals.macs, int64_t(194688 + 2230272 + 16000));
    }

    void groupedStridedConv2dByHand() {
        // 10x10x4, 6 filters 3x3, stride 2, same, 2 groups -> 5x5x6; each output reads 3x3x(4/2)
        const SummaryTable t = tableOf("[10, 10, 4]", R"({"name":"c","type":"Conv2D","config":
            {"filters":6,"kernel_size":3,"strides":2,"padding":"same","groups":2}})");
        QCOMPARE(costOf(t, "c").macs, int64_t(5 * 5 * 6 * 3 * 3 * 2));
        QCOMPARE(costOf(t, "c").activationBytes, int64_t(5 * 5 * 6 * 4));
    }

    void transposedDepthwiseSeparableByHand() {
        const SummaryTable t = tableOf("[7, 7, 4]", R"(
            {"name":"up","type":"Conv2DTranspose","config":{"filters":2,"kernel_size":3,"strides":2}},
            {"name":"dw","type":"DepthwiseConv2D","config":{"kernel_size":3,"depth_multiplier":2}},
            {"name":"sep","type":"SeparableConv2D","config":{"filters":5,"kernel_size":3}})");
        QCOMPARE(costOf(t, "up").macs, int64_t(7 * 7 * 4 * 3 * 3 * 2)); // every input cell scatters 3x3x2
        // up: 15x15x2 -> dw (valid 3x3, dm 2): 13x13x4
        QCOMPARE(costOf(t, "dw").macs, int64_t(13 * 13 * 4 * 3 * 3));
        // sep on 13x13x4: depthwise to 11x11x4 (3x3 each), then 1x1 from 4 to 5
        QCOMPARE(costOf(t, "sep").macs, int64_t(11 * 11 * 4 * 9 + 11 * 11 * 4 * 5));
    }

    void sequenceLayersByHand() {
        // 20 steps x 4 channels -> Conv1D 16 k5 valid (16 steps) -> MaxPooling1D 2 (8) -> AveragePooling1D 3 same /2 (4)
        // -> GlobalMaxPooling1D (16)
        const SummaryTable t = tableOf("[20, 4]", R"(
            {"name":"c","type":"Conv1D","config":{"filters":16,"kernel_size":5,"activation":"relu"}},
            {"name":"mp","type":"MaxPooling1D"},
            {"name":"ap","type":"AveragePooling1D","config":{"pool_size":3,"strides":2,"padding":"same"}},
            {"name":"g","type":"GlobalMaxPooling1D"})");
        QCOMPARE(t.rows[1].params.trainable, int64_t(336)); // Keras: Conv1D(16, 5) on 4 channels = 5*4*16 + 16
        QCOMPARE(t.rows[1].outputShape, (Shape{kUnknownDim, 16, 16}));
        QCOMPARE(costOf(t, "c").macs, int64_t(16 * 16 * 5 * 4));
        QCOMPARE(costOf(t, "c").ops, int64_t(16 * 16 * 2)); // bias, relu
        QCOMPARE(costOf(t, "mp").ops, int64_t(8 * 16 * 2));
        QCOMPARE(costOf(t, "ap").ops, int64_t(4 * 16 * 3));
        QCOMPARE(costOf(t, "g").ops, int64_t(4 * 16));
        QCOMPARE(costOf(t, "g").activationBytes, int64_t(16 * 4));
    }

    // PyTorch's own count (torch.profiler with_flops: 2 flops per multiply-add of conv2d and addmm)
    // of the same small CNN, written in torch: strided "same" convolution, a grouped one, a Dense.
    void torchProfilerCountsTheSameMacs() {
        const SummaryTable t = tableOf("[12, 12, 4]", R"(
            {"name":"a","type":"Conv2D","config":{"filters":8,"kernel_size":3,"strides":2,"padding":"same","activation":"relu"}},
            {"name":"b","type":"Conv2D","config":{"filters":6,"kernel_size":3,"groups":2}},
            {"name":"f","type":"Flatten"},{"name":"d","type":"Dense","config":{"units":5}})");
        const char* script = R"(
import sys
try:
    import torch
    from torch.profiler import profile, ProfilerActivity
except ImportError:
    sys.exit(77)
m = torch.nn.Sequential(torch.nn.Conv2d(4, 8, 3, stride=2, padding=1), torch.nn.ReLU(),
                        torch.nn.Conv2d(8, 6, 3, groups=2), torch.nn.Flatten(), torch.nn.Linear(96, 5))
with profile(activities=[ProfilerActivity.CPU], with_flops=True) as prof:
    m(torch.zeros(1, 4, 12, 12))
print(sum(e.flops for e in prof.key_averages() if e.flops) // 2)
)";
        QProcess py;
        py.start("/usr/bin/python3", {"-c", script});
        if (!py.waitForStarted(10000)) STRATA_SKIP_UNLESS_REQUIRED("/usr/bin/python3 does not start");
        QVERIFY(py.waitForFinished(120000));
        if (py.exitCode() == 77) STRATA_SKIP_UNLESS_REQUIRED("PyTorch is not installed for /usr/bin/python3");
        QCOMPARE(py.exitCode(), 0);
        const qint64 torchMacs = QString::fromUtf8(py.readAllStandardOutput()).trimmed().toLongLong();
        QCOMPARE(torchMacs, qint64(6 * 6 * 8 * 3 * 3 * 4 + 4 * 4 * 6 * 3 * 3 * 4 + 96 * 5)); // by hand: 14,304
        QCOMPARE(qint64(t.costTotals.macs), torchMacs);
    }

    void unknownDimensionsLeaveTheCostUnknown() {
        const SummaryTable t = tableOf("[null, null, 3]", R"({"name":"c","type":"Conv2D","config":{"filters":4,"kernel_size":3}},
            {"name":"g","type":"GlobalAveragePooling2D"},{"name":"d","type":"Dense","config":{"units":2}})");
        QVERIFY(!t.rows[1].cost);
        QVERIFY(t.rows[3].cost); // d: (None, 4) -> 2, known per sample
        QCOMPARE(t.rows[3].cost->macs, int64_t(8));
        QVERIFY(!t.costsComplete);
        const auto j = t.toJson();
        QVERIFY(j["layers"][1]["macs"].is_null());
        QCOMPARE(j["costs_complete"].get<bool>(), false);
    }

    void blockCostIsItsLayers() {
        const ModelSpec spec = example("autoencoder.json");
        const SummaryTable t = SummaryTable::fromSpec(spec, ShapeInference::run(spec));
        for (const auto& row : t.rows) {
            if (row.type != "Block") continue;
            LayerCost sum;
            for (const auto& c : row.children)
                if (c.type != "InputLayer") sum += *c.cost;
            QVERIFY(row.cost);
            QCOMPARE(row.cost->macs, sum.macs);
            QCOMPARE(row.cost->activationBytes, sum.activationBytes);
            QVERIFY(row.cost->macs > 0);
        }
    }

    void hugeDimensionsDoNotOverflow() {
        // 10^18 outputs per sample, each 3x3x4 multiply-adds: past 2^62
        const SummaryTable t = tableOf("[1000000, 1000000, 4]",
                                       R"({"name":"c","type":"Conv2D","config":{"filters":1000000,"kernel_size":3,"padding":"same"}})");
        QVERIFY(!t.rows[1].cost); // unknown, not wrapped
        QVERIFY(!t.costsComplete);
    }

    void trainingMemoryOfAStep() {
        const ModelSpec spec = example("digits_mlp.json");
        SummaryTable t = SummaryTable::fromSpec(spec, ShapeInference::run(spec));
        t.estimateTraining(32, "adam");
        QVERIFY(t.training);
        QCOMPARE(t.training->weightBytes, int64_t(2410 * 4));
        QCOMPARE(t.training->gradientBytes, int64_t(2410 * 4));
        QCOMPARE(t.training->optimizerBytes, int64_t(2 * 2410 * 4));
        QCOMPARE(t.training->activationBytes, int64_t(32 * (64 + 32 + 10) * 4));
        QCOMPARE(t.training->totalBytes(), int64_t(4 * 2410 * 4 + 32 * 106 * 4));
        t.estimateTraining(8, "sgd");
        QCOMPARE(t.training->optimizerBytes, int64_t(0));
        QCOMPARE(t.training->activationBytes, int64_t(8 * 106 * 4));
        const auto j = t.toJson();
        QCOMPARE(j["training_memory"]["total_bytes"].get<int64_t>(), int64_t(2 * 2410 * 4 + 8 * 106 * 4));
        QCOMPARE(j["total_macs"].get<int64_t>(), int64_t(2368));
        QCOMPARE(j["activation_bytes_per_sample"].get<int64_t>(), int64_t(424));
        QVERIFY_THROWS_EXCEPTION(ConfigError, t.estimateTraining(8, "lbfgs"));
        QCOMPARE(optimizerSlotsPerVariable("rmsprop", 0.9, true), 3);
        QCOMPARE(optimizerSlotsPerVariable("sgd", 0.9), 1);
    }

    void nonTrainableParametersHaveNoGradients() {
        const ModelSpec spec = example("two_branch.json"); // batch norm's moving statistics: 128 non-trainable
        SummaryTable t = SummaryTable::fromSpec(spec, ShapeInference::run(spec));
        t.estimateTraining(1, "adam");
        QCOMPARE(t.training->weightBytes, int64_t(10282 * 4));
        QCOMPARE(t.training->gradientBytes, int64_t((10282 - 128) * 4));
    }

    void costsColumnInText() {
        const ModelSpec spec = example("digits_mlp.json");
        SummaryTable t = SummaryTable::fromSpec(spec, ShapeInference::run(spec));
        QVERIFY(!QString::fromStdString(t.format()).contains("MACs")); // Keras' table unless asked
        t.showCosts = true;
        t.estimateTraining(32, "adam");
        const QString text = QString::fromStdString(t.format());
        QVERIFY2(text.contains("┃ Layer (type)                  ┃ Output Shape           ┃     Param # ┃  MACs ┃"), qPrintable(text));
        QVERIFY2(text.contains("│ dense_1 (Dense)               │ (None, 32)             │       2,080 │ 2,048 │"), qPrintable(text));
        QVERIFY2(text.contains("Multiply-adds per sample: 2,368 (2.37 K MACs)"), qPrintable(text));
        QVERIFY2(text.contains("Training memory at batch 32 (adam): "), qPrintable(text));
    }
};

QTEST_GUILESS_MAIN(TestLayerCost)
#include "tst_layercost.moc"
