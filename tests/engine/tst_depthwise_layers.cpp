// Grouped, depthwise and separable convolutions as layers: Keras 3 parameter counts, variable
// shapes, output shapes, and the errors of configs that cannot work (each naming layer and key).
#include "engine/Error.h"
#include "engine/LayerRegistry.h"
#include "engine/ShapeInference.h"
#include "engine/layers/ConvolutionLayers.h"
#include "engine/layers/DepthwiseLayers.h"

#include <QtTest>

using namespace strata;

namespace {
constexpr int64_t None = kUnknownDim;

std::unique_ptr<Layer> make(const std::string& type, const nlohmann::json& config) {
    return LayerRegistry::instance().create(type, defaultLayerName(type), config);
}

std::string shapesOf(const Layer& l, const Shape& in) {
    std::string s;
    for (const VariableSpec& v : l.variableSpecs({in})) s += (s.empty() ? "" : " ") + v.name + v.shape.toString();
    return s;
}

// Every issue of a one-layer model on an input of `inputShape` (JSON), as text.
QStringList issues(const std::string& layerJson, const std::string& inputShape) {
    const std::string text = R"({"format":"strata.model/1","name":"m","layers":[{"name":"x","type":"Input","config":{"shape":)" +
                             inputShape + "}}," + layerJson + "]}";
    QStringList out;
    for (const auto& i : ShapeInference::run(ModelSpec::parse(text)).issues) out << QString::fromStdString(i.text());
    return out;
}
} // namespace

class TestDepthwiseLayers : public QObject {
    Q_OBJECT
private slots:
    void kerasParameterCounts() {
        const Shape in{None, 16, 16, 32};
        QCOMPARE(make("DepthwiseConv2D", {{"kernel_size", 3}})->countParams({in}).total(), int64_t(320));
        QCOMPARE(make("SeparableConv2D", {{"filters", 64}, {"kernel_size", 3}})->countParams({in}).total(), int64_t(2400));
        QCOMPARE(make("Conv2D", {{"filters", 64}, {"kernel_size", 3}, {"groups", 4}})->countParams({in}).total(), int64_t(4672));
        QCOMPARE(make("DepthwiseConv2D", {{"kernel_size", 3}, {"depth_multiplier", 2}, {"use_bias", false}})->countParams({in}).total(),
                 int64_t(576));
    }

    void variablesHaveKerasShapes() {
        const Shape in{None, 8, 8, 6};
        QCOMPARE(shapesOf(*make("DepthwiseConv2D", {{"kernel_size", {3, 2}}, {"depth_multiplier", 2}}), in),
                 std::string("depthwise_kernel(3, 2, 6, 2) bias(12,)"));
        QCOMPARE(shapesOf(*make("SeparableConv2D", {{"filters", 5}, {"depth_multiplier", 3}}), in),
                 std::string("depthwise_kernel(3, 3, 6, 3) pointwise_kernel(1, 1, 18, 5) bias(5,)"));
        QCOMPARE(shapesOf(*make("Conv2D", {{"filters", 9}, {"groups", 3}}), in), std::string("kernel(3, 3, 2, 9) bias(9,)"));
    }

    void outputShapes() {
        const Shape in{None, 9, 8, 4};
        QCOMPARE(make("DepthwiseConv2D", {{"strides", 2}, {"padding", "same"}, {"depth_multiplier", 3}})->outputShape({in}),
                 (Shape{None, 5, 4, 12}));
        QCOMPARE(make("SeparableConv2D", {{"filters", 7}, {"dilation_rate", 2}})->outputShape({in}), (Shape{None, 5, 4, 7}));
        QCOMPARE(make("Conv2D", {{"filters", 6}, {"groups", 2}, {"padding", "same"}})->outputShape({in}), (Shape{None, 9, 8, 6}));
    }

    void keyConfigTextShowsGroupsAndMultiplier() {
        QCOMPARE(make("Conv2D", {{"filters", 8}, {"groups", 4}})->keyConfigText(), std::string("8 3×3 g4"));
        QCOMPARE(make("DepthwiseConv2D", {{"depth_multiplier", 2}, {"strides", 2}, {"activation", "relu6"}})->keyConfigText(),
                 std::string("3×3 ×2 /2 relu6"));
        QCOMPARE(make("SeparableConv2D", {{"filters", 16}, {"padding", "same"}})->keyConfigText(), std::string("16 3×3 same"));
    }

    void badConfigsNameLayerAndKey() {
        // filters not a multiple of groups: known from the config alone
        QStringList i = issues(R"({"name":"grouped","type":"Conv2D","config":{"filters":6,"groups":4}})", "[8,8,8]");
        QVERIFY2(i.join('\n').contains("grouped") && i.join('\n').contains("groups: filters (6) must be divisible by groups (4)"),
                 qPrintable(i.join('\n')));
        // input channels not a multiple of groups: known once the input is
        i = issues(R"({"name":"grouped","type":"Conv2D","config":{"filters":6,"groups":3}})", "[8,8,4]");
        QVERIFY2(i.join('\n').contains("grouped") && i.join('\n').contains("groups: the input's 4 channels must be divisible by groups (3)"),
                 qPrintable(i.join('\n')));
        i = issues(R"({"name":"g0","type":"Conv2D","config":{"filters":6,"groups":0}})", "[8,8,4]");
        QVERIFY2(i.join('\n').contains("g0") && i.join('\n').contains("groups:"), qPrintable(i.join('\n')));
        i = issues(R"({"name":"dw","type":"DepthwiseConv2D","config":{"depth_multiplier":0}})", "[8,8,4]");
        QVERIFY2(i.join('\n').contains("dw") && i.join('\n').contains("depth_multiplier:"), qPrintable(i.join('\n')));
        i = issues(R"({"name":"sep","type":"SeparableConv2D","config":{"filters":4,"strides":2,"dilation_rate":2}})", "[8,8,4]");
        QVERIFY2(i.join('\n').contains("sep") && i.join('\n').contains("dilation_rate:"), qPrintable(i.join('\n')));
        i = issues(R"({"name":"dw","type":"DepthwiseConv2D","config":{"filters":4}})", "[8,8,4]"); // Keras' DepthwiseConv2D has no filters
        QVERIFY2(i.join('\n').contains("dw") && i.join('\n').contains("filters"), qPrintable(i.join('\n')));
        i = issues(R"({"name":"t","type":"Conv2DTranspose","config":{"groups":2}})", "[8,8,4]"); // nor its Conv2DTranspose groups
        QVERIFY2(i.join('\n').contains("groups"), qPrintable(i.join('\n')));
    }
};

QTEST_APPLESS_MAIN(TestDepthwiseLayers)
#include "tst_depthwise_layers.moc"
