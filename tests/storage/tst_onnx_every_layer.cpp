// Every registered layer type (tests/support/LayerExamples.h) is exported to ONNX and read back by
// translating its graph (strata-cli import --ignore-embedded-spec), and must compute the same
// outputs (1e-5) with the same parameter count: a new layer type that exports but does not come
// back through the graph route fails here, by name.
#include "OnnxTestSupport.h"

#include "storage/onnx/OnnxExport.h"
#include "storage/onnx/OnnxImport.h"
#include "tests/support/LayerExamples.h"

#include <QTemporaryDir>
#include <QtTest>

using namespace strata;
using namespace strata::storage;
using namespace strata::onnxtest;
namespace fs = std::filesystem;

class TestOnnxEveryLayer : public QObject {
    Q_OBJECT
    QTemporaryDir dir_;

private slots:
    void initTestCase() { QVERIFY(dir_.isValid()); }

    void graphRouteGivesTheSameOutputs_data() {
        QTest::addColumn<QString>("type");
        for (const std::string& type : LayerRegistry::instance().typeNames())
            if (type != "Input") QTest::newRow(type.c_str()) << QString::fromStdString(type);
    }
    void graphRouteGivesTheSameOutputs() {
        QFETCH(QString, type);
        const std::string t = type.toStdString();
        const auto original = builtModel(test::layerExampleSpec(t), 5);
        const fs::path file = fs::path(dir_.path().toStdString()) / (t + ".onnx");
        writeOnnxModel(*original, file);
        OnnxImportOptions options;
        options.useEmbeddedSpec = false;
        ImportedModel imported;
        try {
            imported = importOnnxFile(file, options);
        } catch (const std::exception& e) {
            QFAIL((t + ": its export does not import through the graph: " + e.what()).c_str());
        }
        QVERIFY(!imported.fromEmbeddedSpec);
        const auto model = imported.instantiate();
        QCOMPARE(model->paramCounts().total(), original->paramCounts().total());
        const auto inputs = randomInputs(*original, 3, 7);
        const auto want = engineOutputs(*original, inputs), got = engineOutputs(*model, inputs);
        QCOMPARE(got.size(), want.size());
        for (std::size_t k = 0; k < got.size(); ++k) {
            const std::string diff = difference(got[k], want[k], 1e-5, 1e-5);
            QVERIFY2(diff.empty(), (t + " output " + std::to_string(k) + ": " + diff).c_str());
        }
    }
};

QTEST_GUILESS_MAIN(TestOnnxEveryLayer)
#include "tst_onnx_every_layer.moc"
