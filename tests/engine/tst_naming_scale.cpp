// Default names at scale (issue 19): 30,000 unnamed layers took quadratic time to name (a set of
// every name rebuilt per layer). Names stay Keras' (dense, dense_1, ...), skip explicit ones, and
// the spec is read in linear time (CTest's timeout is the bound).
#include "engine/ModelSpec.h"

#include <QtTest>

using namespace strata;

class TestNamingScale : public QObject {
    Q_OBJECT
private slots:
    void thirtyThousandUnnamedLayers() {
        nlohmann::json layers = nlohmann::json::array({{{"name", "x"}, {"type", "Input"}, {"config", {{"shape", {4}}}}}});
        for (int i = 0; i < 30000; ++i) {
            nlohmann::json l = {{"type", "Dense"}, {"config", {{"units", 4}}}};
            if (i == 10) l["name"] = "dense_3"; // explicit: the defaults go around it
            layers.push_back(l);
        }
        const ModelSpec spec = ModelSpec::fromJson({{"format", kModelFormat}, {"name", "deep"}, {"layers", layers}});
        QCOMPARE(spec.layers.size(), std::size_t(30001));
        QCOMPARE(spec.layers[1].name, std::string("dense"));
        QCOMPARE(spec.layers[2].name, std::string("dense_1"));
        QCOMPARE(spec.layers[4].name, std::string("dense_4")); // dense_3 is taken by layer 11
        QCOMPARE(spec.layers[11].name, std::string("dense_3"));
        QCOMPARE(spec.layers[30000].name, std::string("dense_29999"));
        QCOMPARE(spec.layers[30000].inbound, std::vector<std::string>{"dense_29998"});
    }
};

QTEST_APPLESS_MAIN(TestNamingScale)
#include "tst_naming_scale.moc"
