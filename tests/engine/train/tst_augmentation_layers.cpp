// Keras 3's preprocessing layers on the CPU backend: the random augmentations
// (engine/layers/AugmentationLayers.h), Resizing and RandomCrop (ImageResizeLayers.h) match the
// NumPy / PyTorch reference of the same transformation on fixed seeds (tests/data/augment, written
// by tests/reference/augment_reference.py; tests/gpu/tst_vulkan_augment.cpp checks the same file
// on Vulkan); in inference the random ones are the identity and the traced graph differs with the
// training flag; a draw depends on (seed, step) only; Normalization with given and adapted
// statistics (train/AdaptNormalization.h); bad configs raise ConfigError naming the layer and key.
#include "engine/Error.h"
#include "engine/LayerRegistry.h"
#include "engine/Variable.h"
#include "engine/cpu/CpuBackend.h"
#include "engine/train/AdaptNormalization.h"
#include "engine/train/Trainer.h"

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

    // Normalization with its statistics given: (x - mean) / sqrt(variance) per channel; invert undoes it.
    void normalizationWithGivenStatistics() {
        for (bool invert : {false, true}) {
            const nlohmann::json c = {{"name", "norm"},
                                      {"layer", {{"type", "Normalization"},
                                                 {"config", {{"mean", {1.0, 2.0, 3.0}}, {"variance", {4.0, 0.25, 9.0}}, {"invert", invert}}}}}};
            const auto model = augment_golden::caseModel(c);
            cpu::CpuBackend be;
            for (const Variable* v : model->variables()) be.setVariable(v->path(), v->value());
            const Tensor y = augment_golden::runLayer(be, *model, true, 0);
            const Tensor x = augment_golden::inputBatch();
            const double mean[3] = {1, 2, 3}, sd[3] = {2, 0.5, 3};
            for (int64_t i = 0; i < x.size(); ++i) {
                const double want = invert ? x.f32()[i] * sd[i % 3] + mean[i % 3] : (x.f32()[i] - mean[i % 3]) / sd[i % 3];
                QVERIFY2(std::fabs(y.f32()[i] - want) <= 1e-5 * std::fabs(want) + 1e-5, qPrintable(QString::number(i)));
            }
        }
    }

    // Adapting: the per-channel mean and population variance of the layer's input (here after a
    // Rescaling) over the data; a Normalization after a layer with variables cannot adapt.
    void normalizationAdaptsOnTheData() {
        const nlohmann::json spec = {{"format", "strata.model/1"},
                                     {"name", "m"},
                                     {"layers",
                                      {{{"name", "x"}, {"type", "Input"}, {"config", {{"shape", {2, 2, 3}}}}},
                                       {{"name", "half"}, {"type", "Rescaling"}, {"config", {{"scale", 0.5}}}},
                                       {{"name", "norm"}, {"type", "Normalization"}}}}};
        auto model = Model::fromSpec(ModelSpec::fromJson(spec));
        model->build(0);
        QVERIFY(train::needsNormalizationAdapt(*model));
        data::Dataset d;
        const int64_t n = 7; // batches of 3: the last one short
        std::vector<float> xs(std::size_t(n * 12));
        for (std::size_t i = 0; i < xs.size(); ++i) xs[i] = float((i * 37) % 23) - 4.0f;
        d.x = Tensor::fromVector(Shape{n, 2, 2, 3}, xs);
        d.y = Tensor::fromVector(Shape{n}, std::vector<int32_t>(std::size_t(n), 0));
        d.numClasses = 1;
        const auto adapted = train::adaptNormalization(*model, d, 3);
        QCOMPARE(adapted.size(), std::size_t(1));
        QCOMPARE(QString::fromStdString(adapted[0]), QString("norm"));
        const Layer& norm = *model->layers().at(2);
        for (int64_t ch = 0; ch < 3; ++ch) {
            double s = 0, s2 = 0;
            int64_t k = 0;
            for (std::size_t i = std::size_t(ch); i < xs.size(); i += 3, ++k) s += 0.5 * xs[i], s2 += 0.25 * double(xs[i]) * xs[i];
            const double m = s / double(k), v = s2 / double(k) - m * m;
            QVERIFY(std::fabs(norm.findVariable("mean")->value().f32()[ch] - m) < 1e-5);
            QVERIFY(std::fabs(norm.findVariable("variance")->value().f32()[ch] - v) < 1e-4);
        }

        const nlohmann::json dense = {{"format", "strata.model/1"},
                                      {"name", "m"},
                                      {"layers",
                                       {{{"name", "x"}, {"type", "Input"}, {"config", {{"shape", {3}}}}},
                                        {{"name", "d"}, {"type", "Dense"}, {"config", {{"units", 3}}}},
                                        {{"name", "norm"}, {"type", "Normalization"}}}}};
        auto withDense = Model::fromSpec(ModelSpec::fromJson(dense));
        withDense->build(0);
        data::Dataset flat;
        flat.x = Tensor::fromVector(Shape{2, 3}, std::vector<float>{1, 2, 3, 4, 5, 6});
        try {
            train::adaptNormalization(*withDense, flat);
            QFAIL("adapted after a Dense");
        } catch (const StrataError& e) {
            QVERIFY2(QString(e.what()).contains("layer 'norm'") && QString(e.what()).contains("'d'"), e.what());
        }
    }

    // A small image classifier with the preprocessing layers in front trains on the CPU: the
    // Normalization adapts first, the augmentations draw per step, the loss stays finite, and the
    // Conv2D after the geometric layers gets gradients through their adjoint.
    void aModelWithPreprocessingTrains() {
        const nlohmann::json spec = {{"format", "strata.model/1"},
                                     {"name", "m"},
                                     {"layers",
                                      {{{"name", "x"}, {"type", "Input"}, {"config", {{"shape", {8, 8, 1}}}}},
                                       {{"name", "resize"}, {"type", "Resizing"}, {"config", {{"height", 7}, {"width", 7}}}},
                                       {{"name", "norm"}, {"type", "Normalization"}},
                                       {{"name", "conv"}, {"type", "Conv2D"}, {"config", {{"filters", 2}, {"kernel_size", 3}}}},
                                       {{"name", "flip"}, {"type", "RandomFlip"}},
                                       {{"name", "turn"}, {"type", "RandomRotation"}, {"config", {{"factor", 0.1}}}},
                                       {{"name", "shift"}, {"type", "RandomTranslation"}, {"config", {{"height_factor", 0.2}, {"width_factor", 0.2}}}},
                                       {{"name", "zoom"}, {"type", "RandomZoom"}, {"config", {{"height_factor", 0.2}}}},
                                       {{"name", "crop"}, {"type", "RandomCrop"}, {"config", {{"height", 4}, {"width", 4}}}},
                                       {{"name", "contrast"}, {"type", "RandomContrast"}, {"config", {{"factor", 0.2}, {"value_range", {-100, 100}}}}},
                                       {{"name", "flat"}, {"type", "Flatten"}},
                                       {{"name", "out"}, {"type", "Dense"}, {"config", {{"units", 2}, {"activation", "softmax"}}}}}}};
        auto model = Model::fromSpec(ModelSpec::fromJson(spec));
        model->build(3);
        data::Dataset d;
        const int64_t n = 16;
        std::vector<float> xs(std::size_t(n * 64));
        std::vector<int32_t> ys(static_cast<std::size_t>(n));
        for (std::size_t i = 0; i < xs.size(); ++i) xs[i] = float((i * 53) % 97) * 0.5f + 10.0f;
        for (std::size_t i = 0; i < ys.size(); ++i) ys[i] = int32_t(i % 2);
        d.x = Tensor::fromVector(Shape{n, 8, 8, 1}, xs);
        d.y = Tensor::fromVector(Shape{n}, ys);
        d.numClasses = 2;
        QCOMPARE(train::adaptNormalization(*model, d).size(), std::size_t(1));
        QVERIFY(std::fabs(model->layers().at(2)->findVariable("mean")->value().f32()[0]) > 1.0f); // adapted, not 0
        cpu::CpuBackend be;
        train::TrainOptions o;
        o.epochs = 2;
        o.batchSize = 4;
        train::Trainer trainer(*model, be, o);
        const Tensor kernelBefore = model->layers().at(3)->findVariable("kernel")->value();
        const train::FitResult r = trainer.fit(d);
        QVERIFY2(!r.diverged, r.message.c_str());
        QCOMPARE(r.steps, int64_t(8));
        for (const auto& e : r.epochs) QVERIFY(std::isfinite(e.loss));
        const Tensor after = be.getVariable(model->layers().at(3)->findVariable("kernel")->path());
        bool moved = false;
        for (int64_t i = 0; i < after.size(); ++i) moved = moved || after.f32()[i] != kernelBefore.f32()[i];
        QVERIFY2(moved, "the Conv2D before the augmentations learned nothing");
    }

    // A hostile Resizing (a hundred million rows) is refused at tracing, before any allocation.
    void hugeResizingIsRefused() {
        const nlohmann::json c = {{"name", "huge"}, {"layer", {{"type", "Resizing"}, {"config", {{"height", 100000000}, {"width", 4}}}}}};
        const auto model = augment_golden::caseModel(c);
        try {
            train::traceModel(*model, {{augment_golden::inputShape()}, false}, 0);
            QFAIL("traced");
        } catch (const StrataError& e) {
            QVERIFY2(QString(e.what()).contains("interpolation matrix") && QString(e.what()).contains("layer 'aug'"), e.what());
        }
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
        QTest::newRow("normalization axis") << "Normalization" << R"({"axis":1})" << "axis: only -1";
        QTest::newRow("normalization alone") << "Normalization" << R"({"mean":0.5})" << "variance: mean and variance are given together";
        QTest::newRow("normalization variance") << "Normalization" << R"({"mean":0,"variance":-1})" << "variance: must be null, a number or a list of non-negative numbers";
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
        for (const char* t : {"RandomFlip", "RandomContrast", "RandomTranslation", "RandomRotation", "RandomZoom", "Resizing", "RandomCrop", "Normalization"}) {
            const LayerTypeInfo* info = LayerRegistry::instance().find(t);
            QVERIFY2(info, t);
            QCOMPARE(QString::fromStdString(info->category), QString("Preprocessing"));
        }
    }
};

QTEST_APPLESS_MAIN(TestAugmentationLayers)
#include "tst_augmentation_layers.moc"
