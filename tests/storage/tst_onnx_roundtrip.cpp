// Strata's own models through ONNX and back: each is exported, read again both through the spec
// the file embeds and by translating its graph, and must compute the original's outputs to 1e-5
// with the same parameters: every example, LeakyReLU layers (alpha 0.05, after a Dense and on an
// image), Conv2DTranspose in every geometry (a layer's config comes back), Permute (Transpose) and ZeroPadding2D (Pad
// nodes of zeros on NCHW).
#include "OnnxTestSupport.h"

#include "storage/onnx/OnnxExport.h"
#include "storage/onnx/OnnxImport.h"

#include <QTemporaryDir>
#include <QtTest>

using namespace strata;
using namespace strata::storage;
using namespace strata::onnxtest;
namespace fs = std::filesystem;
using nlohmann::json;

class TestOnnxRoundTrip : public QObject {
    Q_OBJECT
    QTemporaryDir dir_;

    // Writes `original` to NAME.onnx, imports it (its embedded spec or its graph) into `imported`,
    // and checks the parameter count and the outputs on `inputs`.
    void roundTrip(const Model& original, const std::string& name, bool embedded, const std::vector<Tensor>& inputs,
                   ImportedModel& imported) {
        const fs::path file = fs::path(dir_.path().toStdString()) / (name + (embedded ? "_embedded" : "_graph") + ".onnx");
        writeOnnxModel(original, file);
        OnnxImportOptions options;
        options.useEmbeddedSpec = embedded;
        imported = importOnnxFile(file, options);
        QCOMPARE(imported.fromEmbeddedSpec, embedded);
        if (embedded) QCOMPARE(imported.spec.toJson(), original.spec().toJson());
        const auto model = imported.instantiate();
        QCOMPARE(model->paramCounts().total(), original.paramCounts().total());
        const auto want = engineOutputs(original, inputs), got = engineOutputs(*model, inputs);
        QCOMPARE(got.size(), want.size());
        for (std::size_t k = 0; k < got.size(); ++k) {
            const std::string diff = difference(got[k], want[k], 1e-5, 1e-5);
            QVERIFY2(diff.empty(), (name + " output " + std::to_string(k) + ": " + diff).c_str());
        }
    }

    static void bothRoutes() {
        QTest::addColumn<bool>("embedded");
        QTest::newRow("embedded spec") << true;
        QTest::newRow("graph") << false;
    }

private slots:
    void initTestCase() { QVERIFY(dir_.isValid()); }

    void everyExample_data() {
        QTest::addColumn<QString>("example");
        QTest::addColumn<bool>("embedded");
        for (const char* e : {"digits_mlp.json", "fashion_mlp.json", "mnist_cnn.json", "two_branch.json", "autoencoder.json",
                              "fashion_autoencoder.json", "conv1d_sequence.json"}) {
            QTest::newRow((std::string(e) + " embedded spec").c_str()) << QString(e) << true;
            QTest::newRow((std::string(e) + " graph").c_str()) << QString(e) << false;
        }
    }
    void everyExample() {
        QFETCH(QString, example);
        QFETCH(bool, embedded);
        const auto original = builtModel(testutil::example(example.toUtf8().constData()), 11);
        ImportedModel imported;
        roundTrip(*original, example.toStdString(), embedded, randomInputs(*original, 4, 5), imported);
    }

    void leakyRelu_data() { bothRoutes(); }
    void leakyRelu() {
        QFETCH(bool, embedded);
        const auto original = builtModel(ModelSpec::parse(R"({"format": "strata.model/1", "name": "leaky", "inputs": ["x", "img"],
          "outputs": ["out", "pool"], "layers": [
          {"name": "x", "type": "Input", "config": {"shape": [6]}},
          {"name": "img", "type": "Input", "config": {"shape": [6, 6, 2]}},
          {"name": "d", "type": "Dense", "config": {"units": 5}, "inbound": ["x"]},
          {"name": "leaky", "type": "LeakyReLU", "config": {"alpha": 0.05}, "inbound": ["d"]},
          {"name": "out", "type": "Dense", "config": {"units": 3}, "inbound": ["leaky"]},
          {"name": "c", "type": "Conv2D", "config": {"filters": 3, "kernel_size": [3, 3]}, "inbound": ["img"]},
          {"name": "leaky_img", "type": "LeakyReLU", "config": {"alpha": 0.05}, "inbound": ["c"]},
          {"name": "pool", "type": "MaxPooling2D", "inbound": ["leaky_img"]}]})", "leaky"), 13);
        ImportedModel imported;
        roundTrip(*original, "leaky", embedded, randomInputs(*original, 4, 5), imported);
        if (QTest::currentTestFailed()) return;
        int leaky = 0;
        for (const LayerSpec& l : imported.spec.layers)
            if (l.type == "LeakyReLU") {
                QCOMPARE(l.config["alpha"].get<double>(), 0.05);
                ++leaky;
            }
        QCOMPARE(leaky, 2);
    }

    // "valid", "same" with an odd padding, the kernel below the stride, dilated, no bias, a fused
    // activation, chained after a Conv2D and on an input of unknown size.
    void convTranspose_data() { bothRoutes(); }
    void convTranspose() {
        QFETCH(bool, embedded);
        const auto original = builtModel(ModelSpec::parse(R"({"format": "strata.model/1", "name": "deconvs", "inputs": ["img", "any"],
          "outputs": ["up_valid", "up_same_odd", "up_small", "dilated", "chained", "any_size"], "layers": [
          {"name": "img", "type": "Input", "config": {"shape": [5, 4, 3]}},
          {"name": "any", "type": "Input", "config": {"shape": [null, null, 2]}},
          {"name": "up_valid", "type": "Conv2DTranspose", "config": {"filters": 4, "kernel_size": [3, 3], "strides": [2, 2], "activation": "relu"}, "inbound": ["img"]},
          {"name": "up_same_odd", "type": "Conv2DTranspose", "config": {"filters": 3, "kernel_size": [3, 2], "strides": [2, 3], "padding": "same"}, "inbound": ["img"]},
          {"name": "up_small", "type": "Conv2DTranspose", "config": {"filters": 2, "kernel_size": [2, 2], "strides": [3, 3], "activation": "tanh"}, "inbound": ["img"]},
          {"name": "dilated", "type": "Conv2DTranspose", "config": {"filters": 3, "kernel_size": [2, 3], "dilation_rate": [3, 1], "padding": "same", "use_bias": false}, "inbound": ["img"]},
          {"name": "down", "type": "Conv2D", "config": {"filters": 4, "kernel_size": [3, 3], "strides": [2, 2], "padding": "same"}, "inbound": ["up_valid"]},
          {"name": "chained", "type": "Conv2DTranspose", "config": {"filters": 2, "kernel_size": [4, 4], "strides": [2, 2], "padding": "same", "activation": "sigmoid"}, "inbound": ["down"]},
          {"name": "any_size", "type": "Conv2DTranspose", "config": {"filters": 2, "kernel_size": [3, 3], "strides": [2, 2], "padding": "same"}, "inbound": ["any"]}]})", "deconvs"), 19);
        ImportedModel imported;
        roundTrip(*original, "deconvs", embedded, randomInputs(*original, 3, 5, {7, 3}), imported);
        if (QTest::currentTestFailed()) return;
        for (const LayerSpec& l : original->spec().layers) { // each layer's config comes back (defaults aside)
            if (l.type != "Conv2DTranspose") continue;
            const int i = imported.spec.indexOf(l.name);
            QVERIFY2(i >= 0, l.name.c_str());
            const LayerSpec& back = imported.spec.layers[std::size_t(i)];
            QCOMPARE(back.type, l.type);
            for (const auto& [key, value] : l.config.items()) QCOMPARE(back.config[key], value);
        }
    }

    // On the NHWC input, and between convolutions where the export stays NCHW.
    void zeroPadding_data() { bothRoutes(); }
    void zeroPadding() {
        QFETCH(bool, embedded);
        const auto original = builtModel(ModelSpec::parse(R"({"format": "strata.model/1", "name": "padded", "layers": [
          {"name": "img", "type": "Input", "config": {"shape": [6, 5, 2]}},
          {"name": "pad_in", "type": "ZeroPadding2D", "config": {"padding": [[1, 2], [0, 3]]}},
          {"name": "c", "type": "Conv2D", "config": {"filters": 3, "kernel_size": [3, 3], "strides": [2, 2], "activation": "relu"}},
          {"name": "pad_mid", "type": "ZeroPadding2D", "config": {"padding": [1, 2]}},
          {"name": "pool", "type": "MaxPooling2D"}]})", "padded"), 21);
        ImportedModel imported;
        roundTrip(*original, "padded", embedded, randomInputs(*original, 3, 6), imported);
        if (QTest::currentTestFailed() || embedded) return;
        std::vector<json> paddings;
        for (const LayerSpec& l : imported.spec.layers)
            if (l.type == "ZeroPadding2D") paddings.push_back(l.config["padding"]);
        QCOMPARE(paddings, (std::vector<json>{json::parse("[[1, 2], [0, 3]]"), json::parse("[[1, 1], [2, 2]]")}));
    }

    // Permute layers (Transpose nodes): a channel shuffle between convolutions, a Permute to
    // (C, H, W) before Flatten and a Dense, and a Permute as a model output.
    void permute_data() { bothRoutes(); }
    void permute() {
        QFETCH(bool, embedded);
        const auto original = builtModel(ModelSpec::parse(R"({"format": "strata.model/1", "name": "permuted", "inputs": ["img"],
          "outputs": ["out", "swapped"], "layers": [
          {"name": "img", "type": "Input", "config": {"shape": [4, 3, 2]}},
          {"name": "c", "type": "Conv2D", "config": {"filters": 6, "kernel_size": 1}, "inbound": ["img"]},
          {"name": "split", "type": "Reshape", "config": {"target_shape": [4, 3, 2, 3]}, "inbound": ["c"]},
          {"name": "shuffle", "type": "Permute", "config": {"dims": [1, 2, 4, 3]}, "inbound": ["split"]},
          {"name": "merged", "type": "Reshape", "config": {"target_shape": [4, 3, 6]}, "inbound": ["shuffle"]},
          {"name": "c2", "type": "Conv2D", "config": {"filters": 2, "kernel_size": 2}, "inbound": ["merged"]},
          {"name": "chw", "type": "Permute", "config": {"dims": [3, 1, 2]}, "inbound": ["c2"]},
          {"name": "flat", "type": "Flatten", "inbound": ["chw"]},
          {"name": "out", "type": "Dense", "config": {"units": 3}, "inbound": ["flat"]},
          {"name": "swapped", "type": "Permute", "config": {"dims": [2, 1, 3]}, "inbound": ["c2"]}]})", "permuted"), 23);
        ImportedModel imported;
        roundTrip(*original, "permuted", embedded, randomInputs(*original, 3, 7), imported);
    }

    // Grouped Conv2D, DepthwiseConv2D (depth multipliers 1 and 2, strided, dilated, unknown sizes)
    // and SeparableConv2D. Through the graph a SeparableConv2D comes back as a DepthwiseConv2D and
    // a 1x1 Conv2D with the same parameters.
    void groupedAndDepthwise_data() { bothRoutes(); }
    void groupedAndDepthwise() {
        QFETCH(bool, embedded);
        const auto original = builtModel(ModelSpec::parse(R"({"format": "strata.model/1", "name": "depthwise", "inputs": ["img", "any"],
          "outputs": ["grouped", "sep", "any_dw"], "layers": [
          {"name": "img", "type": "Input", "config": {"shape": [9, 8, 4]}},
          {"name": "any", "type": "Input", "config": {"shape": [null, null, 3]}},
          {"name": "dw", "type": "DepthwiseConv2D", "config": {"kernel_size": [3, 3], "strides": [2, 2], "padding": "same", "depth_multiplier": 2, "activation": "relu6"}, "inbound": ["img"]},
          {"name": "grouped", "type": "Conv2D", "config": {"filters": 6, "kernel_size": [3, 2], "groups": 2, "padding": "same", "activation": "tanh"}, "inbound": ["dw"]},
          {"name": "sep", "type": "SeparableConv2D", "config": {"filters": 5, "kernel_size": [3, 3], "dilation_rate": [2, 1], "depth_multiplier": 2}, "inbound": ["img"]},
          {"name": "any_dw", "type": "DepthwiseConv2D", "config": {"kernel_size": [3, 3], "padding": "same", "use_bias": false}, "inbound": ["any"]}]})", "depthwise"), 23);
        ImportedModel imported;
        roundTrip(*original, "depthwise", embedded, randomInputs(*original, 3, 7, {6, 5}), imported);
        if (QTest::currentTestFailed() || embedded) return;
        std::map<std::string, int> types;
        for (const LayerSpec& l : imported.spec.layers) ++types[l.type];
        QCOMPARE(types, (std::map<std::string, int>{{"Input", 2}, {"DepthwiseConv2D", 3}, {"Conv2D", 2}}));
        QCOMPARE(imported.spec.layers[std::size_t(imported.spec.indexOf("dw"))].config["depth_multiplier"], json(2));
        QCOMPARE(imported.spec.layers[std::size_t(imported.spec.indexOf("grouped"))].config["groups"], json(2));
    }
};

QTEST_GUILESS_MAIN(TestOnnxRoundTrip)
#include "tst_onnx_roundtrip.moc"
