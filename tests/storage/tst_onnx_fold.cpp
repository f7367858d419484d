// ONNX import of graphs that compute shapes: small PyTorch modules exported at opset 13 by
// tests/storage/torch_onnx_fold_models.py, each with a symbolic batch (the Shape/Gather/Div chain
// stays in the graph and folds with the batch left unknown) and a fixed one: x.view(x.size(0), -1)
// after a conv, torchvision's channel shuffle (Reshape to 5-D, Transpose, Reshape: a Permute in
// NHWC, the next conv reads an NCHW image again), a flattened shuffle as the output (PyTorch's
// (C, H, W) order: a Permute before Flatten), reshape(N, C, -1) then channels last, and
// n, c, h, w = x.shape; x.view(n, c * h * w) beside a squeeze, and a Linear's output viewed as an
// NCHW image for a conv (a Reshape to (C, H, W), then a Permute to NHWC). Each imports and predicts like
// torch to 1e-4, and gives the same outputs at another batch size. A graph built with onnx.helper
// folds ConstantOfShape, Expand, Range, Cast, Slice, Squeeze, Unsqueeze, Add, Sub, Mul, Div and
// Concat into a Reshape target. Arithmetic on the batch size fails naming the node. The suite
// skips only when torch cannot be imported (and fails then under STRATA_REQUIRE_TOOLS).
#include "OnnxTestSupport.h"

#include "storage/onnx/OnnxGraph.h"
#include "storage/onnx/OnnxImport.h"
#include "storage/StorageError.h"

#include <QTemporaryDir>
#include "tests/support/RequiredTools.h"
#include <QtTest>

using namespace strata;
using namespace strata::storage;
using namespace strata::onnxtest;
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// The first `count` samples of t.
Tensor firstSamples(const Tensor& t, int64_t count) {
    std::vector<int64_t> dims = t.shape().dims();
    const int64_t per = t.shape().numElementsFrom(1);
    dims[0] = count;
    return Tensor::fromVector(Shape(dims), std::vector<float>(t.f32(), t.f32() + count * per));
}

std::string layerTypes(const ImportedModel& m) {
    std::string types;
    for (const LayerSpec& l : m.spec.layers) types += (types.empty() ? "" : " ") + l.type;
    return types;
}

} // namespace

class TestOnnxFold : public QObject {
    Q_OBJECT
    QTemporaryDir dir_;
    bool torchReady_ = false;
    std::string torchMissing_;

    fs::path path(const std::string& name) const { return fs::path(dir_.path().toStdString()) / name; }

    void requireTorch() {
        if (!torchReady_) STRATA_SKIP_UNLESS_REQUIRED("PyTorch is not available: " + torchMissing_);
    }

private slots:
    void initTestCase() {
        QVERIFY(dir_.isValid());
        const std::string script = std::string(STRATA_TEST_DATA_DIR) + "/../storage/torch_onnx_fold_models.py";
        const Proc p = runProcess(kPython, {QString::fromStdString(script), dir_.path()});
        if (p.code == 3) {
            torchMissing_ = p.err;
            return;
        }
        QVERIFY2(p.code == 0, ("torch_onnx_fold_models.py failed:\n" + p.err).c_str());
        torchReady_ = true;
    }

    void importsAndPredictsLikeTorch_data() {
        QTest::addColumn<QString>("name");
        QTest::addColumn<QString>("expectedTypes"); // layer types of the imported spec, in order
        const char* view = "Input Conv2D Flatten Dense";
        const char* shuffle = "Input Conv2D Reshape Permute Reshape Conv2D";
        const char* shuffleFlat = "Input Conv2D Reshape Permute Reshape Flatten"; // the Permute puts it in ONNX order at once
        const char* nc = "Input Conv2D Reshape Dense Flatten";
        const char* gather = "Input Conv2D GlobalAveragePooling2D Reshape Flatten Dense Dense Add"; // one Reshape for two squeezes
        for (const char* suffix : {"", "_static"}) {
            const QString s = suffix;
            QTest::newRow(qPrintable("x.view(x.size(0), -1)" + s)) << "view_after_conv" + s << view;
            QTest::newRow(qPrintable("channel shuffle" + s)) << "channel_shuffle" + s << shuffle;
            QTest::newRow(qPrintable("flattened shuffle as output" + s)) << "channel_shuffle_flat" + s << shuffleFlat;
            QTest::newRow(qPrintable("reshape(N, C, -1)" + s)) << "reshape_nc" + s << nc;
            QTest::newRow(qPrintable("Gather of a shape" + s)) << "gather_shape" + s << gather;
            QTest::newRow(qPrintable("view(N, C, H, W) of a Linear, then a conv" + s)) << "view_to_image" + s << "Input Dense Reshape Permute Conv2D";
        }
        QTest::newRow("every folded op (onnx.helper)") << "folded_ops" << "Input Reshape Dense";
    }

    void importsAndPredictsLikeTorch() {
        requireTorch();
        QFETCH(QString, name);
        QFETCH(QString, expectedTypes);
        const ImportedModel imported = importOnnxFile(path(name.toStdString() + ".onnx"));
        QCOMPARE(QString::fromStdString(layerTypes(imported)), expectedTypes);
        const auto model = imported.instantiate();
        const json io = json::parse(testutil::readText(path(name.toStdString() + ".json")));
        const Tensor input = nchwToNhwc(tensorFromJson(io["input"]));
        const Tensor want = nchwToNhwc(tensorFromJson(io["output"])); // an image output is NHWC in Strata
        const auto got = engineOutputs(*model, {input});
        QCOMPARE(got.size(), std::size_t(1));
        const std::string diff = difference(got[0], want, 1e-4, 1e-4);
        QVERIFY2(diff.empty(), (name.toStdString() + ": " + diff + "\nspec: " + imported.spec.toJson().dump()).c_str());
        // The batch is not baked in: one sample gives that sample's output.
        const auto one = engineOutputs(*model, {firstSamples(input, 1)});
        const std::string diffOne = difference(one.at(0), firstSamples(want, 1), 1e-4, 1e-4);
        QVERIFY2(diffOne.empty(), (name.toStdString() + " at batch 1: " + diffOne).c_str());
    }

    // The symbolic batch stays unknown in the imported Input; the static export's Reshape targets
    // hold PyTorch's batch of 2 literally and still import as batch-free Reshape layers.
    void batchStaysUnknown() {
        requireTorch();
        for (const char* name : {"channel_shuffle", "channel_shuffle_static"}) {
            const ImportedModel m = importOnnxFile(path(std::string(name) + ".onnx"));
            QCOMPARE(m.spec.layers[0].config["shape"], json({5, 6, 4})); // NHWC, no batch
            QCOMPARE(m.spec.layers[2].config["target_shape"], json({5, 6, 3, 2}));
            QCOMPARE(m.spec.layers[3].config["dims"], json({1, 2, 4, 3}));
            QCOMPARE(m.spec.layers[4].config["target_shape"], json({5, 6, 6}));
        }
    }

    void batchArithmeticFailsNamingTheNode() {
        requireTorch();
        std::string error = "(no error)";
        try {
            importOnnxFile(path("batch_arithmetic.onnx"));
        } catch (const StorageError& e) {
            error = e.what();
        }
        QVERIFY2(error.find("node '/Mul' (Mul)") != std::string::npos && error.find("batch size") != std::string::npos, error.c_str());
    }

    // Shape arithmetic over a tensor whose other dims are unknown cannot fold: the error names the node.
    void unknownDimensionFailsNamingTheNode() {
        OnnxGraph g("unknown");
        g.input("x", kOnnxFloat, {{-1, "batch"}, {3, {}}, {-1, "h"}, {4, {}}});
        g.node("Shape", {"x"}, "s");
        g.node("Reshape", {"x", "s"}, "y");
        g.output("y", kOnnxFloat, {{-1, "batch"}, {3, {}}, {-1, "h"}, {4, {}}});
        const fs::path file = path("unknown.onnx");
        testutil::writeText(file, g.modelBytes(OnnxModelInfo{}));
        std::string error = "(no error)";
        try {
            importOnnxFile(file);
        } catch (const StorageError& e) {
            error = e.what();
        }
        QVERIFY2(error.find("node 's' (Shape): dimension 2 of 'x' is unknown") != std::string::npos, error.c_str());
    }
};

QTEST_GUILESS_MAIN(TestOnnxFold)
#include "tst_onnx_fold.moc"
