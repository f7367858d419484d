// Keras 3's random augmentation layers (engine/layers/AugmentationLayers.h) on the CPU backend:
// in training they match the NumPy / PyTorch reference of the same transformation on fixed seeds
// (tests/data/augment, written by tests/reference/augment_reference.py; the Vulkan suite
// tests/gpu/tst_vulkan_augment.cpp checks the same file); in inference they are the identity; the
// traced graph differs with the training flag; a draw depends on (seed, step) only; bad configs
// raise ConfigError naming the layer and the key.
#include "engine/Error.h"
#include "engine/cpu/CpuBackend.h"

#include "tests/support/AugmentGolden.h"

#include <QtTest>

using namespace strata;
using augment_golden::file;

namespace {

int countOps(const ir::Graph& g, ir::OpKind op) {
    int n = 0;
    for (int32_t i = 0; i < g.nodeCount(); ++i) n += g.node(i).op == op;
    return n;
}

std::string modelError(const std::string& type, const nlohmann::json& config) {
    const nlohmann::json spec = {{"format", "strata.model/1"},
                                 {"name", "m"},
                                 {"layers",
                                  {{{"name", "x"}, {"type", "Input"}, {"config", {{"shape", {4, 4, 3}}}}},
                                   {{"name", "aug_layer"}, {"type", type}, {"config", config}}}}};
    try {
        Model::fromSpec(ModelSpec::fromJson(spec));
    } catch (const StrataError& e) {
        return e.what();
    }
    return "no error";
}

} // namespace

class TestAugmentationLayers : public QObject {
    Q_OBJECT

private slots:
    void matchesTheReference_data() {
        QTest::addColumn<int>("index");
        const auto& cases = file()["cases"];
        QVERIFY(cases.size() >= 6);
        for (std::size_t i = 0; i < cases.size(); ++i) QTest::newRow(cases[i]["name"].get<std::string>().c_str()) << int(i);
    }
    void matchesTheReference() {
        QFETCH(int, index);
        cpu::CpuBackend be;
        const std::string why = augment_golden::checkCase(be, file()["cases"][std::size_t(index)], 1e-5, 1e-4);
        QVERIFY2(why.empty(), why.c_str());
    }

    // Inference: the identity, with no random op in the graph; training: a RandomUniform draw.
    void inferenceIsTheIdentityAndTheGraphDiffers_data() {
        QTest::addColumn<int>("index");
        const auto& cases = file()["cases"];
        for (std::size_t i = 0; i < cases.size(); ++i)
            if (cases[i].value("identity_in_inference", false))
                QTest::newRow(cases[i]["name"].get<std::string>().c_str()) << int(i);
    }
    void inferenceIsTheIdentityAndTheGraphDiffers() {
        QFETCH(int, index);
        const auto model = augment_golden::caseModel(file()["cases"][std::size_t(index)]);
        const auto inference = train::traceModel(*model, {{augment_golden::inputShape()}, false}, 0);
        const auto training = train::traceModel(*model, {{augment_golden::inputShape()}, true}, 0);
        QCOMPARE(countOps(inference.graph, ir::OpKind::RandomUniform), 0);
        QCOMPARE(countOps(training.graph, ir::OpKind::RandomUniform), 1);
        QVERIFY(training.graph.nodeCount() > inference.graph.nodeCount());
        cpu::CpuBackend be;
        const Tensor y = augment_golden::runLayer(be, *model, false, 3);
        const Tensor x = augment_golden::inputBatch();
        QCOMPARE(y.size(), x.size());
        for (int64_t i = 0; i < x.size(); ++i) QCOMPARE(y.f32()[i], x.f32()[i]);
    }

    // The same (seed, step) draws the same; another step draws again; a layer without a seed takes
    // one from its path and the run's seed.
    void drawsDependOnSeedAndStepOnly() {
        const auto u0 = layers::augmentationUniforms(7, 0, 64), u0again = layers::augmentationUniforms(7, 0, 64);
        const auto u1 = layers::augmentationUniforms(7, 1, 64), v0 = layers::augmentationUniforms(8, 0, 64);
        QVERIFY(u0 == u0again);
        QVERIFY(u0 != u1);
        QVERIFY(u0 != v0);
        for (float u : u0) QVERIFY(u >= 0.0f && u < 1.0f);

        const nlohmann::json c = {{"name", "unseeded"}, {"layer", {{"type", "RandomFlip"}, {"config", nlohmann::json::object()}}}};
        const auto model = augment_golden::caseModel(c);
        const auto& flip = dynamic_cast<const layers::RandomFlip&>(*model->layers().at(1));
        QVERIFY(flip.streamSeed(1) != flip.streamSeed(2));
        const auto a = train::traceModel(*model, {{augment_golden::inputShape()}, true}, 1);
        const auto b = train::traceModel(*model, {{augment_golden::inputShape()}, true}, 1);
        int64_t seedA = -1, seedB = -2;
        for (int32_t i = 0; i < a.graph.nodeCount(); ++i)
            if (a.graph.node(i).op == ir::OpKind::RandomUniform) seedA = a.graph.node(i).attrs.integer("seed");
        for (int32_t i = 0; i < b.graph.nodeCount(); ++i)
            if (b.graph.node(i).op == ir::OpKind::RandomUniform) seedB = b.graph.node(i).attrs.integer("seed");
        QCOMPARE(seedA, seedB);
        QCOMPARE(uint64_t(seedA), flip.streamSeed(1));
    }

    // RandomCrop: training draws a crop (a RandomUniform), inference crops the centre and resizes;
    // both give (height, width). Resizing is the same graph in both modes.
    void cropAndResizeGraphs() {
        const nlohmann::json crop = {{"name", "crop"}, {"layer", {{"type", "RandomCrop"}, {"config", {{"height", 3}, {"width", 4}, {"seed", 1}}}}}};
        const auto model = augment_golden::caseModel(crop);
        const auto inference = train::traceModel(*model, {{augment_golden::inputShape()}, false}, 0);
        const auto training = train::traceModel(*model, {{augment_golden::inputShape()}, true}, 0);
        QCOMPARE(countOps(inference.graph, ir::OpKind::RandomUniform), 0);
        QCOMPARE(countOps(training.graph, ir::OpKind::RandomUniform), 1);
        QCOMPARE(inference.graph.shape(inference.outputs[0]).toString(), training.graph.shape(training.outputs[0]).toString());
        const nlohmann::json resize = {{"name", "resize"}, {"layer", {{"type", "Resizing"}, {"config", {{"height", 3}, {"width", 4}}}}}};
        const auto resizing = augment_golden::caseModel(resize);
        const auto a = train::traceModel(*resizing, {{augment_golden::inputShape()}, false}, 0);
        const auto b = train::traceModel(*resizing, {{augment_golden::inputShape()}, true}, 0);
        QCOMPARE(a.graph.nodeCount(), b.graph.nodeCount());
        QCOMPARE(countOps(b.graph, ir::OpKind::RandomUniform), 0);
    }

    void badConfigsNameTheLayerAndKey_data() {
        QTest::addColumn<QString>("type");
        QTest::addColumn<QString>("config");
        QTest::addColumn<QString>("message");
        QTest::newRow("flip mode") << "RandomFlip" << R"({"mode":"diagonal"})" << "mode: must be one of horizontal, vertical, horizontal_and_vertical";
        QTest::newRow("flip seed") << "RandomFlip" << R"({"seed":-1})" << "seed: must be a non-negative integer or null";
        QTest::newRow("contrast factor") << "RandomContrast" << R"({"factor":1.5})" << "factor: must be a number in [0, 1]";
        QTest::newRow("contrast factor negative") << "RandomContrast" << R"({"factor":[-0.1, 0.2]})" << "factor: must be a number in [0, 1]";
        QTest::newRow("contrast factor list") << "RandomContrast" << R"({"factor":[0.1, 0.2, 0.3]})" << "factor: must be a number in [0, 1]";
        QTest::newRow("contrast factor kind") << "RandomContrast" << R"({"factor":"big"})" << "factor: expected a number, got a string";
        QTest::newRow("contrast range") << "RandomContrast" << R"({"value_range":[1, 0]})" << "value_range: must be [low, high] with low < high";
        QTest::newRow("translation factor") << "RandomTranslation" << R"({"height_factor":1.5})" << "height_factor: must be a number or [lower, upper] of numbers in [-1, 1]";
        QTest::newRow("translation width list") << "RandomTranslation" << R"({"width_factor":[0.1, 2]})" << "width_factor: must be a number or [lower, upper]";
        QTest::newRow("translation fill") << "RandomTranslation" << R"({"fill_mode":"mirror"})" << "fill_mode: must be one of constant, nearest, reflect, wrap";
        QTest::newRow("rotation interpolation") << "RandomRotation" << R"({"interpolation":"cubic"})" << "interpolation: must be one of nearest, bilinear";
        QTest::newRow("rotation factor") << "RandomRotation" << R"({"factor":[0.1, 1.2]})" << "factor: must be a number or [lower, upper] of numbers in [-1, 1]";
        QTest::newRow("zoom factor") << "RandomZoom" << R"({"height_factor":[-1, 0.5]})" << "height_factor: must be a number or [lower, upper] of numbers in (-1, 1]";
        QTest::newRow("zoom fill value") << "RandomZoom" << R"({"fill_value":"black"})" << "fill_value: expected a number, got a string";
        QTest::newRow("resizing height") << "Resizing" << R"({"height":0})" << "height: must be an integer from 1";
        QTest::newRow("resizing interpolation") << "Resizing" << R"({"interpolation":"bicubic"})" << "interpolation: must be one of bilinear, nearest";
        QTest::newRow("crop width") << "RandomCrop" << R"({"width":-2})" << "width: must be an integer from 1";
    }
    void badConfigsNameTheLayerAndKey() {
        QFETCH(QString, type);
        QFETCH(QString, config);
        QFETCH(QString, message);
        const QString what = QString::fromStdString(modelError(type.toStdString(), nlohmann::json::parse(config.toStdString())));
        QVERIFY2(what.contains("aug_layer"), qPrintable(what));
        QVERIFY2(what.contains(message), qPrintable(what));
    }

    // The palette shows them in a Preprocessing category.
    void registeredAsPreprocessing() {
        for (const char* t : {"RandomFlip", "RandomContrast", "RandomTranslation", "RandomRotation", "RandomZoom", "Resizing", "RandomCrop"}) {
            const LayerTypeInfo* info = LayerRegistry::instance().find(t);
            QVERIFY2(info, t);
            QCOMPARE(QString::fromStdString(info->category), QString("Preprocessing"));
        }
    }
};

QTEST_APPLESS_MAIN(TestAugmentationLayers)
#include "tst_augmentation_layers.moc"
