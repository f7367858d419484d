// Pools with explicit pads and ceil_mode (Strata's extension of Keras, PyTorch's output sizes),
// GlobalMaxPooling2D, UpSampling2D and Cropping2D: output shapes, no parameters, and config
// errors that name the layer and the key. Values and gradients: tst_golden (pool_padded,
// upsample_crop) against PyTorch.
#include "engine/Error.h"
#include "engine/ShapeInference.h"
#include "engine/layers/ResizingLayers.h"

#include <QtTest>

using namespace strata;
using nlohmann::json;

namespace {
// One layer of `type` with `config` on an input of `shape` (no batch).
InferenceResult one(const std::string& type, const json& config, const json& shape) {
    return ShapeInference::run(ModelSpec::fromJson(
        {{"format", "strata.model/1"}, {"name", "m"}, {"inputs", {"x"}}, {"outputs", {"l"}},
         {"layers", {{{"name", "x"}, {"type", "Input"}, {"config", {{"shape", shape}}}},
                     {{"name", "l"}, {"type", type}, {"config", config}, {"inbound", {"x"}}}}}}));
}

QString issues(const InferenceResult& r) {
    QStringList out;
    for (const auto& i : r.issues) out << QString::fromStdString(i.text());
    return out.join('\n');
}

Shape shapeOf(const std::string& type, const json& config, const json& shape) {
    const InferenceResult r = one(type, config, shape);
    if (!r.ok() || !r.layers[1].outputShape) throw StrataError(issues(r).toStdString());
    if (r.layers[1].params.total() != 0) throw StrataError("a weightless layer has parameters");
    return *r.layers[1].outputShape;
}
} // namespace

class TestPoolingLayers : public QObject {
    Q_OBJECT
private slots:
    void explicitPadsAndCeilModeFollowPyTorch_data() {
        QTest::addColumn<QString>("config");
        QTest::addColumn<int>("in");
        QTest::addColumn<int>("out");
        // ResNet's stem pool: MaxPool2d(3, 2, padding=1)
        QTest::newRow("k3 s2 pad 1, 64") << R"({"pool_size": 3, "strides": 2, "padding": [[1, 1], [1, 1]]})" << 64 << 32;
        QTest::newRow("k3 s2 pad 1, 9") << R"({"pool_size": 3, "strides": 2, "padding": [[1, 1], [1, 1]]})" << 9 << 5;
        // GoogLeNet: MaxPool2d(3, 2, ceil_mode=True): 31 -> ceil(28 / 2) + 1
        QTest::newRow("k3 s2 ceil, 31") << R"({"pool_size": 3, "strides": 2, "ceil_mode": true})" << 31 << 15;
        QTest::newRow("k3 s2 ceil, 32") << R"({"pool_size": 3, "strides": 2, "ceil_mode": true})" << 32 << 16;
        QTest::newRow("k3 s2 floor, 32") << R"({"pool_size": 3, "strides": 2})" << 32 << 15;
        // the last window would start in the bottom pad (6 >= 5 + 1): PyTorch drops it, 4 -> 3
        QTest::newRow("k2 s2 pad 1 ceil, 5") << R"({"pool_size": 2, "strides": 2, "padding": [[1, 1], [1, 1]], "ceil_mode": true})" << 5 << 3;
        QTest::newRow("asymmetric pads") << R"({"pool_size": 3, "strides": 1, "padding": [[0, 2], [0, 2]]})" << 4 << 4;
    }

    void explicitPadsAndCeilModeFollowPyTorch() {
        QFETCH(QString, config);
        QFETCH(int, in);
        QFETCH(int, out);
        for (const char* type : {"MaxPooling2D", "AveragePooling2D"})
            QCOMPARE(shapeOf(type, json::parse(config.toStdString()), {in, in, 3}), (Shape{kUnknownDim, out, out, 3}));
    }

    void newLayersShapes() {
        QCOMPARE(shapeOf("GlobalMaxPooling2D", json::object(), {5, 4, 3}), (Shape{kUnknownDim, 3}));
        QCOMPARE(shapeOf("GlobalMaxPooling2D", {{"keepdims", true}}, {5, 4, 3}), (Shape{kUnknownDim, 1, 1, 3}));
        QCOMPARE(shapeOf("UpSampling2D", json::object(), {5, 4, 3}), (Shape{kUnknownDim, 10, 8, 3}));
        QCOMPARE(shapeOf("UpSampling2D", {{"size", {3, 1}}, {"interpolation", "bilinear"}}, {5, 4, 3}), (Shape{kUnknownDim, 15, 4, 3}));
        QCOMPARE(shapeOf("Cropping2D", {{"cropping", 1}}, {5, 4, 3}), (Shape{kUnknownDim, 3, 2, 3}));
        QCOMPARE(shapeOf("Cropping2D", {{"cropping", {1, 0}}}, {5, 4, 3}), (Shape{kUnknownDim, 3, 4, 3}));
        QCOMPARE(shapeOf("Cropping2D", {{"cropping", {{0, 2}, {1, 0}}}}, {5, 4, 3}), (Shape{kUnknownDim, 3, 3, 3}));
        QCOMPARE(shapeOf("UpSampling2D", json::object(), json::array({nullptr, 4, 3})).dims()[1], kUnknownDim); // unknown stays unknown
    }

    // Half-pixel centres, clamped at the edges: out cell o of factor 2 reads (o + 0.5) / 2 - 0.5.
    void bilinearMatrixIsHalfPixel() {
        const std::vector<float> m = layers::bilinearUpsamplingMatrix(3, 2); // 6 x 3
        const std::vector<float> want = {1, 0, 0, 0.75f, 0.25f, 0, 0.25f, 0.75f, 0, 0, 0.75f, 0.25f, 0, 0.25f, 0.75f, 0, 0, 1};
        QCOMPARE(m, want);
    }

    void badConfigsNameLayerAndKey_data() {
        QTest::addColumn<QString>("type");
        QTest::addColumn<QString>("config");
        QTest::addColumn<QString>("message");
        QTest::newRow("pad not smaller than the window") << "MaxPooling2D" << R"({"padding": [[2, 0], [0, 0]]})"
                                                         << "l: padding: top pad 2 must be smaller than the pool size 2";
        QTest::newRow("pads of the wrong form") << "AveragePooling2D" << R"({"padding": [1, 1]})"
                                                << "l: padding: expected \"valid\", \"same\" or [[top, bottom], [left, right]]";
        QTest::newRow("negative pad") << "MaxPooling2D" << R"({"padding": [[0, -1], [0, 0]]})" << "l: padding: expected";
        QTest::newRow("ceil_mode with same") << "MaxPooling2D" << R"({"padding": "same", "ceil_mode": true})" << "l: ceil_mode: applies to";
        QTest::newRow("ceil_mode not a boolean") << "AveragePooling2D" << R"({"ceil_mode": 1})" << "l: ceil_mode";
        QTest::newRow("unknown interpolation") << "UpSampling2D" << R"({"interpolation": "bicubic"})" << "l: interpolation: must be one of";
        QTest::newRow("size 0") << "UpSampling2D" << R"({"size": [0, 2]})" << "l: size: values must be from 1";
        QTest::newRow("cropping form") << "Cropping2D" << R"({"cropping": [1, 2, 3]})" << "l: cropping: expected p, [h, w] or";
        QTest::newRow("cropping everything") << "Cropping2D" << R"({"cropping": [[2, 3], [0, 0]]})" << "l: cropping 2 + 3 of the height leaves nothing of 5";
        QTest::newRow("window too large") << "MaxPooling2D" << R"({"pool_size": 8, "padding": [[1, 1], [1, 1]]})" << "is smaller than the window (8)";
    }

    void badConfigsNameLayerAndKey() {
        QFETCH(QString, type);
        QFETCH(QString, config);
        QFETCH(QString, message);
        const InferenceResult r = one(type.toStdString(), json::parse(config.toStdString()), {5, 4, 3});
        QVERIFY2(issues(r).contains(message), qPrintable(issues(r)));
    }
};

QTEST_GUILESS_MAIN(TestPoolingLayers)
#include "tst_pooling_layers.moc"
