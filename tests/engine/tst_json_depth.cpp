// Deeply nested JSON is refused before it is parsed (issue 19): 50,000 levels in 100 KB overflowed
// the stack. The depth counts arrays and objects, not brackets inside strings.
#include "engine/Error.h"
#include "engine/JsonDepth.h"
#include "engine/ModelSpec.h"

#include <QtTest>

using namespace strata;

namespace {
std::string nested(std::size_t levels) { return std::string(levels, '[') + std::string(levels, ']'); }
} // namespace

class TestJsonDepth : public QObject {
    Q_OBJECT
private slots:
    void depthCountsArraysAndObjectsOnly() {
        QCOMPARE(jsonNestingDepth("{}"), std::size_t(1));
        QCOMPARE(jsonNestingDepth("{\"a\": [1, {\"b\": [[]]}]}"), std::size_t(5));
        QCOMPARE(jsonNestingDepth("{\"s\": \"[[[[[[\\\"[[[\", \"t\": \"\\\\\"}"), std::size_t(1)); // in strings, escapes too
        QCOMPARE(jsonNestingDepth(nested(kMaxJsonDepth)), kMaxJsonDepth);
        QVERIFY(jsonDepthProblem(nested(kMaxJsonDepth)).empty());
        QCOMPARE(QString::fromStdString(jsonDepthProblem(nested(50000))), QString("JSON nested 50000 levels deep (at most 256 are read)"));
    }

    void aDeeplyNestedSpecIsRefusedNamingTheFile() {
        // A spec whose config nests 50,000 levels, and one whose layers are 50,000 nested objects.
        const std::string deepConfig = "{\"format\": \"strata.model/1\", \"name\": \"m\", \"layers\": [{\"name\": \"x\", \"type\": \"Input\", \"config\": {\"shape\": " +
                                       nested(50000) + "}}]}";
        std::string deepLayers = "{\"format\": \"strata.model/1\", \"name\": \"m\", \"layers\": [";
        for (int i = 0; i < 50000; ++i) deepLayers += "{\"spec\": ";
        deepLayers += "{}" + std::string(50000, '}') + "]}";
        for (const std::string& text : {deepConfig, deepLayers}) {
            try {
                ModelSpec::parse(text, "hostile.json");
                QFAIL("parsed");
            } catch (const SpecFormatError& e) {
                QVERIFY2(QString(e.what()).startsWith("hostile.json: JSON nested 5000"), e.what());
            }
        }
    }
};

QTEST_APPLESS_MAIN(TestJsonDepth)
#include "tst_json_depth.moc"
