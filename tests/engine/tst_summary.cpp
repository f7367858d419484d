// The Keras summary table, as text and JSON, for a Sequential and a functional model.
#include "engine/ModelSpec.h"
#include "engine/ShapeInference.h"
#include "engine/Summary.h"

#include <QtTest>

using namespace strata;

namespace {
ModelSpec example(const char* name) {
    return ModelSpec::load(std::string(STRATA_TEST_DATA_DIR) + "/../../resources/examples/" + name);
}

const char* kFunctional = R"({"format":"strata.model/1","name":"func","layers":[
 {"name":"x","type":"Input","config":{"shape":[4]}},
 {"name":"a","type":"Dense","config":{"units":3},"inbound":["x"]},
 {"name":"b","type":"Dense","config":{"units":3},"inbound":["x"]},
 {"name":"s","type":"Add","inbound":["a","b"]},
 {"name":"bn","type":"BatchNormalization","inbound":["s"]}]})";
} // namespace

class TestSummary : public QObject {
    Q_OBJECT
private slots:
    void sequentialSummaryText() {
        ModelSpec spec = example("digits_mlp.json");
        const std::string text = SummaryTable::fromSpec(spec, ShapeInference::run(spec)).format();
        const char* expected =
        "Model: \"digits_mlp\"\n"
        "┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━┓\n"
        "┃ Layer (type)                  ┃ Output Shape           ┃     Param # ┃\n"
        "┡━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━┩\n"
        "│ dense_1 (Dense)               │ (None, 32)             │       2,080 │\n"
        "├───────────────────────────────┼────────────────────────┼─────────────┤\n"
        "│ probs (Dense)                 │ (None, 10)             │         330 │\n"
        "└───────────────────────────────┴────────────────────────┴─────────────┘\n"
        " Total params: 2,410 (9.41 KB)\n"
        " Trainable params: 2,410 (9.41 KB)\n"
        " Non-trainable params: 0 (0.00 B)\n";
        QCOMPARE(QString::fromStdString(text), QString::fromUtf8(expected));
    }

    void leakyReluRowsHaveNoParams() { // a Sequential model with LeakyReLU layers (default alpha and 0.1)
        ModelSpec spec = ModelSpec::parse(R"({"format":"strata.model/1","name":"leaky","layers":[
         {"name":"x","type":"Input","config":{"shape":[2,8]}},
         {"name":"dense","type":"Dense","config":{"units":16}},
         {"name":"leaky_re_lu","type":"LeakyReLU"},
         {"name":"slope","type":"LeakyReLU","config":{"alpha":0.1}}]})");
        const std::string text = SummaryTable::fromSpec(spec, ShapeInference::run(spec)).format();
        const char* rows =
        "│ dense (Dense)                 │ (None, 2, 16)          │         144 │\n"
        "├───────────────────────────────┼────────────────────────┼─────────────┤\n"
        "│ leaky_re_lu (LeakyReLU)       │ (None, 2, 16)          │           0 │\n"
        "├───────────────────────────────┼────────────────────────┼─────────────┤\n"
        "│ slope (LeakyReLU)             │ (None, 2, 16)          │           0 │\n"
        "└───────────────────────────────┴────────────────────────┴─────────────┘\n"
        " Total params: 144 (576.00 B)\n";
        QVERIFY2(QString::fromStdString(text).contains(QString::fromUtf8(rows)), text.c_str());
    }

    void functionalSummaryTextHasConnectedTo() {
        ModelSpec spec = ModelSpec::parse(kFunctional);
        const std::string text = SummaryTable::fromSpec(spec, ShapeInference::run(spec)).format();
        const char* expected =
        "Model: \"func\"\n"
        "┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━┳━━━━━━━━━━━━━━┓\n"
        "┃ Layer (type)                  ┃ Output Shape           ┃     Param # ┃ Connected to ┃\n"
        "┡━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━╇━━━━━━━━━━━━━━┩\n"
        "│ x (InputLayer)                │ (None, 4)              │           0 │ -            │\n"
        "├───────────────────────────────┼────────────────────────┼─────────────┼──────────────┤\n"
        "│ a (Dense)                     │ (None, 3)              │          15 │ x[0][0]      │\n"
        "├───────────────────────────────┼────────────────────────┼─────────────┼──────────────┤\n"
        "│ b (Dense)                     │ (None, 3)              │          15 │ x[0][0]      │\n"
        "├───────────────────────────────┼────────────────────────┼─────────────┼──────────────┤\n"
        "│ s (Add)                       │ (None, 3)              │           0 │ a[0][0]      │\n"
        "│                               │                        │             │ b[0][0]      │\n"
        "├───────────────────────────────┼────────────────────────┼─────────────┼──────────────┤\n"
        "│ bn (BatchNormalization)       │ (None, 3)              │          12 │ s[0][0]      │\n"
        "└───────────────────────────────┴────────────────────────┴─────────────┴──────────────┘\n"
        " Total params: 42 (168.00 B)\n"
        " Trainable params: 36 (144.00 B)\n"
        " Non-trainable params: 6 (24.00 B)\n";
        QCOMPARE(QString::fromStdString(text), QString::fromUtf8(expected));
    }

    void summaryJsonFields() {
        ModelSpec spec = ModelSpec::parse(kFunctional);
        auto j = SummaryTable::fromSpec(spec, ShapeInference::run(spec)).toJson();
        QCOMPARE(j["total_params"].get<int64_t>(), int64_t(42));
        QCOMPARE(j["trainable_params"].get<int64_t>(), int64_t(36));
        QCOMPARE(j["non_trainable_params"].get<int64_t>(), int64_t(6));
        QCOMPARE(QString::fromStdString(j["layers"][1]["output_shape"].dump()), QString("[null,3]"));
        QCOMPARE(QString::fromStdString(j["layers"][3]["inbound"].dump()), QString(R"(["a","b"])"));
        QCOMPARE(j["layers"][4]["trainable_params"].get<int64_t>(), int64_t(6));
    }

    void blockIsOneRowAndExpands() {
        ModelSpec spec = example("autoencoder.json");
        auto r = ShapeInference::run(spec);
        const QString collapsed = QString::fromStdString(SummaryTable::fromSpec(spec, r).format());
        const QString expanded = QString::fromStdString(SummaryTable::fromSpec(spec, r, true).format());
        QVERIFY(collapsed.contains("encoder (Block)"));
        QVERIFY(collapsed.contains("2,344"));
        QVERIFY(!collapsed.contains("code (Dense)"));
        QVERIFY(expanded.contains("  code (Dense)"));
        QVERIFY(expanded.contains("  reconstruction (Dense)"));
        QVERIFY(expanded.contains("Total params: 4,744 (18.53 KB)"));
    }

    void readableSizes() {
        QCOMPARE(readableParamBytes(2410), std::string("9.41 KB"));
        QCOMPARE(readableParamBytes(0), std::string("0.00 B"));
        QCOMPARE(withThousands(1234567), std::string("1,234,567"));
    }
};

QTEST_APPLESS_MAIN(TestSummary)
#include "tst_summary.moc"
