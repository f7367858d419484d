// The format tables against the layer registry: every registered layer type has a row in the ONNX
// export table, the ONNX import table (an op that produces it, or the reason none does) and the
// PyTorch table, each either supported or with a reason; the import table's rows name registered
// types only; an unknown ONNX operator is refused with the list of the ops the table handles.
// A supported export row also works: each type's example (tests/support/LayerExamples.h) is
// written as ONNX and as PyTorch code, and a model Strata exported imports back through its spec.
#include "engine/LayerRegistry.h"
#include "engine/Model.h"
#include "storage/onnx/OnnxExport.h"
#include "storage/torch/TorchCode.h"
#include "tests/support/LayerExamples.h"
#include "storage/StorageError.h"
#include "storage/onnx/OnnxGraph.h"
#include "storage/onnx/OnnxGraphImport.h"
#include "storage/onnx/OnnxImport.h"
#include "storage/onnx/OnnxLayerTable.h"
#include "storage/onnx/OnnxReader.h"
#include "storage/torch/TorchLayerTable.h"

#include <QtTest>

#include <set>

using namespace strata;
using namespace strata::storage;

namespace {

// "" when the row is usable (supported, or not with a reason), else what is wrong with it.
std::string rowProblem(const std::optional<LayerFormatSupport>& row) {
    if (!row) return "no row";
    if (!row->supported && row->reason.empty()) return "a 'not supported' row without a reason";
    if (row->supported && !row->reason.empty()) return "a supported row with a reason ('" + row->reason + "')";
    return {};
}

} // namespace

class TestFormatTables : public QObject {
    Q_OBJECT

private slots:
    void everyLayerTypeHasARowInEveryTable() {
        const auto& types = LayerRegistry::instance().types();
        QVERIFY(!types.empty());
        std::string missing;
        for (const LayerTypeInfo& t : types) {
            const std::pair<const char*, std::optional<LayerFormatSupport>> rows[] = {
                {"ONNX export (storage/onnx/OnnxExportTable.cpp)", onnxExportSupport(t.type)},
                {"ONNX import (storage/onnx/OnnxImportTable.cpp)", onnxImportSupport(t.type)},
                {"PyTorch export (storage/torch/TorchLayerTable.cpp)", torchExportSupport(t.type)}};
            for (const auto& [table, row] : rows)
                if (const std::string p = rowProblem(row); !p.empty()) missing += "\n  " + t.type + " in the " + table + " table: " + p;
        }
        QVERIFY2(missing.empty(), ("layer types without a proper row:" + missing).c_str());
    }

    void supportedExportRowsWriteTheExample_data() {
        QTest::addColumn<QString>("type");
        for (const LayerTypeInfo& t : LayerRegistry::instance().types())
            if (t.type != "Input") QTest::newRow(t.type.c_str()) << QString::fromStdString(t.type); // Input: in every example
    }
    void supportedExportRowsWriteTheExample() {
        QFETCH(QString, type);
        const std::string t = type.toStdString();
        QVERIFY2(test::layerExamples().count(t), "no row in tests/support/LayerExamples.h");
        auto model = Model::fromSpec(test::layerExampleSpec(t));
        model->build(2);
        if (const auto onnx = onnxExportSupport(t); onnx && onnx->supported) {
            const std::string bytes = onnxModelBytes(*model);
            QVERIFY(!bytes.empty());
            const ImportedModel back = importOnnxModel(parseOnnxModel(bytes, "example.onnx"), "example.onnx");
            QVERIFY(back.fromEmbeddedSpec);
            QCOMPARE(back.spec.layers.back().type, t);
        }
        if (const auto torch = torchExportSupport(t); torch && torch->supported) {
            const TorchCode code = generateTorchCode(*model, "example");
            QVERIFY2(code.source.find(defaultLayerName(t)) != std::string::npos, "the layer is not in model.py");
        }
    }

    void typesOutsideTheRegistryHaveNoRow() {
        QVERIFY(!onnxExportSupport("NoSuchLayer"));
        QVERIFY(!onnxImportSupport("NoSuchLayer"));
        QVERIFY(!torchExportSupport("NoSuchLayer"));
    }

    void importRowsNameRegisteredTypesAndDistinctOps() {
        std::set<std::string> registered;
        for (const LayerTypeInfo& t : LayerRegistry::instance().types()) registered.insert(t.type);
        std::set<std::string> ops;
        for (const auto& row : OnnxGraphImport::importTable()) {
            QVERIFY2(ops.insert(row.op).second, ("op listed twice: " + row.op).c_str());
            QVERIFY2(row.handle != nullptr, row.op.c_str());
            for (const auto& type : row.produces)
                QVERIFY2(registered.count(type), (row.op + " produces the unregistered layer type " + type).c_str());
        }
        for (const auto& [type, row] : OnnxGraphImport::layerTypeRows())
            QVERIFY2(registered.count(type), ("a reason row for the unregistered layer type " + type).c_str());
        const std::vector<std::string> listed = onnxImportOps();
        QCOMPARE(std::set<std::string>(listed.begin(), listed.end()), ops);
        for (const char* op : {"Gemm", "MatMul", "Conv", "ConvTranspose", "Relu", "LeakyRelu", "Clip", "Pad"})
            QVERIFY2(ops.count(op), op);
    }

    void unknownOperatorListsTheTablesOps() {
        OnnxGraph g("odd");
        g.input("x", kOnnxFloat, {{-1, "batch"}, {4, {}}});
        g.node("Sin", {"x"}, "y");
        g.output("y", kOnnxFloat, {{-1, "batch"}, {4, {}}});
        const std::string bytes = g.modelBytes(OnnxModelInfo{});
        std::string e = "(no error)";
        try {
            importOnnxModel(parseOnnxModel(bytes, "odd.onnx"), "odd.onnx");
        } catch (const StorageError& err) {
            e = err.what();
        }
        std::string ops;
        for (const auto& op : onnxImportOps()) ops += (ops.empty() ? "" : ", ") + op;
        QVERIFY2(e == "odd.onnx: node 'y' (Sin): the operator Sin has no Strata layer (supported: " + ops + ")", e.c_str());
    }
};

QTEST_GUILESS_MAIN(TestFormatTables)
#include "tst_format_tables.moc"
