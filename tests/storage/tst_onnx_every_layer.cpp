// Every registered layer type (tests/support/LayerExamples.h) is exported to ONNX and read back by
// translating its graph (strata-cli import --ignore-embedded-spec), and must compute the same
// outputs (1e-5) with the same parameter count: a new layer type that exports but does not come
// back through the graph route fails here, by name, unless its import row gives the reason none does yet.
// Layers that read an image Input directly (GlobalAveragePooling2D, Flatten, PReLU, Permute) rely on
// the file's metadata_props["strata.input_layout"] = "nhwc"; a model that is only a Dropout on the
// Dropout kept for a graph input passed straight to a graph output.
#include "OnnxTestSupport.h"

#include "storage/onnx/OnnxExport.h"
#include "storage/onnx/OnnxImport.h"
#include "storage/onnx/OnnxLayerTable.h"
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
        const std::string problem = onnxCheckerProblem(file);
        QVERIFY2(problem.empty(), problem.c_str());
        OnnxImportOptions options;
        options.useEmbeddedSpec = false;
        ImportedModel imported;
        std::string why;
        try {
            imported = importOnnxFile(file, options);
        } catch (const std::exception& e) {
            why = t + ": its export does not import through the graph: " + e.what();
            // A type whose import row says why no ONNX pattern produces it yet (OnnxImportTable.cpp):
            // its export is still checked above (onnx.checker); the graph route is skipped, by name.
            const auto row = onnxImportSupport(t);
            if (row && !row->supported) QSKIP((t + ": " + row->reason).c_str());
        }
        std::vector<Tensor> want, got;
        auto inputs = randomInputs(*original, 3, 7);
        if (t == "Embedding") // ids: the example's table has 7 rows
            for (float& v : inputs.at(0).values()) v = std::floor(std::abs(v) * 4.0f);
        if (why.empty()) {
            try {
                want = engineOutputs(*original, inputs);
                got = engineOutputs(*imported.instantiate(), inputs);
            } catch (const std::exception& e) {
                why = t + ": the imported model does not run on the original's inputs: " + e.what();
            }
        }
        QVERIFY2(why.empty(), why.c_str());
        QVERIFY(!imported.fromEmbeddedSpec);
        const auto model = imported.instantiate();
        QCOMPARE(model->paramCounts().total(), original->paramCounts().total());

        QCOMPARE(got.size(), want.size());
        for (std::size_t k = 0; k < got.size(); ++k) {
            const std::string diff = difference(got[k], want[k], 1e-5, 1e-5);
            QVERIFY2(diff.empty(), (t + " output " + std::to_string(k) + ": " + diff).c_str());
        }
    }

    // The graph route reads a rank-4 input as the file's strata.input_layout says, or as the
    // caller says: a ReLU over an NHWC (5, 6, 3) image read as NCHW takes a (6, 3, 5) image.
    void inputLayoutChoosesHowImagesAreRead() {
        const auto original = builtModel(ModelSpec::parse(R"({"format": "strata.model/1", "name": "relu_image", "kind": "sequential",
            "layers": [{"type": "Input", "config": {"shape": [5, 6, 3]}}, {"type": "ReLU"}]})", "relu_image"), 5);
        const fs::path file = fs::path(dir_.path().toStdString()) / "gap_layout.onnx";
        writeOnnxModel(*original, file);
        OnnxImportOptions options;
        options.useEmbeddedSpec = false;
        const nlohmann::json nhwcShape = importOnnxFile(file, options).spec.layers.at(0).config.at("shape");
        options.inputLayout = "nchw";
        const ImportedModel asNchw = importOnnxFile(file, options);
        const nlohmann::json nchwShape = asNchw.spec.layers.at(0).config.at("shape");
        QVERIFY2(nhwcShape != nchwShape, nhwcShape.dump().c_str());
        QVERIFY2(nchwShape == (nlohmann::json{nhwcShape[1], nhwcShape[2], nhwcShape[0]}), nchwShape.dump().c_str());
        QVERIFY(!asNchw.notes.empty()); // says the input is read as NCHW

        options.inputLayout = "nwhc";
        try {
            importOnnxFile(file, options);
            QFAIL("an unknown layout was accepted");
        } catch (const StorageError& e) {
            QVERIFY2(std::string(e.what()).find("'nwhc'") != std::string::npos, e.what());
            QVERIFY2(std::string(e.what()).find("nchw") != std::string::npos, e.what());
        }
    }

    // A Dropout from a graph input straight to a graph output stays, with the node's ratio.
    void dropoutOfAGraphInputKeepsItsRate() {
        const auto original = builtModel(test::layerExampleSpec("Dropout"), 5);
        const fs::path file = fs::path(dir_.path().toStdString()) / "dropout_only.onnx";
        writeOnnxModel(*original, file);
        OnnxImportOptions options;
        options.useEmbeddedSpec = false;
        const ImportedModel m = importOnnxFile(file, options);
        QCOMPARE(int(m.spec.layers.size()), 2);
        QCOMPARE(QString::fromStdString(m.spec.layers.at(1).type), QString("Dropout"));
    }
};

QTEST_GUILESS_MAIN(TestOnnxEveryLayer)
#include "tst_onnx_every_layer.moc"
