// Model specs whose few bytes claim a lot (issue 19), under a 4 GiB address-space limit: every
// dimension and size a spec declares is bounded (kMaxDim), every product of them is checked,
// the variables are measured against the memory budget before any is allocated, a cycle of
// 10,000 layers is one message, and blocks nested 40 deep cost linear time, not 2^40.
#include "engine/Error.h"
#include "engine/Model.h"
#include "engine/ModelSpec.h"
#include "engine/ShapeInference.h"

#include "tests/support/MemoryLimit.h"

#include <QtTest>

#include <nlohmann/json.hpp>
#include <sys/resource.h>

using namespace strata;
using nlohmann::json;

namespace {

constexpr int64_t M = (int64_t(1) << 31) - 1;

json input(json shape) { return {{"name", "x"}, {"type", "Input"}, {"config", {{"shape", std::move(shape)}}}}; }

json layer(const std::string& name, const std::string& type, json config, const std::string& from = "x") {
    return {{"name", name}, {"type", type}, {"config", std::move(config)}, {"inbound", {from}}};
}

json spec(json layers, const std::string& output) {
    return {{"format", "strata.model/1"}, {"name", "m"}, {"inputs", {"x"}}, {"outputs", {output}}, {"layers", std::move(layers)}};
}

// Every issue of the spec, one per line.
std::string issuesOf(const json& j) {
    const InferenceResult r = ShapeInference::run(ModelSpec::fromJson(j));
    std::string s;
    for (const auto& i : r.issues) s += i.text() + "\n";
    return s;
}

// A chain of `depth` blocks, each holding the next; the innermost holds one Dense of 4 units.
json nestedBlock(int depth) {
    json inner = {{"name", "bi"}, {"type", "Input"}, {"config", {{"shape", {4}}}}};
    json body = depth == 0 ? layer("d", "Dense", {{"units", 4}}, "bi")
                           : layer("b", "Block", {{"spec", nestedBlock(depth - 1)}}, "bi");
    return {{"name", "blk" + std::to_string(depth)}, {"inputs", {"bi"}}, {"outputs", {body["name"]}}, {"layers", {inner, body}}};
}

} // namespace

class TestHostileSpecs : public QObject {
    Q_OBJECT

private slots:
    void initTestCase() {
        QVERIFY(strata_testsupport::limitMemory(uint64_t(4) << 30));
    }

    // Sizes past kMaxDim are refused where they are declared, naming the layer and the key;
    // sizes within it whose products overflow are refused naming the layer.
    void hugeSizesAreErrorsNamingTheLayer_data() {
        QTest::addColumn<QByteArray>("specJson");
        QTest::addColumn<QString>("fragment");
        auto row = [](const char* name, const json& s, const char* fragment) {
            QTest::newRow(name) << QByteArray::fromStdString(s.dump()) << QString::fromUtf8(fragment);
        };
        const int64_t big = int64_t(1) << 62;
        row("input dim", spec({input({big, 2}), layer("d", "Dense", {{"units", 3}})}, "d"),
            "x: shape: a shape dimension must be an integer from 0 to 2147483647 or null, got 4611686018427387904");
        row("units", spec({input({4}), layer("d", "Dense", {{"units", big}})}, "d"),
            "d: units: must be an integer from 1 to 2147483647");
        row("filters", spec({input({8, 8, 1}), layer("c", "Conv2D", {{"filters", big}})}, "c"), "c: filters:");
        row("kernel", spec({input({8, 8, 1}), layer("c", "Conv2D", {{"filters", 2}, {"kernel_size", {big, 2}}})}, "c"),
            "c: kernel_size: values must be from 1 to 2147483647");
        row("stride", spec({input({8, 8, 1}), layer("c", "Conv2D", {{"filters", 2}, {"strides", big}, {"padding", "same"}})}, "c"),
            "c: strides:");
        row("dilation", spec({input({8, 8, 1}), layer("c", "Conv2D", {{"filters", 2}, {"dilation_rate", big}})}, "c"),
            "c: dilation_rate:");
        row("pool", spec({input({8, 8, 1}), layer("p", "MaxPooling2D", {{"pool_size", big}})}, "p"), "p: pool_size:");
        row("padding", spec({input({4, 4, 1}), layer("z", "ZeroPadding2D", {{"padding", {{big, big}, {1, 1}}}})}, "z"),
            "z: padding:");
        row("reshape", spec({input({4}), layer("r", "Reshape", {{"target_shape", {big, -1}}})}, "r"), "r: target_shape:");
        row("unsigned 2^64-1", json::parse(R"({"format":"strata.model/1","name":"m","inputs":["x"],"outputs":["d"],"layers":[{"name":"x","type":"Input","config":{"shape":[4]}},{"name":"d","type":"Dense","config":{"units":18446744073709551615},"inbound":["x"]}]})"),
            "d: units:");
        // Within the bounds, but the products overflow int64.
        row("flatten product", spec({input({M, M, M}), layer("f", "Flatten", json::object())}, "f"),
            "f: shape (None, 2147483647, 2147483647, 2147483647) has too many elements");
        row("conv kernel product", spec({input({4, 4, M}), layer("c", "Conv2D", {{"filters", M}, {"kernel_size", M}, {"padding", "same"}})}, "c"),
            "c: shape (2147483647, 2147483647, 2147483647, 2147483647) has too many elements");
        row("reshape product", spec({input({4}), layer("r", "Reshape", {{"target_shape", {M, M, M, -1}}})}, "r"),
            "r: target_shape [2147483647,2147483647,2147483647,-1] has too many elements");
        row("transposed output", spec({input({M, M, 1}), layer("c", "Conv2DTranspose", {{"filters", 2}, {"kernel_size", M}, {"strides", M}})}, "c"),
            "c: its output shape (None, 4611686014132420609, 4611686014132420609, 2) has a dimension over 2147483647");
        row("padding output", spec({input({M, 4, 1}), layer("z", "ZeroPadding2D", {{"padding", {{M, M}, {1, 1}}}})}, "z"),
            "z: its output shape (None, 6442450941, 6, 1) has a dimension over 2147483647");
        row("parameter sum", spec({input({M}), layer("d", "Dense", {{"units", M}}), layer("e", "Dense", {{"units", M}}, "d")}, "e"),
            "the parameter count overflows");
    }

    void hugeSizesAreErrorsNamingTheLayer() {
        QFETCH(QByteArray, specJson);
        QFETCH(QString, fragment);
        json j;
        try {
            j = json::parse(specJson.toStdString());
        } catch (const std::exception& e) {
            QFAIL(e.what());
        }
        std::string issues;
        try {
            issues = issuesOf(j);
        } catch (const StrataError& e) { // a spec-format error (the Input's shape is read with the spec)
            issues = e.what();
        }
        QVERIFY2(QString::fromStdString(issues).contains(fragment), issues.c_str());
    }

    // 2^32 weights in one Dense: 16 GiB, refused before any of it is allocated.
    void variablesOverTheBudgetAreRefusedBeforeAllocating() {
        auto model = Model::fromSpec(ModelSpec::fromJson(spec({input({65536}), layer("d", "Dense", {{"units", 65536}})}, "d")));
        try {
            model->build(0);
            QFAIL("built");
        } catch (const StrataError& e) {
            const QString m = e.what();
            QVERIFY2(m.startsWith("cannot allocate 16.00 GiB for the variables of model 'm' (4295032832 parameters; the "
                                  "largest layer, 'd', has 4295032832): more than this process may use (4.00 GiB, "),
                     e.what());
        }
        // And a tensor alone, as a loader would make from a header's dims.
        QVERIFY_THROWS_EXCEPTION(StrataError, Tensor(Shape{int64_t(1) << 31, 2}));
    }

    // A ring of 10,000 Dense layers: one message, naming the ends of the loop and its length.
    void aCycleOfTenThousandLayersIsOneMessage() {
        const int n = 10000;
        json layers = json::array({input({4})});
        for (int i = 0; i < n; ++i)
            layers.push_back(layer("c" + std::to_string(i), "Dense", {{"units", 4}}, "c" + std::to_string((i + 1) % n)));
        const InferenceResult r = ShapeInference::run(ModelSpec::fromJson(spec(layers, "c0")));
        std::vector<std::string> cycle;
        for (const auto& i : r.issues)
            if (i.message.find("cycle") != std::string::npos) cycle.push_back(i.text());
        QCOMPARE(int(cycle.size()), 1);
        QCOMPARE(QString::fromStdString(cycle[0]),
                 QString::fromUtf8("c0: is part of a cycle: c0 → c9999 → c9998 → c9997 → c9996 → c9995 → … (9989 more) … → "
                                   "c5 → c4 → c3 → c2 → c1 → c0"));
    }

    // Two cycles sharing no layer: one message each; a layer feeding itself is a cycle too.
    void everyCycleIsReportedOnce() {
        json layers = json::array({input({4})});
        layers.push_back({{"name", "a"}, {"type", "Add"}, {"inbound", {"x", "b"}}});
        layers.push_back(layer("b", "Dense", {{"units", 4}}, "a"));
        layers.push_back({{"name", "s"}, {"type", "Add"}, {"inbound", {"x", "s"}}});
        layers.push_back({{"name", "o"}, {"type", "Add"}, {"inbound", {"b", "s"}}});
        const std::string issues = issuesOf(spec(layers, "o"));
        QVERIFY2(QString::fromStdString(issues).contains(QString::fromUtf8("a: is part of a cycle: a → b → a\n")), issues.c_str());
        QVERIFY2(QString::fromStdString(issues).contains(QString::fromUtf8("s: is part of a cycle: s → s\n")), issues.c_str());
        QCOMPARE(QString::fromStdString(issues).count("cycle"), 2);
    }

    // Blocks inside blocks, 40 deep: built, with the right parameter count (2^40 steps before).
    void deeplyNestedBlocksAreLinear() {
        auto model = Model::fromSpec(ModelSpec::fromJson(spec({input({4}), layer("b", "Block", {{"spec", nestedBlock(40)}})}, "b")));
        QCOMPARE(model->paramCounts().total(), int64_t(20));
        model->build(0);
        QVERIFY(model->built());
    }
};

QTEST_GUILESS_MAIN(TestHostileSpecs)
#include "tst_hostile_specs.moc"
