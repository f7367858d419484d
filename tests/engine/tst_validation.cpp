// Validation reports every problem of a spec at once, each naming its layer.
#include "engine/Error.h"
#include "engine/ShapeInference.h"

#include <QtTest>

using namespace strata;

namespace {
InferenceResult check(const char* layersJson, const char* extra = "") {
    std::string text = std::string(R"({"format":"strata.model/1","name":"m",)") + extra + R"("layers":)" + layersJson + "}";
    return ShapeInference::run(ModelSpec::parse(text));
}

QStringList texts(const InferenceResult& r) {
    QStringList out;
    for (const auto& i : r.issues) out << QString::fromStdString(i.text());
    return out;
}

bool hasIssue(const InferenceResult& r, const QString& layer, const QString& fragment) {
    for (const auto& i : r.issues)
        if (QString::fromStdString(i.layer) == layer && QString::fromStdString(i.message).contains(fragment)) return true;
    return false;
}

const char* kInput = R"({"name":"x","type":"Input","config":{"shape":[3]}})";
} // namespace

class TestValidation : public QObject {
    Q_OBJECT
private slots:
    void validSpecHasNoIssues() {
        auto r = check((std::string("[") + kInput + R"(,{"name":"d","type":"Dense","config":{"units":2}}])").c_str());
        QVERIFY2(r.ok(), qPrintable(texts(r).join('\n')));
        QCOMPARE(r.totals.total(), int64_t(8));
    }

    void everyErrorKindNamesItsLayer_data() {
        QTest::addColumn<QString>("layers");
        QTest::addColumn<QString>("extra");
        QTest::addColumn<QString>("layer");
        QTest::addColumn<QString>("fragment");
        const QString in = kInput;
        QTest::newRow("unknown type") << "[" + in + R"(,{"name":"d","type":"Dence","inbound":["x"]}])" << "" << "d"
                                      << "unknown layer type 'Dence'";
        QTest::newRow("unknown config key") << "[" + in + R"(,{"name":"d","type":"Dense","config":{"unitz":3},"inbound":["x"]}])"
                                            << "" << "d" << "unknown config key 'unitz'";
        QTest::newRow("unknown inbound") << "[" + in + R"(,{"name":"d","type":"Dense","inbound":["y"]}])" << "" << "d"
                                         << "unknown inbound layer 'y'";
        QTest::newRow("cycle") << "[" + in + R"(,{"name":"a","type":"Add","inbound":["x","b"]},{"name":"b","type":"Dense","config":{"units":3},"inbound":["a"]}])"
                               << "" << "a" << "is part of a cycle: a → b → a";
        QTest::newRow("unreachable") << "[" + in + R"(,{"name":"a","type":"Dense","inbound":["x"]},{"name":"b","type":"Dense","inbound":[]},{"name":"c","type":"Dense","inbound":["b"]}])"
                                     << R"("outputs":["a"],)" << "c" << "not reachable from any model input";
        QTest::newRow("output not produced") << "[" + in + R"(,{"name":"d","type":"Dense","inbound":["x"]}])"
                                             << R"("outputs":["probs"],)" << "m" << "output 'probs' is not produced";
        QTest::newRow("duplicate name") << "[" + in + R"(,{"name":"x","type":"Dense","inbound":["x"]}])" << "" << "x"
                                        << "duplicate layer name";
        QTest::newRow("wrong arity") << "[" + in + R"(,{"name":"s","type":"Add","inbound":["x"]}])" << "" << "s"
                                     << "expects at least 2 inputs, got 1";
        QTest::newRow("dense arity") << "[" + in + R"(,{"name":"d","type":"Dense","inbound":["x","x"]}])" << "" << "d"
                                     << "expects 1 input, got 2";
        QTest::newRow("incompatible shapes") << "[" + in + R"(,{"name":"a","type":"Dense","config":{"units":3},"inbound":["x"]},{"name":"b","type":"Dense","config":{"units":4},"inbound":["x"]},{"name":"s","type":"Add","inbound":["a","b"]}])"
                                             << "" << "s" << "(NumPy broadcasting), got [(None, 3), (None, 4)]";
        QTest::newRow("input with inbound") << "[" + in + R"(,{"name":"y","type":"Input","config":{"shape":[3]},"inbound":["x"]}])"
                                            << "" << "y" << "an Input takes no inbound layers";
        QTest::newRow("bad config value") << "[" + in + R"(,{"name":"d","type":"Dense","config":{"activation":"rellu"},"inbound":["x"]}])"
                                          << "" << "d" << "unknown activation \"rellu\"";
        QTest::newRow("missing type") << "[" + in + R"(,{"name":"d","inbound":["x"]}])" << "" << "d" << "missing \"type\"";
        QTest::newRow("listed input not an Input") << "[" + in + R"(,{"name":"d","type":"Dense","inbound":["x"]}])"
                                                   << R"("inputs":["x","d"],)" << "d" << "listed as a model input but is a Dense";
    }
    void everyErrorKindNamesItsLayer() {
        QFETCH(QString, layers);
        QFETCH(QString, extra);
        QFETCH(QString, layer);
        QFETCH(QString, fragment);
        auto r = check(layers.toUtf8().constData(), extra.toUtf8().constData());
        QVERIFY2(hasIssue(r, layer, fragment), qPrintable("issues were:\n" + texts(r).join('\n')));
    }

    void everyProblemIsReportedAtOnce() {
        auto r = check(R"([
            {"name":"x","type":"Input","config":{"shape":[3]}},
            {"name":"a","type":"Dense","config":{"units":0},"inbound":["x"]},
            {"name":"b","type":"Conv2D","inbound":["x"]},
            {"name":"c","type":"Nope","inbound":["x"]},
            {"name":"d","type":"Dense","inbound":["ghost"]}
        ])", R"("outputs":["a","zzz"],)");
        QVERIFY(hasIssue(r, "a", "units"));
        QVERIFY(hasIssue(r, "b", "expects a 4D input"));
        QVERIFY(hasIssue(r, "c", "unknown layer type"));
        QVERIFY(hasIssue(r, "d", "unknown inbound layer 'ghost'"));
        QVERIFY(hasIssue(r, "m", "output 'zzz'"));
        QCOMPARE(r.issues.size(), std::size_t(5));
    }

    void errorsDoNotCascadeDownstream() {
        auto r = check(R"([
            {"name":"x","type":"Input","config":{"shape":[3]}},
            {"name":"a","type":"Dense","config":{"units":-4},"inbound":["x"]},
            {"name":"b","type":"Dense","inbound":["a"]}
        ])");
        QCOMPARE(r.issues.size(), std::size_t(1));
        QVERIFY(!r.layers[2].outputShape.has_value());
        QVERIFY(r.layers[2].errors.empty());
    }

    void sequentialShorthandAndDefaultNames() {
        auto spec = ModelSpec::parse(R"({"format":"strata.model/1","layers":[
            {"type":"Input","config":{"shape":[4]}}, {"type":"Dense"}, {"type":"Dense","config":{"units":2}},
            {"name":"dense_2","type":"Dropout"}, {"type":"Dense"}]})");
        QCOMPARE(spec.layers[1].name, std::string("dense"));
        QCOMPARE(spec.layers[2].name, std::string("dense_1"));
        QCOMPARE(spec.layers[4].name, std::string("dense_3")); // dense_2 is taken
        QCOMPARE(spec.layers[2].inbound, std::vector<std::string>{"dense"});
        QVERIFY(spec.isSequential());
        auto r = ShapeInference::run(spec);
        QVERIFY2(r.ok(), qPrintable(texts(r).join('\n')));
    }

    void notASpecIsRejectedClearly_data() {
        QTest::addColumn<QString>("text");
        QTest::addColumn<QString>("fragment");
        QTest::newRow("not json") << "{\"format\": \n oops" << "m.json:2: not valid JSON";
        // A number past double's range is the parser's out_of_range, not a parse_error (found by fuzz_model_spec).
        QTest::newRow("number overflow") << R"({"format":"strata.model/1","layers":[{"type":"Dense","config":{"units":1e309}}]})"
                                         << "m.json: not valid JSON (number overflow parsing '1e309')";
        QTest::newRow("array") << "[1,2]" << "not a model spec";
        QTest::newRow("no format") << R"({"layers":[]})" << "missing \"format\"";
        QTest::newRow("wrong format") << R"({"format":"keras","layers":[]})" << "unsupported model format 'keras'";
        QTest::newRow("layers not list") << R"({"format":"strata.model/1","layers":{}})" << "\"layers\" must be a list";
    }
    void notASpecIsRejectedClearly() {
        QFETCH(QString, text);
        QFETCH(QString, fragment);
        try {
            ModelSpec::parse(text.toStdString(), "m.json");
            QFAIL("expected SpecFormatError");
        } catch (const SpecFormatError& e) {
            QVERIFY2(QString(e.what()).contains(fragment), e.what());
        }
    }

    void specJsonRoundTrip() {
        const char* text = R"({"format":"strata.model/1","name":"r","inputs":["x"],"outputs":["d"],"layers":[
            {"name":"x","type":"Input","config":{"shape":[3]}},{"name":"d","type":"Dense","config":{"units":2},"inbound":["x"]}]})";
        auto j = nlohmann::json::parse(text);
        QCOMPARE(QString::fromStdString(ModelSpec::fromJson(j).toJson().dump()), QString::fromStdString(j.dump()));
    }

    void blockInputShapeMustMatch() {
        auto r = check(R"([
            {"name":"x","type":"Input","config":{"shape":[5]}},
            {"name":"blk","type":"Block","inbound":["x"],"config":{"spec":{"layers":[
                {"name":"i","type":"Input","config":{"shape":[4]}},{"name":"o","type":"Dense"}]}}}
        ])");
        QVERIFY2(hasIssue(r, "blk", "i: expects inputs of shape (None, 4), got (None, 5)"), qPrintable(texts(r).join('\n')));
    }
};

QTEST_APPLESS_MAIN(TestValidation)
#include "tst_validation.moc"
