// ONNX import of PyTorch's pools and resizes and of torchvision 0.14 architectures (exported by
// tests/storage/torch_vision_models.py: weights=None, eval mode, opset 13, one 3x64x64 image):
// each imports through the graph route and predicts like torch to 1e-4 of the output's largest
// magnitude. Pools with pads and ceil_mode, count_include_pad=1, GlobalMaxPool, Resize (opset 11,
// 13) and Upsample (opset 9) with nearest and linear, Slice crops and a one-input Concat
// (DenseNet), ShuffleNet's channel split and shuffle, and ConvNeXt's blocks are covered; modes UpSampling2D cannot express fail naming the node. The suite skips
// the PyTorch cases only when torch or torchvision cannot be imported.
#include "OnnxTestSupport.h"

#include "storage/onnx/OnnxExport.h"
#include "storage/onnx/OnnxImport.h"
#include "storage/onnx/OnnxReader.h"
#include "storage/StorageError.h"

#include <QTemporaryDir>
#include "tests/support/RequiredTools.h"
#include <QtTest>

#include <algorithm>
#include <cmath>

using namespace strata;
using namespace strata::storage;
using namespace strata::onnxtest;
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

ImportedModel importBytes(const OnnxGraph& g, const std::string& file) {
    return importOnnxModel(parseOnnxModel(g.modelBytes(OnnxModelInfo{}), file), file);
}

} // namespace

class TestOnnxVision : public QObject {
    Q_OBJECT
    QTemporaryDir dir_;
    bool torchReady_ = false;
    std::string torchMissing_;

    fs::path path(const std::string& name) const { return fs::path(dir_.path().toStdString()) / name; }

private slots:
    void initTestCase() {
        QVERIFY(dir_.isValid());
        const std::string script = std::string(STRATA_TEST_DATA_DIR) + "/../storage/torch_vision_models.py";
        const Proc p = runProcess(kPython, {QString::fromStdString(script), QString::fromStdString(dir_.path().toStdString())}, 600000);
        if (p.code == 3) { // torch or torchvision cannot be imported; a crash or a timeout (-1) fails below
            torchMissing_ = p.err;
            return;
        }
        QVERIFY2(p.code == 0, ("torch_vision_models.py failed:\n" + p.err).c_str());
        torchReady_ = true;
    }

    void predictsLikeTorch_data() {
        QTest::addColumn<QString>("name");
        QTest::addColumn<QString>("mustHave"); // layer types the import must contain
        QTest::newRow("pools") << "torch_pools" << "MaxPooling2D AveragePooling2D ZeroPadding2D"; // AdaptiveMaxPool2d(1): a MaxPool
        QTest::newRow("pools opset 11") << "torch_pools_opset11" << "MaxPooling2D AveragePooling2D";
        QTest::newRow("resizes") << "torch_resizes" << "UpSampling2D Cropping2D";
        QTest::newRow("resizes opset 11") << "torch_resizes_opset11" << "UpSampling2D Cropping2D";
        QTest::newRow("Upsample opset 9") << "torch_upsample_opset9" << "UpSampling2D Cropping2D";
        QTest::newRow("resnet18") << "resnet18" << "MaxPooling2D GlobalAveragePooling2D Add";
        QTest::newRow("googlenet") << "googlenet" << "MaxPooling2D Concatenate";
        QTest::newRow("densenet121") << "densenet121" << "AveragePooling2D Concatenate";
        // x.chunk(2, dim=1): Slice layers of the channels; the channel shuffle: Reshape/Permute.
        QTest::newRow("shufflenet_v2_x0_5") << "shufflenet_v2_x0_5" << "Slice Concatenate Permute DepthwiseConv2D";
        // LayerNorm2d and CNBlock's LayerNorm (ReduceMean/Sub/Pow/... with Identity-shared biases),
        // exact GELU, layer_scale as a 1x1 DepthwiseConv2D.
        QTest::newRow("ConvNeXt blocks") << "small_convnext" << "LayerNormalization DepthwiseConv2D Dense Add";
    }

    void predictsLikeTorch() {
        if (!torchReady_) STRATA_SKIP_UNLESS_REQUIRED("PyTorch or torchvision is not available: " + torchMissing_);
        QFETCH(QString, name);
        QFETCH(QString, mustHave);
        ImportedModel imported;
        const std::string error = errorOf([&] { imported = importOnnxFile(path(name.toStdString() + ".onnx")); });
        QVERIFY2(error == "(no error)", error.c_str());
        QVERIFY(!imported.fromEmbeddedSpec);
        for (const QString& type : mustHave.split(' ')) {
            const bool found = std::any_of(imported.spec.layers.begin(), imported.spec.layers.end(),
                                           [&](const LayerSpec& l) { return l.type == type.toStdString(); });
            QVERIFY2(found, (name + ": no " + type + " layer").toUtf8().constData());
        }
        const auto model = imported.instantiate();
        const json io = json::parse(testutil::readText(path(name.toStdString() + ".json")));
        const auto got = engineOutputs(*model, {nchwToNhwc(tensorFromJson(io["input"]))});
        QCOMPARE(got.size(), std::size_t(1));
        const Tensor want = nchwToNhwc(tensorFromJson(io["output"]));
        double largest = 0;
        for (float v : want.values()) largest = std::max(largest, double(std::abs(v)));
        const std::string diff = difference(got[0], want, 1e-4 * largest, 0.0);
        double worst = 0;
        if (got[0].shape() == want.shape())
            for (int64_t i = 0; i < want.size(); ++i) worst = std::max(worst, double(std::abs(got[0].f32()[i] - want.f32()[i])));
        qInfo("%s: %zu layers, largest |difference| %.3g of the output's largest magnitude %.3g", qPrintable(name),
              imported.spec.layers.size(), worst / largest, largest);
        QVERIFY2(diff.empty(), (name.toStdString() + ": " + diff + " (largest magnitude " + std::to_string(largest) + ")").c_str());
    }

    // ONNX's Upsample "linear" (opset 7-9) samples at o / s, which is not PyTorch's bilinear (the
    // exporter warns): the import refuses it, naming the node and the mode.
    void linearUpsampleIsRefusedByName() {
        if (!torchReady_) STRATA_SKIP_UNLESS_REQUIRED("PyTorch or torchvision is not available: " + torchMissing_);
        const std::string e = errorOf([&] { importOnnxFile(path("torch_bilinear_opset9.onnx")); });
        // Converted to opset 13 a Resize, with the Upsample's asymmetric coordinates.
        QVERIFY2(e.find("(Resize): mode=linear with coordinate_transformation_mode=asymmetric is not supported") != std::string::npos,
                 e.c_str());
    }

    // Explicit pads and ceil_mode become the pool's own config (Strata's extension of Keras).
    void poolPadsAndCeilModeImport() {
        OnnxGraph g("pool_pads");
        g.input("x", kOnnxFloat, {{-1, "batch"}, {2, {}}, {6, {}}, {5, {}}});
        g.node("MaxPool", {"x"}, "y",
               {OnnxAttr::integers("kernel_shape", {3, 3}), OnnxAttr::integers("pads", {1, 0, 1, 1}),
                OnnxAttr::integers("strides", {2, 2}), OnnxAttr::integer("ceil_mode", 1)});
        g.output("y", kOnnxFloat, {});
        const ImportedModel m = importBytes(g, "pool.onnx");
        QCOMPARE(m.spec.layers.size(), std::size_t(2));
        QCOMPARE(m.spec.layers[1].type, std::string("MaxPooling2D"));
        QCOMPARE(m.spec.layers[1].config["padding"], json::parse("[[1, 1], [0, 1]]")); // [[top, bottom], [left, right]]
        QCOMPARE(m.spec.layers[1].config["ceil_mode"], json(true));
        // height (6 + 2 - 3) / 2 rounded up + 1 = 4; width (5 + 1 - 3) / 2 rounded up + 1 = 3
        QCOMPARE(m.instantiate()->outputShape(1), (Shape{kUnknownDim, 4, 3, 2}));
    }

    // count_include_pad=1 counts the pads as zeros: a ZeroPadding2D, then a pool without pads.
    void countIncludePadIsZeroPadding() {
        OnnxGraph g("avg_pads");
        g.input("x", kOnnxFloat, {{-1, "batch"}, {2, {}}, {4, {}}, {4, {}}});
        g.node("AveragePool", {"x"}, "y",
               {OnnxAttr::integers("kernel_shape", {3, 3}), OnnxAttr::integers("pads", {1, 1, 1, 1}),
                OnnxAttr::integer("count_include_pad", 1)});
        g.output("y", kOnnxFloat, {});
        const ImportedModel m = importBytes(g, "avg.onnx");
        QCOMPARE(m.spec.layers.size(), std::size_t(3));
        QCOMPARE(m.spec.layers[1].type, std::string("ZeroPadding2D"));
        QCOMPARE(m.spec.layers[2].type, std::string("AveragePooling2D"));
        QCOMPARE(m.spec.layers[2].config["padding"], json("valid"));
        const auto model = m.instantiate();
        Tensor x(Shape{1, 4, 4, 2});
        std::fill_n(x.f32(), x.size(), 1.0f);
        const Tensor y = engineOutputs(*model, {x}).at(0);
        QCOMPARE(y.f32()[0], 4.0f / 9.0f); // the corner window holds 4 ones and 5 counted pads
    }

    // Strata's own export of each of these layers reads back through the graph route (the
    // embedded spec ignored) as the same layer, and predicts the same.
    void strataExportsReimportThroughTheGraph_data() {
        QTest::addColumn<QString>("spec");
        QTest::newRow("image pools") << QString(R"({"format": "strata.model/1", "name": "pools", "inputs": ["image"],
          "outputs": ["gmp", "up", "crop", "avg_up"], "layers": [
          {"name": "image", "type": "Input", "config": {"shape": [9, 8, 3]}},
          {"name": "stem", "type": "MaxPooling2D", "config": {"pool_size": 3, "strides": 2, "padding": [[1, 1], [1, 1]]}, "inbound": ["image"]},
          {"name": "ceil", "type": "MaxPooling2D", "config": {"pool_size": 2, "strides": 2, "padding": [[1, 1], [0, 1]], "ceil_mode": true}, "inbound": ["stem"]},
          {"name": "gmp", "type": "GlobalMaxPooling2D", "config": {"keepdims": true}, "inbound": ["ceil"]},
          {"name": "up", "type": "UpSampling2D", "config": {"size": [2, 3]}, "inbound": ["ceil"]},
          {"name": "crop", "type": "Cropping2D", "config": {"cropping": [[2, 1], [0, 3]]}, "inbound": ["image"]},
          {"name": "avg", "type": "AveragePooling2D", "config": {"pool_size": 3, "strides": 2, "padding": [[1, 0], [1, 2]], "ceil_mode": true}, "inbound": ["image"]},
          {"name": "avg_up", "type": "UpSampling2D", "config": {"size": 2, "interpolation": "bilinear"}, "inbound": ["avg"]}]})");
    }

    void strataExportsReimportThroughTheGraph() {
        QFETCH(QString, spec);
        const auto model = builtModel(ModelSpec::fromJson(json::parse(spec.toStdString())), 5);
        OnnxImportOptions options;
        options.useEmbeddedSpec = false;
        const ImportedModel back = importOnnxModel(parseOnnxModel(onnxModelBytes(*model), "pools.onnx"), "pools.onnx", options);
        QVERIFY(!back.fromEmbeddedSpec);
        QStringList types;
        for (const LayerSpec& l : back.spec.layers) types << QString::fromStdString(l.type);
        for (const char* t : {"GlobalMaxPooling2D", "UpSampling2D", "Cropping2D", "MaxPooling2D", "AveragePooling2D"})
            QVERIFY2(types.contains(t), qPrintable(types.join(' ')));
        const auto inputs = randomInputs(*model, 2, 9);
        const auto want = engineOutputs(*model, inputs), got = engineOutputs(*back.instantiate(), inputs);
        QCOMPARE(got.size(), want.size());
        for (std::size_t k = 0; k < want.size(); ++k) {
            const std::string diff = difference(got[k], want[k], 1e-6, 1e-6);
            QVERIFY2(diff.empty(), ("output " + std::to_string(k) + ": " + diff).c_str());
        }
    }

    void globalMaxPoolImports() {
        OnnxGraph g("gmp");
        g.input("x", kOnnxFloat, {{-1, "batch"}, {2, {}}, {3, {}}, {4, {}}});
        g.node("GlobalMaxPool", {"x"}, "y");
        g.output("y", kOnnxFloat, {});
        const ImportedModel m = importBytes(g, "gmp.onnx");
        QCOMPARE(m.spec.layers.size(), std::size_t(2));
        QCOMPARE(m.spec.layers[1].type, std::string("GlobalMaxPooling2D"));
        Tensor x(Shape{1, 3, 4, 2});
        for (int64_t i = 0; i < x.size(); ++i) x.f32()[i] = float((i * 7) % 24) - 5.0f;
        const Tensor y = engineOutputs(*m.instantiate(), {x}).at(0);
        QCOMPARE(y.shape(), (Shape{1, 1, 1, 2}));
        QCOMPARE(y.f32()[0], 17.0f); // channel 0 (even i): (i * 7) % 24 is at most 22
        QCOMPARE(y.f32()[1], 18.0f); // channel 1 (odd i): at most 23
    }

    void badPoolsAndResizesAreNamed() {
        auto refused = [&](const std::string& op, const std::vector<OnnxAttr>& attrs, const std::vector<std::string>& extra,
                           const std::string& want) {
            OnnxGraph g("bad");
            g.input("x", kOnnxFloat, {{-1, "batch"}, {2, {}}, {6, {}}, {6, {}}});
            std::vector<std::string> inputs = {"x"};
            inputs.insert(inputs.end(), extra.begin(), extra.end());
            if (op == "Resize") inputs = {"x", "", g.initializer("scales", {4}, std::vector<float>{1, 1, 2, 2})};
            g.node(op, inputs, "y", attrs);
            g.output("y", kOnnxFloat, {});
            const std::string e = errorOf([&] { importBytes(g, "bad.onnx"); });
            QVERIFY2(e.find("bad.onnx: node 'y' (" + op + "): ") == 0 && e.find(want) != std::string::npos, e.c_str());
        };
        refused("MaxPool", {OnnxAttr::integers("kernel_shape", {2, 2}), OnnxAttr::integers("pads", {2, 0, 0, 0})}, {},
                "must each be smaller than the kernel");
        refused("Resize", {OnnxAttr::text("mode", "linear"), OnnxAttr::text("coordinate_transformation_mode", "align_corners")}, {},
                "mode=linear with coordinate_transformation_mode=align_corners is not supported");
        refused("Resize", {OnnxAttr::text("mode", "cubic")}, {}, "mode=cubic");
    }
};

QTEST_GUILESS_MAIN(TestOnnxVision)
#include "tst_onnx_vision.moc"
