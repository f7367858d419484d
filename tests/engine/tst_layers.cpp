// Every registered layer type: shape rules, parameter counts (Keras' numbers), config round trip,
// and the Keras build lifecycle.
#include "engine/Error.h"
#include "engine/Layer.h"
#include "engine/LayerRegistry.h"
#include "engine/Model.h"
#include "engine/cpu/CpuBackend.h"
#include "engine/ir/Autodiff.h"
#include "engine/layers/CoreLayers.h"
#include "engine/train/Tracer.h"

#include <QtTest>

#include <cmath>
#include <limits>

using namespace strata;

namespace {
constexpr int64_t None = kUnknownDim;

std::unique_ptr<Layer> make(const std::string& type, nlohmann::json config = nlohmann::json::object()) {
    return LayerRegistry::instance().create(type, defaultLayerName(type), config);
}

// A config for each type that differs from the defaults where it can, for round trips.
nlohmann::json sampleConfig(const std::string& type) {
    if (type == "Input") return {{"shape", {28, 28, 1}}};
    if (type == "Dense") return {{"units", 7}, {"activation", "tanh"}, {"use_bias", false}};
    if (type == "Conv2D") return {{"filters", 5}, {"kernel_size", {3, 2}}, {"strides", {2, 2}}, {"padding", "same"}};
    if (type == "Conv2DTranspose") return {{"filters", 6}, {"kernel_size", {2, 3}}, {"strides", {2, 1}}, {"use_bias", false}};
    if (type == "MaxPooling2D" || type == "AveragePooling2D") return {{"pool_size", {3, 3}}, {"strides", {1, 1}}};
    if (type == "GlobalAveragePooling2D") return {{"keepdims", true}};
    if (type == "Reshape") return {{"target_shape", {4, -1}}};
    if (type == "Dropout") return {{"rate", 0.25}, {"seed", 7}};
    if (type == "ZeroPadding2D") return {{"padding", {{1, 2}, {0, 3}}}};
    if (type == "BatchNormalization") return {{"momentum", 0.9}, {"epsilon", 0.01}};
    if (type == "LayerNormalization") return {{"epsilon", 0.0001}, {"center", false}};
    if (type == "Activation") return {{"activation", "sigmoid"}};
    if (type == "LeakyReLU") return {{"alpha", 0.05}};
    if (type == "ReLU") return {{"max_value", 6.0}, {"negative_slope", 0.1}};
    if (type == "Concatenate") return {{"axis", 1}};
    if (type == "DepthwiseConv2D") return {{"kernel_size", {3, 2}}, {"depth_multiplier", 2}, {"padding", "same"}};
    if (type == "SeparableConv2D") return {{"filters", 6}, {"kernel_size", {3, 3}}, {"strides", {2, 2}}, {"depth_multiplier", 3}};
    if (type == "Softmax") return {{"axis", 2}};
    if (type == "PReLU") return {{"alpha_initializer", "ones"}, {"shared_axes", {1, 2}}};
    if (type == "Rescaling") return {{"scale", 0.00392156862745098}, {"offset", -1.0}};
    if (type == "RandomFlip") return {{"mode", "vertical"}, {"seed", 3}};
    if (type == "RandomContrast") return {{"factor", {0.1, 0.4}}, {"value_range", {0, 1}}};
    if (type == "RandomTranslation") return {{"height_factor", 0.3}, {"width_factor", {-0.2, 0.1}}, {"fill_mode", "wrap"}};
    if (type == "RandomRotation") return {{"factor", 0.5}, {"interpolation", "nearest"}, {"fill_value", 1.5}};
    if (type == "RandomZoom") return {{"height_factor", {-0.2, 0.4}}, {"width_factor", 0.3}, {"fill_mode", "nearest"}};
    if (type == "Resizing") return {{"height", 12}, {"width", 9}, {"crop_to_aspect_ratio", true}};
    if (type == "RandomCrop") return {{"height", 20}, {"width", 18}, {"seed", 4}};
    if (type == "Normalization") return {{"mean", {0.5}}, {"variance", {2.0}}};
    if (type == "Block")
        return {{"spec",
                 {{"inputs", {"x"}},
                  {"outputs", {"y"}},
                  {"layers",
                   {{{"name", "x"}, {"type", "Input"}, {"config", {{"shape", {4}}}}},
                    {{"name", "y"}, {"type", "Dense"}, {"config", {{"units", 2}}}}}}}}};
    return nlohmann::json::object();
}
} // namespace

class TestLayers : public QObject {
    Q_OBJECT
private slots:
    void registryHoldsEveryDesignType() {
        const std::vector<std::string> expected{"Input", "Dense", "Conv2D", "Conv2DTranspose", "MaxPooling2D", "AveragePooling2D",
                                                "GlobalAveragePooling2D", "Flatten", "Reshape", "ZeroPadding2D", "Dropout",
                                                "BatchNormalization", "LayerNormalization", "Activation", "LeakyReLU",
                                                "ReLU", "Add", "Multiply", "Concatenate", "Block",
                                                "DepthwiseConv2D", "SeparableConv2D", "GlobalMaxPooling2D", "UpSampling2D", "Cropping2D", "Softmax", "PReLU", "Rescaling", "Permute", "Slice",
                                                "RandomFlip", "RandomContrast", "RandomTranslation", "RandomRotation", "RandomZoom",
                                                "Resizing", "RandomCrop", "Normalization", "Conv1D", "MaxPooling1D",
                                                "AveragePooling1D", "GlobalAveragePooling1D", "GlobalMaxPooling1D", "Embedding",
                                                "SimpleRNN", "LSTM", "GRU", "Bidirectional", "MultiHeadAttention", "Dot",
                                                "RepeatVector", "PositionEmbedding"};
        for (const auto& t : expected) {
            const LayerTypeInfo* info = LayerRegistry::instance().find(t);
            QVERIFY2(info, t.c_str());
            QVERIFY2(!info->description.empty(), t.c_str());
            QVERIFY2(!info->category.empty(), t.c_str());
        }
        QCOMPARE(LayerRegistry::instance().types().size(), expected.size());
    }

    void configRoundTripIsExact_data() {
        QTest::addColumn<QString>("type");
        for (const auto& t : LayerRegistry::instance().types()) QTest::newRow(t.type.c_str()) << QString::fromStdString(t.type);
    }
    void configRoundTripIsExact() {
        QFETCH(QString, type);
        const std::string t = type.toStdString();
        auto a = make(t, sampleConfig(t));
        auto b = LayerRegistry::instance().create(t, a->name(), a->config());
        QCOMPARE(QString::fromStdString(b->config().dump()), QString::fromStdString(a->config().dump()));
        QCOMPARE(QString::fromStdString(b->toJson().dump()), QString::fromStdString(a->toJson().dump()));
        // Every default key is present in the full config; the sample values survived.
        for (auto it = a->info().defaults.begin(); it != a->info().defaults.end(); ++it) QVERIFY(a->config().contains(it.key()));
        const nlohmann::json sample = sampleConfig(t);
        for (auto it = sample.begin(); it != sample.end(); ++it)
            QCOMPARE(QString::fromStdString(a->config()[it.key()].dump()), QString::fromStdString(it.value().dump()));
    }

    void kerasParameterCounts() {
        auto dense = make("Dense", {{"units", 32}});
        QCOMPARE(dense->countParams({Shape{None, 64}}).total(), int64_t(2080));
        auto conv = make("Conv2D", {{"filters", 32}, {"kernel_size", {3, 3}}});
        QCOMPARE(conv->countParams({Shape{None, 28, 28, 1}}).total(), int64_t(320));
        auto deconv = make("Conv2DTranspose", {{"filters", 16}, {"kernel_size", {3, 3}}}); // 3*3*16*32 + 16
        QCOMPARE(deconv->countParams({Shape{None, 7, 7, 32}}).total(), int64_t(4624));
        auto bn = make("BatchNormalization");
        ParamCounts c = bn->countParams({Shape{None, 32}});
        QCOMPARE(c.total(), int64_t(128));
        QCOMPARE(c.nonTrainable, int64_t(64));
        auto ln = make("LayerNormalization");
        QCOMPARE(ln->countParams({Shape{None, 32}}).total(), int64_t(64));
        QCOMPARE(ln->countParams({Shape{None, 32}}).nonTrainable, int64_t(0));
        auto noBias = make("Dense", {{"units", 10}, {"use_bias", false}});
        QCOMPARE(noBias->countParams({Shape{None, 5}}).total(), int64_t(50));
    }

    void shapeRules_data() {
        QTest::addColumn<QString>("type");
        QTest::addColumn<QString>("config");
        QTest::addColumn<QString>("inputs");
        QTest::addColumn<QString>("expected");
        auto row = [](const char* name, const char* type, const char* cfg, const char* in, const char* out) {
            QTest::newRow(name) << type << cfg << in << out;
        };
        row("input", "Input", R"({"shape":[28,28,1]})", "[]", "[null,28,28,1]");
        row("dense", "Dense", R"({"units":16})", "[[null,8]]", "[null,16]");
        row("dense rank3", "Dense", R"({"units":4})", "[[null,5,8]]", "[null,5,4]");
        row("resizing", "Resizing", R"({"height":3,"width":4})", "[[null,8,8,3]]", "[null,3,4,3]");
        row("random crop", "RandomCrop", R"({"height":5,"width":6})", "[[null,8,8,3]]", "[null,5,6,3]");
        row("random flip", "RandomFlip", "{}", "[[null,8,7,3]]", "[null,8,7,3]");
        row("conv valid", "Conv2D", R"({"filters":8})", "[[null,28,28,1]]", "[null,26,26,8]");
        row("conv same stride2", "Conv2D", R"({"filters":4,"strides":2,"padding":"same"})", "[[null,7,7,2]]", "[null,4,4,4]");
        row("conv dilated", "Conv2D", R"({"filters":4,"dilation_rate":2})", "[[null,9,9,1]]", "[null,5,5,4]");
        row("conv unknown spatial", "Conv2D", R"({"filters":4})", "[[null,null,null,3]]", "[null,null,null,4]");
        // Keras' Conv2DTranspose: valid in*s + max(k - s, 0), same in*s.
        row("deconv valid stride2", "Conv2DTranspose", R"({"filters":8,"strides":2})", "[[null,7,7,16]]", "[null,15,15,8]");
        row("deconv same stride2", "Conv2DTranspose", R"({"filters":8,"strides":2,"padding":"same"})", "[[null,7,5,16]]", "[null,14,10,8]");
        row("deconv kernel below stride", "Conv2DTranspose", R"({"filters":1,"kernel_size":2,"strides":3})", "[[null,4,4,2]]", "[null,12,12,1]");
        row("deconv dilated", "Conv2DTranspose", R"({"filters":2,"dilation_rate":2})", "[[null,5,5,1]]", "[null,9,9,2]");
        row("deconv unknown spatial", "Conv2DTranspose", R"({"filters":4})", "[[null,null,null,3]]", "[null,null,null,4]");
        row("zeropad default", "ZeroPadding2D", "{}", "[[null,5,4,3]]", "[null,7,6,3]");
        row("zeropad int", "ZeroPadding2D", R"({"padding":2})", "[[null,5,4,3]]", "[null,9,8,3]");
        row("zeropad per side", "ZeroPadding2D", R"({"padding":[[1,0],[0,2]]})", "[[null,5,4,3]]", "[null,6,6,3]");
        row("zeropad unknown", "ZeroPadding2D", R"({"padding":1})", "[[null,null,4,3]]", "[null,null,6,3]");
        row("maxpool", "MaxPooling2D", "{}", "[[null,13,13,3]]", "[null,6,6,3]");
        row("avgpool same", "AveragePooling2D", R"({"padding":"same"})", "[[null,7,7,3]]", "[null,4,4,3]");
        row("gap", "GlobalAveragePooling2D", "{}", "[[null,5,5,7]]", "[null,7]");
        row("gap keepdims", "GlobalAveragePooling2D", R"({"keepdims":true})", "[[null,5,5,7]]", "[null,1,1,7]");
        row("flatten", "Flatten", "{}", "[[null,5,5,64]]", "[null,1600]");
        row("flatten unknown", "Flatten", "{}", "[[null,null,5]]", "[null,null]");
        row("reshape", "Reshape", R"({"target_shape":[28,28,1]})", "[[null,784]]", "[null,28,28,1]");
        row("reshape infer", "Reshape", R"({"target_shape":[4,-1]})", "[[null,12]]", "[null,4,3]");
        row("dropout", "Dropout", "{}", "[[null,10]]", "[null,10]");
        row("bn", "BatchNormalization", "{}", "[[null,6,6,3]]", "[null,6,6,3]");
        row("ln", "LayerNormalization", "{}", "[[null,3]]", "[null,3]");
        row("activation", "Activation", R"({"activation":"softmax"})", "[[null,3]]", "[null,3]");
        row("leaky relu", "LeakyReLU", R"({"alpha":0.1})", "[[null,3]]", "[null,3]");
        row("leaky relu rank4", "LeakyReLU", "{}", "[[null,null,5,2]]", "[null,null,5,2]");
        row("leaky relu rank5", "LeakyReLU", "{}", "[[2,3,4,5,6]]", "[2,3,4,5,6]");
        row("add", "Add", "{}", "[[null,3],[null,3],[null,3]]", "[null,3]");
        row("multiply", "Multiply", "{}", "[[null,3],[4,3]]", "[4,3]");
        row("concat", "Concatenate", "{}", "[[null,3],[null,5]]", "[null,8]");
        row("concat axis1", "Concatenate", R"({"axis":1})", "[[null,2,3],[null,4,3]]", "[null,6,3]");
        row("slice channels", "Slice", R"({"start":0,"stop":4})", "[[null,4,4,8]]", "[null,4,4,4]");
        row("slice last two", "Slice", R"({"start":-2})", "[[null,4,4,8]]", "[null,4,4,2]");
        row("slice clamped", "Slice", R"({"axis":1,"start":2,"stop":100})", "[[null,5,3]]", "[null,3,3]");
        row("slice unknown axis", "Slice", R"({"axis":1,"start":1,"stop":3})", "[[null,null,3]]", "[null,2,3]");
    }
    void shapeRules() {
        QFETCH(QString, type);
        QFETCH(QString, config);
        QFETCH(QString, inputs);
        QFETCH(QString, expected);
        auto layer = make(type.toStdString(), nlohmann::json::parse(config.toStdString()));
        std::vector<Shape> in;
        for (const auto& s : nlohmann::json::parse(inputs.toStdString())) in.push_back(Shape::fromJson(s));
        QCOMPARE(QString::fromStdString(layer->outputShape(in).toJson().dump()), expected);
    }

    void shapeErrors_data() {
        QTest::addColumn<QString>("type");
        QTest::addColumn<QString>("config");
        QTest::addColumn<QString>("inputs");
        QTest::addColumn<QString>("fragment");
        auto row = [](const char* name, const char* type, const char* cfg, const char* in, const char* frag) {
            QTest::newRow(name) << type << cfg << in << frag;
        };
        row("dense unknown last", "Dense", "{}", "[[null,null]]", "known last input dimension");
        row("dense rank1", "Dense", "{}", "[[null]]", "rank >= 2");
        row("conv rank", "Conv2D", "{}", "[[null,3]]", "expects a 4D input");
        row("conv too small", "Conv2D", R"({"kernel_size":5})", "[[null,3,3,1]]", "does not fit the input height of 3");
        row("deconv rank", "Conv2DTranspose", "{}", "[[null,3,3]]", "expects a 4D input");
        row("deconv unknown channels", "Conv2DTranspose", "{}", "[[null,3,3,null]]", "known number of input channels");
        row("add mismatch", "Add", "{}", "[[null,3],[null,4]]", "agree or are 1 on every axis (NumPy broadcasting), got [(None, 3), (None, 4)]");
        row("concat mismatch", "Concatenate", "{}", "[[null,2,3],[null,4,3]]", "agree on every axis but -1");
        row("reshape count", "Reshape", R"({"target_shape":[5,5]})", "[[null,24]]", "cannot reshape (None, 24)");
        row("bn batch axis", "BatchNormalization", R"({"axis":0})", "[[null,4]]", "out of range");
        row("slice empty", "Slice", R"({"start":3,"stop":3})", "[[null,8]]", "start 3 to stop 3 of axis -1 (8 elements) keeps nothing");
        row("slice axis rank", "Slice", R"({"axis":3})", "[[null,8]]", "axis 3 is not an axis of a rank-2 input");
        row("slice unknown to end", "Slice", R"({"axis":1,"start":1})", "[[null,null,3]]", "has an unknown size");
    }
    void shapeErrors() {
        QFETCH(QString, type);
        QFETCH(QString, config);
        QFETCH(QString, inputs);
        QFETCH(QString, fragment);
        auto layer = make(type.toStdString(), nlohmann::json::parse(config.toStdString()));
        std::vector<Shape> in;
        for (const auto& s : nlohmann::json::parse(inputs.toStdString())) in.push_back(Shape::fromJson(s));
        try {
            layer->outputShape(in);
            QFAIL("expected a ShapeError");
        } catch (const ShapeError& e) {
            QVERIFY2(QString(e.what()).contains(fragment), e.what());
        }
    }

    void configErrorsNameTheKey_data() {
        QTest::addColumn<QString>("type");
        QTest::addColumn<QString>("config");
        QTest::addColumn<QString>("fragment");
        QTest::newRow("units zero") << "Dense" << R"({"units":0})" << "units: must be an integer from 1 to 2147483647";
        QTest::newRow("bad activation") << "Dense" << R"({"activation":"relu7"})" << "activation: unknown activation \"relu7\"";
        QTest::newRow("unknown key") << "Dense" << R"({"unit":3})" << "unknown config key 'unit' for Dense";
        QTest::newRow("wrong kind") << "Dense" << R"({"units":"many"})" << "units: expected an integer, got a string";
        QTest::newRow("padding") << "Conv2D" << R"({"padding":"full"})" << "padding: must be one of valid, same";
        QTest::newRow("deconv padding") << "Conv2DTranspose" << R"({"padding":"full"})" << "padding: must be one of valid, same";
        QTest::newRow("deconv output_padding") << "Conv2DTranspose" << R"({"output_padding":1})" << "unknown config key 'output_padding' for Conv2DTranspose";
        QTest::newRow("deconv strides and dilation") << "Conv2DTranspose" << R"({"strides":2,"dilation_rate":2})" << "dilation_rate: cannot be combined with strides > 1";
        QTest::newRow("zeropad negative") << "ZeroPadding2D" << R"({"padding":-1})" << "padding: expected p, [h, w] or [[top, bottom], [left, right]] of integers from 0 to 2147483647, got -1";
        QTest::newRow("zeropad shape") << "ZeroPadding2D" << R"({"padding":[1,2,3]})" << "padding: expected p, [h, w]";
        QTest::newRow("rate") << "Dropout" << R"({"rate":1.5})" << "rate: must be in [0, 1)";
        QTest::newRow("slice batch") << "Slice" << R"({"axis":0})" << "axis: is the batch axis, which cannot be sliced";
        QTest::newRow("slice stop kind") << "Slice" << R"({"stop":"end"})" << "stop: must be an integer or null";
        QTest::newRow("leaky alpha kind") << "LeakyReLU" << R"({"alpha":"small"})" << "alpha: expected a number, got a string";
        QTest::newRow("leaky unknown key") << "LeakyReLU" << R"({"negative_slope":0.1})" << "unknown config key 'negative_slope' for LeakyReLU (known keys: alpha, trainable)";
        QTest::newRow("input shape missing") << "Input" << "{}" << "shape: required for Input";
        QTest::newRow("initializer") << "Dense" << R"({"kernel_initializer":"magic"})" << "kernel_initializer: unknown initializer";
        QTest::newRow("block bad inner") << "Block"
                                         << R"({"spec":{"layers":[{"name":"x","type":"Input","config":{"shape":[3]}},{"name":"d","type":"Dense","config":{"units":-1}}]}})"
                                         << "in block: d: units: must be an integer from 1 to 2147483647";
    }
    void configErrorsNameTheKey() {
        QFETCH(QString, type);
        QFETCH(QString, config);
        QFETCH(QString, fragment);
        try {
            make(type.toStdString(), nlohmann::json::parse(config.toStdString()));
            QFAIL("expected a ConfigError");
        } catch (const ConfigError& e) {
            QVERIFY2(QString(e.what()).contains(fragment), e.what());
        }
    }

    void leakyReluDefaultsAndShape() {
        const LayerTypeInfo* info = LayerRegistry::instance().find("LeakyReLU");
        QVERIFY(info);
        QCOMPARE(info->category, std::string("Activation"));
        QVERIFY(QString::fromStdString(info->description).contains("alpha"));
        QCOMPARE(defaultLayerName("LeakyReLU"), std::string("leaky_re_lu")); // Keras' name
        auto def = make("LeakyReLU");
        QCOMPARE(QString::fromStdString(def->config().dump()), QString(R"({"alpha":0.3})")); // Keras 2's default
        QCOMPARE(static_cast<const layers::LeakyReLU&>(*def).alpha, 0.3);
        auto neg = make("LeakyReLU", {{"alpha", -0.5}}); // a negative slope is allowed
        QCOMPARE(static_cast<const layers::LeakyReLU&>(*neg).alpha, -0.5);
        auto zero = make("LeakyReLU", {{"alpha", 0}}); // an integer is a number too
        QCOMPARE(static_cast<const layers::LeakyReLU&>(*zero).alpha, 0.0);
        QCOMPARE(QString::fromStdString(make("LeakyReLU", {{"alpha", 0.01}})->keyConfigText()), QString("alpha 0.01"));
        // No variables at any rank.
        auto l = make("LeakyReLU", {{"alpha", 0.1}});
        QCOMPARE(l->countParams({Shape{None, 4, 4, 3}}).total(), int64_t(0));
        l->build({Shape{None, 4, 4, 3}});
        QVERIFY(l->built());
        QVERIFY(l->variables().empty());
    }

    void leakyReluNonFiniteAlphaNamesLayerAndKey_data() {
        QTest::addColumn<double>("alpha");
        QTest::addColumn<QString>("shown");
        QTest::newRow("nan") << std::numeric_limits<double>::quiet_NaN() << "nan";
        QTest::newRow("inf") << std::numeric_limits<double>::infinity() << "inf";
        QTest::newRow("-inf") << -std::numeric_limits<double>::infinity() << "-inf";
    }
    void leakyReluNonFiniteAlphaNamesLayerAndKey() {
        QFETCH(double, alpha);
        QFETCH(QString, shown);
        // JSON text cannot hold NaN or inf (nlohmann refuses 1e999), but a spec made in memory can.
        nlohmann::json j = nlohmann::json::parse(R"({"format": "strata.model/1", "name": "m", "layers": [
            {"name": "x", "type": "Input", "config": {"shape": [3]}},
            {"name": "slope", "type": "LeakyReLU", "inbound": ["x"]}]})");
        j["layers"][1]["config"] = {{"alpha", alpha}};
        try {
            Model::fromSpec(ModelSpec::fromJson(j));
            QFAIL("expected a ModelError");
        } catch (const ModelError& e) {
            QVERIFY2(QString(e.what()).contains("slope: alpha: must be a finite number, got " + shown), e.what());
        }
    }

    // Forward values against a hand computation, and the gradient through the layer, on the CPU
    // backend; rank 3 with a slope that is neither Keras' 0.3 nor the activation name's 0.2.
    void leakyReluForwardAndGradient() {
        const double alpha = 0.05;
        auto model = Model::fromSpec(ModelSpec::fromJson(nlohmann::json::parse(R"({"format": "strata.model/1", "name": "m",
            "layers": [{"name": "x", "type": "Input", "config": {"shape": [2, 3]}},
                       {"name": "leaky", "type": "LeakyReLU", "config": {"alpha": 0.05}}]})")));
        model->build(0);
        const std::vector<float> xs = {-2.0f, -0.5f, 0.25f, 3.0f, -1.5f, 0.75f, 1.0f, -4.0f, 2.5f, -0.1f, 0.5f, -3.0f};
        const std::vector<float> ws = {1.0f, 2.0f, -1.0f, 0.5f, 3.0f, -2.0f, 1.5f, -0.5f, 2.0f, 4.0f, -3.0f, 1.0f};
        const Shape shape{2, 2, 3};
        train::TracedModel t = train::traceModel(*model, {{shape}, false}, 0);
        ir::Graph& g = t.graph;
        const ir::ValueId x = g.findPlaceholder("x");
        QVERIFY(x != ir::kNoValue);
        const ir::ValueId loss = g.reduceSumAll(g.mul(t.outputs[0], g.constant(Tensor::fromVector(shape, ws))));
        const std::vector<ir::ValueId> grads = ir::gradients(g, loss, {x});
        cpu::CpuBackend be;
        auto plan = be.prepare(g, {t.outputs[0], grads[0]});
        const Tensor xt = Tensor::fromVector(shape, xs);
        auto out = be.run(*plan, {{"x", xt}});
        QCOMPARE(out.size(), std::size_t(2));
        QCOMPARE(out[0].shape(), shape);
        for (std::size_t i = 0; i < xs.size(); ++i) {
            const double y = xs[i] >= 0 ? xs[i] : alpha * xs[i];
            const double dx = ws[i] * (xs[i] >= 0 ? 1.0 : alpha);
            QVERIFY2(std::abs(out[0].values()[i] - y) <= 1e-6, qPrintable(QString("y[%1] = %2, expected %3").arg(i).arg(out[0].values()[i]).arg(y)));
            QVERIFY2(std::abs(out[1].values()[i] - dx) <= 1e-6, qPrintable(QString("dx[%1] = %2, expected %3").arg(i).arg(out[1].values()[i]).arg(dx)));
        }
    }

    // A 2x2 kernel with stride 2 stamps one scaled copy of the kernel per input pixel, plus the
    // bias; the kernel's gradient of sum(y * w) is then sum over pixels of x * w's block. Kernel
    // (kh, kw, filters, in_channels) as in Keras, and the traced op is conv2d_backprop_input.
    void conv2dTransposeForwardAndGradient() {
        auto model = Model::fromSpec(ModelSpec::fromJson(nlohmann::json::parse(R"({"format": "strata.model/1", "name": "m",
            "layers": [{"name": "x", "type": "Input", "config": {"shape": [2, 2, 1]}},
                       {"name": "up", "type": "Conv2DTranspose", "config": {"filters": 2, "kernel_size": 2, "strides": 2}}]})")));
        model->build(0);
        Variable* kernel = model->findVariable("up/kernel");
        Variable* bias = model->findVariable("up/bias");
        QVERIFY(kernel && bias);
        QCOMPARE(kernel->shape(), (Shape{2, 2, 2, 1}));
        const std::vector<float> k = {1, -1, 2, -2, 3, -3, 4, -4}; // [kh][kw][filter]: filter 1 is -filter 0
        const std::vector<float> xs = {1.0f, 2.0f, -0.5f, 3.0f};  // (1, 2, 2, 1)
        const Shape yShape{1, 4, 4, 2};
        std::vector<float> ws(16 * 2);
        for (std::size_t i = 0; i < ws.size(); ++i) ws[i] = float(i % 5) - 1.5f;
        train::TracedModel t = train::traceModel(*model, {{Shape{1, 2, 2, 1}}, false}, 0);
        ir::Graph& g = t.graph;
        QCOMPARE(g.shape(t.outputs[0]), yShape);
        bool transposed = false;
        for (int32_t n = 0; n < g.nodeCount(); ++n) transposed |= g.node(n).op == ir::OpKind::Conv2DBackpropInput;
        QVERIFY(transposed);
        const ir::ValueId loss = g.reduceSumAll(g.mul(t.outputs[0], g.constant(Tensor::fromVector(yShape, ws))));
        const ir::ValueId kv = g.variable(kernel->path(), kernel->shape(), DType::F32);
        const std::vector<ir::ValueId> grads = ir::gradients(g, loss, {kv});
        cpu::CpuBackend be;
        be.setVariable(kernel->path(), Tensor::fromVector(kernel->shape(), k));
        be.setVariable(bias->path(), Tensor::fromVector(Shape{2}, std::vector<float>{0.5f, -0.25f}));
        auto plan = be.prepare(g, {t.outputs[0], grads[0]});
        auto out = be.run(*plan, {{"x", Tensor::fromVector(Shape{1, 2, 2, 1}, xs)}});
        std::vector<double> dk(8, 0.0);
        for (int ih = 0; ih < 2; ++ih)
            for (int iw = 0; iw < 2; ++iw)
                for (int kh = 0; kh < 2; ++kh)
                    for (int kw = 0; kw < 2; ++kw)
                        for (int f = 0; f < 2; ++f) {
                            const int o = ((ih * 2 + kh) * 4 + iw * 2 + kw) * 2 + f, ki = (kh * 2 + kw) * 2 + f;
                            const double y = xs[std::size_t(ih * 2 + iw)] * k[std::size_t(ki)] + (f == 0 ? 0.5 : -0.25);
                            QVERIFY2(std::abs(out[0].values()[std::size_t(o)] - y) <= 1e-6,
                                     qPrintable(QString("y[%1] = %2, expected %3").arg(o).arg(out[0].values()[std::size_t(o)]).arg(y)));
                            dk[std::size_t(ki)] += xs[std::size_t(ih * 2 + iw)] * ws[std::size_t(o)];
                        }
        for (std::size_t i = 0; i < dk.size(); ++i)
            QVERIFY2(std::abs(out[1].values()[i] - dk[i]) <= 1e-5,
                     qPrintable(QString("dkernel[%1] = %2, expected %3").arg(i).arg(out[1].values()[i]).arg(dk[i])));
    }

    // The text a canvas node shows: a convolution's stride reads "/2" (down), a transposed one "×2" (up).
    void convolutionKeyTexts() {
        auto text = [](const char* type, nlohmann::json cfg) { return QString::fromStdString(make(type, cfg)->keyConfigText()); };
        QCOMPARE(text("Conv2D", {{"filters", 8}, {"strides", 2}, {"padding", "same"}, {"activation", "relu"}}), QString("8 3×3 /2 same relu"));
        QCOMPARE(text("Conv2DTranspose", {{"filters", 8}, {"strides", 2}, {"padding", "same"}, {"activation", "relu"}}),
                 QString("8 3×3 ×2 same relu"));
        QCOMPARE(text("Conv2DTranspose", {{"filters", 4}, {"kernel_size", {2, 3}}, {"strides", {2, 1}}}), QString("4 2×3 ×2,1"));
        QCOMPARE(text("Conv2D", {{"filters", 1}}), QString("1 3×3"));
    }

    // A Block of one Dense (and its Input port) says "1 layer": the Input is no layer of its own.
    void aBlockCountsTheLayersPutInIt() {
        QCOMPARE(QString::fromStdString(make("Block", sampleConfig("Block"))->keyConfigText()), QString("1 layer"));
    }

    // Zeros around each image, per side, and the gradient: the input's share of the upstream one.
    void zeroPadding2dForwardAndGradient() {
        auto model = Model::fromSpec(ModelSpec::fromJson(nlohmann::json::parse(R"({"format": "strata.model/1", "name": "m",
            "layers": [{"name": "x", "type": "Input", "config": {"shape": [2, 2, 1]}},
                       {"name": "pad", "type": "ZeroPadding2D", "config": {"padding": [[1, 0], [0, 2]]}}]})")));
        model->build(0);
        const Shape xs{1, 2, 2, 1}, ys{1, 3, 4, 1};
        train::TracedModel t = train::traceModel(*model, {{xs}, false}, 0);
        ir::Graph& g = t.graph;
        QCOMPARE(g.shape(t.outputs[0]), ys);
        std::vector<float> w(12);
        for (std::size_t i = 0; i < w.size(); ++i) w[i] = float(i + 1);
        const ir::ValueId x = g.findPlaceholder("x");
        const ir::ValueId loss = g.reduceSumAll(g.mul(t.outputs[0], g.constant(Tensor::fromVector(ys, w))));
        const std::vector<ir::ValueId> grads = ir::gradients(g, loss, {x});
        cpu::CpuBackend be;
        auto plan = be.prepare(g, {t.outputs[0], grads[0]});
        auto out = be.run(*plan, {{"x", Tensor::fromVector(xs, std::vector<float>{1, 2, 3, 4})}});
        const std::vector<float> y = {0, 0, 0, 0, 1, 2, 0, 0, 3, 4, 0, 0}; // a row on top, two columns right
        for (std::size_t i = 0; i < y.size(); ++i) QCOMPARE(out[0].values()[i], y[i]);
        const std::vector<float> dx = {5, 6, 9, 10}; // the weights where the input landed
        for (std::size_t i = 0; i < dx.size(); ++i) QCOMPARE(out[1].values()[i], dx[i]);
    }

    void buildIsDeferredToFirstCall() {
        auto dense = make("Dense", {{"units", 3}});
        QVERIFY(!dense->built());
        QVERIFY(dense->variables().empty()); // constructor stores config only
        dense->build({Shape{None, 4}});
        QVERIFY(dense->built());
        auto vars = dense->variables();
        QCOMPARE(vars.size(), std::size_t(2));
        QCOMPARE(vars[0]->name(), std::string("kernel"));
        QCOMPARE(vars[0]->shape(), (Shape{4, 3}));
        QCOMPARE(vars[1]->shape(), (Shape{3}));
        // Glorot-uniform kernel is not all zeros and lies within the limit; bias is zeros.
        const float limit = std::sqrt(6.0f / 7.0f);
        bool nonZero = false;
        for (float v : vars[0]->value().values()) {
            QVERIFY(std::fabs(v) <= limit);
            nonZero = nonZero || v != 0.0f;
        }
        QVERIFY(nonZero);
        for (float v : vars[1]->value().values()) QCOMPARE(v, 0.0f);
        // A compatible second call (another batch size) is fine and creates nothing.
        dense->build({Shape{16, 4}});
        QCOMPARE(dense->variables().size(), std::size_t(2));
    }

    void secondIncompatibleBuildIsRejected() {
        auto dense = make("Dense", {{"units", 3}});
        dense->build({Shape{None, 4}});
        try {
            dense->build({Shape{None, 5}});
            QFAIL("expected a ShapeError");
        } catch (const ShapeError& e) {
            const QString msg = e.what();
            QVERIFY2(msg.contains("'dense'") && msg.contains("(None, 4)") && msg.contains("(None, 5)"), e.what());
        }
    }

    void initializationIsSeeded() {
        auto a = make("Dense", {{"units", 8}});
        auto b = make("Dense", {{"units", 8}});
        auto c = make("Dense", {{"units", 8}});
        a->build({Shape{None, 8}}, 42);
        b->build({Shape{None, 8}}, 42);
        c->build({Shape{None, 8}}, 43);
        QVERIFY(std::equal(a->variables()[0]->value().values().begin(), a->variables()[0]->value().values().end(),
                           b->variables()[0]->value().values().begin()));
        QVERIFY(!std::equal(a->variables()[0]->value().values().begin(), a->variables()[0]->value().values().end(),
                            c->variables()[0]->value().values().begin()));
    }

    void defaultNamesFollowKeras() {
        QCOMPARE(defaultLayerName("Dense"), std::string("dense"));
        QCOMPARE(defaultLayerName("Conv2D"), std::string("conv2d"));
        QCOMPARE(defaultLayerName("MaxPooling2D"), std::string("max_pooling2d"));
        QCOMPARE(defaultLayerName("GlobalAveragePooling2D"), std::string("global_average_pooling2d"));
        QCOMPARE(defaultLayerName("BatchNormalization"), std::string("batch_normalization"));
        QCOMPARE(defaultLayerName("Input"), std::string("input_layer"));
    }
};

QTEST_APPLESS_MAIN(TestLayers)
#include "tst_layers.moc"
