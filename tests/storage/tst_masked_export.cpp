// Masks and the exports: neither the ONNX nor the PyTorch export carries masks, so each refuses a
// model in which a mask from Embedding(mask_zero) changes a layer's inference output (a recurrent
// layer, MultiHeadAttention, GlobalAveragePooling1D, Multiply, inside a Block too), naming that
// layer; and exports a model whose masks change nothing (dropped first, as by PositionEmbedding
// and the Add after it in the transformer example) as before.
#include "engine/Model.h"
#include "storage/StorageError.h"
#include "storage/onnx/OnnxExport.h"
#include "storage/torch/TorchCode.h"

#include <QtTest>

using namespace strata;
using nlohmann::json;

namespace {

std::unique_ptr<Model> maskedModel(const json& tail) {
    json layers = {{{"name", "ids"}, {"type", "Input"}, {"config", {{"shape", {6}}, {"dtype", "int32"}}}},
                   {{"name", "embedding"}, {"type", "Embedding"}, {"config", {{"input_dim", 9}, {"output_dim", 4}, {"mask_zero", true}}}}};
    for (const json& l : tail) layers.push_back(l);
    auto m = Model::fromSpec(ModelSpec::fromJson({{"format", "strata.model/1"}, {"name", "m"}, {"layers", layers}}));
    m->build(1);
    return m;
}

// The errors of both exports ("" when one succeeds).
std::pair<std::string, std::string> exportErrors(const Model& m) {
    std::pair<std::string, std::string> e;
    try {
        storage::onnxModelBytes(m);
    } catch (const StrataError& x) {
        e.first = x.what();
    }
    try {
        storage::generateTorchCode(m, "");
    } catch (const StrataError& x) {
        e.second = x.what();
    }
    return e;
}

} // namespace

class TestMaskedExport : public QObject {
    Q_OBJECT
private slots:
    void aMaskThatChangesALayerIsRefused_data() {
        QTest::addColumn<QString>("tail");
        QTest::addColumn<QString>("layer");
        QTest::newRow("LSTM") << R"([{"name": "lstm", "type": "LSTM", "config": {"units": 3}}])" << "'lstm' (LSTM)";
        QTest::newRow("Bidirectional") << R"([{"name": "bi", "type": "Bidirectional"}])" << "'bi' (Bidirectional)";
        QTest::newRow("pooling after a Dense")
            << R"([{"name": "d", "type": "Dense", "config": {"units": 2}}, {"name": "pool", "type": "GlobalAveragePooling1D"}])"
            << "'pool' (GlobalAveragePooling1D)";
        QTest::newRow("attention in a block")
            << R"([{"name": "enc", "type": "Block", "config": {"spec": {"name": "enc", "inputs": ["x"], "outputs": ["att"],
                  "layers": [{"name": "x", "type": "Input", "config": {"shape": [6, 4]}},
                             {"name": "att", "type": "MultiHeadAttention", "config": {"num_heads": 1, "key_dim": 2}, "inbound": ["x", "x"]}]}}},
                 {"name": "flat", "type": "Flatten"}])"
            << "'att' (MultiHeadAttention)";
    }

    void aMaskThatChangesALayerIsRefused() {
        QFETCH(QString, tail);
        QFETCH(QString, layer);
        const auto m = maskedModel(json::parse(tail.toStdString()));
        const auto [onnx, torch] = exportErrors(*m);
        for (const std::string& e : {onnx, torch})
            QVERIFY2(e.find(layer.toStdString()) != std::string::npos && e.find("mask_zero") != std::string::npos, e.c_str());
        QVERIFY2(onnx.find("ONNX") != std::string::npos, onnx.c_str());
        QVERIFY2(torch.find("PyTorch") != std::string::npos, torch.c_str());
    }

    void aMaskThatChangesNothingExports_data() {
        QTest::addColumn<QString>("tail");
        // The transformer example's front: the positions drop the mask, so the Add has none.
        QTest::newRow("positions and Add") << R"([{"name": "pos", "type": "PositionEmbedding", "config": {"sequence_length": 6}},
            {"name": "sum", "type": "Add", "inbound": ["embedding", "pos"]}, {"name": "pool", "type": "GlobalAveragePooling1D", "inbound": ["sum"]}])";
        QTest::newRow("Conv1D drops it") << R"([{"name": "c", "type": "Conv1D", "config": {"filters": 2, "kernel_size": 1}},
            {"name": "pool", "type": "GlobalMaxPooling1D"}])";
        QTest::newRow("unused") << R"([{"name": "d", "type": "Dense", "config": {"units": 2}}])";
    }

    void aMaskThatChangesNothingExports() {
        QFETCH(QString, tail);
        const auto m = maskedModel(json::parse(tail.toStdString()));
        const auto [onnx, torch] = exportErrors(*m);
        QVERIFY2(onnx.empty(), onnx.c_str());
        QVERIFY2(torch.empty(), torch.c_str());
    }
};

QTEST_APPLESS_MAIN(TestMaskedExport)
#include "tst_masked_export.moc"
