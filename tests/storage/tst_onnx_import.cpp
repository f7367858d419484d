// ONNX import (Strata's own models exported and read back: tst_onnx_roundtrip.cpp): models
// exported by Debian's PyTorch (torch.onnx.export at opsets 9, 11, 13, 14 and 17, run by
// tests/storage/torch_onnx_models.py)
// compute PyTorch's outputs to 1e-4 (NCHW inputs fed as NHWC), as does a graph built with
// onnx.helper whose weights are Constant nodes (MatMul + Add + Relu: one Dense); ConvTranspose nodes
// are Conv2DTranspose layers where their geometry is Keras' "valid" or "same" and are refused,
// naming the attribute, where it is not; unsupported nodes, truncated,
// corrupt, empty and missing files are errors naming the file and node; strata-cli import writes
// a saved-model folder and adds a model to a project. The suite skips the PyTorch cases only
// when torch cannot be imported.
#include "OnnxTestSupport.h"

#include "storage/CheckpointStore.h"
#include "storage/onnx/OnnxExport.h"
#include "storage/onnx/OnnxImport.h"
#include "storage/onnx/OnnxReader.h"
#include "storage/Project.h"
#include "storage/Restore.h"
#include "storage/SavedModel.h"
#include "storage/StorageError.h"

#include <onnx/onnx_pb.h>

#include <QTemporaryDir>
#include "tests/support/RequiredTools.h"
#include <QtTest>

#include <algorithm>
#include <random>

using namespace strata;
using namespace strata::storage;
using namespace strata::onnxtest;
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// A ConvTranspose node on x (2 channels, 5x4) with weight (2, 3, 3, 3), a bias, strides 2 and
// `attrs`; its file's bytes.
std::string convTransposeFile(const std::vector<OnnxAttr>& attrs) {
    OnnxGraph g("deconv");
    g.input("x", kOnnxFloat, {{-1, "batch"}, {2, {}}, {5, {}}, {4, {}}});
    std::vector<float> w(2 * 3 * 3 * 3), b = {0.25f, -0.5f, 0.75f};
    for (std::size_t i = 0; i < w.size(); ++i) w[i] = float(int(i * 7 % 11) - 5) / 8.0f;
    const std::string wName = g.initializer("w", {2, 3, 3, 3}, w), bName = g.initializer("b", {3}, b);
    std::vector<OnnxAttr> all = {OnnxAttr::integers("kernel_shape", {3, 3}), OnnxAttr::integers("strides", {2, 2})};
    all.insert(all.end(), attrs.begin(), attrs.end());
    g.node("ConvTranspose", {"x", wName, bName}, "y", all);
    g.output("y", kOnnxFloat, {{-1, "batch"}, {3, {}}, {-1, {}}, {-1, {}}});
    return g.modelBytes(OnnxModelInfo{});
}

} // namespace

class TestOnnxImport : public QObject {
    Q_OBJECT
    QTemporaryDir dir_;
    bool torchReady_ = false;
    std::string torchMissing_;

    fs::path path(const std::string& name) const { return fs::path(dir_.path().toStdString()) / name; }

    void requireTorch() {
        if (!torchReady_) STRATA_SKIP_UNLESS_REQUIRED("PyTorch is not available: " + torchMissing_);
    }

private slots:
    void initTestCase() {
        QVERIFY(dir_.isValid());
        const std::string script = std::string(STRATA_TEST_DATA_DIR) + "/../storage/torch_onnx_models.py";
        fs::create_directories(path("torch"));
        const Proc p = runProcess(kPython, {QString::fromStdString(script), QString::fromStdString(path("torch").string())});
        if (p.code == 3) { // torch cannot be imported; a crash or a timeout (-1) fails below
            torchMissing_ = p.err;
            return;
        }
        QVERIFY2(p.code == 0, ("torch_onnx_models.py failed:\n" + p.err).c_str());
        torchReady_ = true;
    }

    // Attributes of each kind decode into the plain structs (protobuf reads packed and unpacked
    // repeated fields alike): Constant nodes with value_ints and value_floats, a string attribute.
    void readerDecodesAttributes() {
        ::onnx::ModelProto model;
        model.set_ir_version(7);
        model.add_opset_import()->set_version(13);
        ::onnx::GraphProto& graph = *model.mutable_graph();
        graph.set_name("hand");
        auto constant = [&](const std::string& out, int elemType, int rank, auto&& fill) {
            ::onnx::NodeProto& n = *graph.add_node();
            n.set_op_type("Constant");
            n.set_name("n_" + out);
            n.add_output(out);
            fill(*n.add_attribute());
            ::onnx::ValueInfoProto& o = *graph.add_output();
            o.set_name(out);
            ::onnx::TypeProto_Tensor& type = *o.mutable_type()->mutable_tensor_type();
            type.set_elem_type(elemType);
            ::onnx::TensorShapeProto& shape = *type.mutable_shape(); // the checker requires one
            for (int k = 0; k < rank; ++k) shape.add_dim()->set_dim_param("n"); // its size left to shape inference
        };
        constant("ints", ::onnx::TensorProto::INT64, 1, [](::onnx::AttributeProto& a) {
            a.set_name("value_ints");
            a.set_type(::onnx::AttributeProto::INTS);
            for (int64_t v : {int64_t(3), int64_t(300), int64_t(-2)}) a.add_ints(v);
        });
        constant("floats", ::onnx::TensorProto::FLOAT, 1, [](::onnx::AttributeProto& a) {
            a.set_name("value_floats");
            a.set_type(::onnx::AttributeProto::FLOATS);
            a.add_floats(1.5f);
            a.add_floats(-2.0f);
        });
        constant("text", ::onnx::TensorProto::STRING, 0, [](::onnx::AttributeProto& a) {
            a.set_name("value_string");
            a.set_type(::onnx::AttributeProto::STRING);
            a.set_s("hello");
        });
        const OnnxModel m = parseOnnxModel(model.SerializeAsString(), "hand.onnx");
        QCOMPARE(m.irVersion, int64_t(7));
        QCOMPARE(m.opset, int64_t(13));
        QCOMPARE(m.graph.nodes.size(), std::size_t(3));
        QCOMPARE(m.graph.nodes[0].label(), std::string("node 'n_ints' (Constant)"));
        QCOMPARE(m.graph.nodes[0].intsAttr("value_ints"), (std::vector<int64_t>{3, 300, -2}));
        QCOMPARE(m.graph.nodes[1].attr("value_floats")->floats, (std::vector<float>{1.5f, -2.0f}));
        QCOMPARE(m.graph.nodes[2].stringAttr("value_string"), std::string("hello"));
        // Opset 13 skips libonnx's shape inference (only the version converter needs it; the
        // importer computes its own shapes): the outputs keep the sizes the file declares.
        QCOMPARE(m.graph.outputs[0].dims.size(), std::size_t(1));
        QCOMPARE(m.graph.outputs[0].dims[0].value, int64_t(-1));
        QCOMPARE(m.graph.outputs[1].dims[0].value, int64_t(-1));
    }

    // Opsets 7 to 12 reach the importer converted to 13 by libonnx's version converter (Clip's
    // bounds become inputs); 13 to 17 as they are. torchModels checks that both predict as torch.
    void olderOpsetsAreConvertedTo13() {
        requireTorch();
        for (const auto& [name, opset] : std::vector<std::pair<std::string, int64_t>>{
                 {"torch_cnn_opset9", 13}, {"torch_cnn_opset11", 13}, {"torch_cnn", 13}, {"torch_cnn_opset14", 14}, {"torch_cnn_opset17", 17}})
            QCOMPARE(readOnnxFile(path("torch") / (name + ".onnx")).opset, opset);
        const OnnxModel relu6 = readOnnxFile(path("torch") / "torch_relu6_opset9.onnx");
        const auto clip = std::find_if(relu6.graph.nodes.begin(), relu6.graph.nodes.end(), [](const OnnxNode& n) { return n.opType == "Clip"; });
        QVERIFY(clip != relu6.graph.nodes.end());
        QCOMPARE(clip->inputs.size(), std::size_t(3));
        QVERIFY(!clip->attr("max"));
    }

    void torchModels_data() {
        QTest::addColumn<QString>("name");
        QTest::addColumn<QString>("expectedTypes"); // layer types of the imported spec, in order
        QTest::newRow("mlp") << "torch_mlp" << "Input Dense BatchNormalization Dense Activation Dense";
        QTest::newRow("cnn") << "torch_cnn" << "Input Conv2D MaxPooling2D Conv2D AveragePooling2D Flatten Dense";
        QTest::newRow("cnn branches") << "torch_cnn_branches"
                                      << "Input BatchNormalization Conv2D Conv2D Concatenate Conv2D Add Activation Multiply GlobalAveragePooling2D Flatten Dense";
        for (const char* opset : {"9", "11", "14", "17"}) {
            QTest::newRow((std::string("mlp opset ") + opset).c_str()) << QString("torch_mlp_opset") + opset << "Input Dense BatchNormalization Dense Activation Dense";
            QTest::newRow((std::string("cnn opset ") + opset).c_str())
                << QString("torch_cnn_opset") + opset << "Input Conv2D MaxPooling2D Conv2D AveragePooling2D Flatten Dense";
            QTest::newRow((std::string("cnn branches opset ") + opset).c_str())
                << QString("torch_cnn_branches_opset") + opset
                << "Input BatchNormalization Conv2D Conv2D Concatenate Conv2D Add Activation Multiply GlobalAveragePooling2D Flatten Dense";
        }
        QTest::newRow("cnn flatten") << "torch_cnn_flatten" << "Input Conv2D MaxPooling2D Conv2D AveragePooling2D Flatten Dense";
        QTest::newRow("constant nodes, MatMul + Add") << "onnx_constants" << "Input Dense";
        QTest::newRow("nn.LeakyReLU()") << "torch_leaky" << "Input Dense LeakyReLU Dense";
        QTest::newRow("nn.LeakyReLU(0.1) on NCHW") << "torch_leaky_cnn" << "Input Conv2D LeakyReLU MaxPooling2D Flatten Dense";
        QTest::newRow("leaky_relu 0.2") << "torch_leaky_fused" << "Input LeakyReLU Dense Dense";
        QTest::newRow("explicit conv pads") << "torch_padded" << "Input ZeroPadding2D Conv2D Conv2D ZeroPadding2D Conv2D Flatten Dense";
        for (const char* name : {"torch_relu6", "torch_relu6_opset9"}) // Clip [0, 6] and [0, inf) fuse as relu6 and relu
            QTest::newRow((std::string("nn.ReLU6 ") + name).c_str()) << name << "Input Conv2D MaxPooling2D Flatten Dense Dense Dense";
        for (const char* name : {"torch_relu_capped", "torch_relu_capped_opset9"}) // Clip [0, m]: ReLU(max_value=m)
            QTest::newRow((std::string("clamp(0, m) ") + name).c_str()) << name << "Input Conv2D ReLU Flatten Dense ReLU Dense";
        QTest::newRow("nn.Conv2d groups=2") << "torch_grouped" << "Input Conv2D";
        // (N, C, W) sequences: the Input takes them as torch does and a Permute makes them (N, W, C)
        QTest::newRow("nn.Conv1d and 1-D pools") << "torch_seq_cnn"
                                                 << "Input Permute Conv1D MaxPooling1D Conv1D AveragePooling1D GlobalAveragePooling1D Dense";
        // AdaptiveMaxPool1d(1) exports as a MaxPool over the whole (known) length
        QTest::newRow("adaptive 1-D pools") << "torch_seq_global_pools" << "Input Permute Conv1D GlobalAveragePooling1D MaxPooling1D Add Flatten";
        // torch's batch_first recurrent layers: the time-major Transpose and the output's views are layouts only
        QTest::newRow("nn.Embedding + nn.LSTM, int64 ids") << "torch_text_lstm" << "Input Embedding LSTM Slice Reshape Dense";
        QTest::newRow("two nn.GRU, h_n[-1]") << "torch_stacked_gru" << "Input GRU GRU Dense"; // h_n[-1] is the GRU's output
        QTest::newRow("bidirectional nn.LSTM") << "torch_bilstm" << "Input Bidirectional GlobalAveragePooling1D Dense";
        QTest::newRow("nn.RNN relu") << "torch_relu_rnn" << "Input SimpleRNN Slice Reshape Dense";
        // final states used beside the output or as another layer's initial state: return_state, "NAME:K"
        QTest::newRow("nn.LSTM encoder-decoder") << "torch_seq2seq" << "Input LSTM LSTM Slice Reshape Concatenate Dense";
        QTest::newRow("nn.GRU sequence and h_n") << "torch_gru_both" << "Input GRU GRU GlobalAveragePooling1D Concatenate Dense";
        QTest::newRow("bidirectional nn.LSTM states") << "torch_bilstm_states" << "Input Bidirectional Slice Reshape Concatenate Dense";
        QTest::newRow("nn.Conv1d, BatchNorm1d, MaxPool1d") << "torch_seq_cnn_bn" << "Input Permute Conv1D BatchNormalization MaxPooling1D Conv1D Permute Flatten Dense";
        // torch 1.13's nn.MultiheadAttention (batch_first) is one MultiHeadAttention layer (OnnxImportAttention.h)
        QTest::newRow("nn.TransformerEncoder") << "torch_transformer_encoder"
                                               << "Input MultiHeadAttention Add LayerNormalization Dense Dense Add LayerNormalization "
                                                  "MultiHeadAttention Add LayerNormalization Dense Dense Add LayerNormalization GlobalAveragePooling1D Dense";
        QTest::newRow("pre-norm GELU encoder layer, causal mask") << "torch_causal_prenorm"
                                                                  << "Input LayerNormalization MultiHeadAttention Add LayerNormalization Dense Dense Add Slice Reshape Dense";
        QTest::newRow("nn.MultiheadAttention kdim, vdim") << "torch_cross_attention" << "Input Dense MultiHeadAttention GlobalAveragePooling1D Dense";
        // class token (PositionEmbedding over the first step), position table (PositionEmbedding + Add), attention
        QTest::newRow("torchvision VisionTransformer") << "torch_small_vit"
                                                       << "Input Conv2D Reshape Slice PositionEmbedding Concatenate PositionEmbedding Add LayerNormalization "
                                                          "MultiHeadAttention Add LayerNormalization Dense Dense Add LayerNormalization Slice Reshape Dense";
        QTest::newRow("depthwise nn.Conv2d") << "torch_depthwise" << "Input DepthwiseConv2D Conv2D ZeroPadding2D DepthwiseConv2D";
        for (const char* name : {"torch_deconv", "torch_deconv_opset11"})
            QTest::newRow((std::string("nn.ConvTranspose2d ") + name).c_str())
                << name << "Input Conv2DTranspose BatchNormalization Conv2DTranspose Conv2DTranspose Conv2DTranspose";
    }

    void torchModels() {
        requireTorch();
        QFETCH(QString, name);
        QFETCH(QString, expectedTypes);
        const ImportedModel imported = importOnnxFile(path("torch") / (name.toStdString() + ".onnx"));
        QVERIFY(!imported.fromEmbeddedSpec);
        QString types;
        for (const LayerSpec& l : imported.spec.layers) types += (types.isEmpty() ? "" : " ") + QString::fromStdString(l.type);
        QCOMPARE(types, expectedTypes);
        const auto model = imported.instantiate();
        const json io = json::parse(testutil::readText(path("torch") / (name.toStdString() + ".json")));
        Tensor in = nchwToNhwc(tensorFromJson(io["input"]));
        if (imported.spec.layers.front().config.value("dtype", std::string("float32")) == "int32") { // token ids
            std::vector<int32_t> ids;
            for (float v : in.values()) ids.push_back(int32_t(v));
            in = Tensor::fromVector(in.shape(), ids);
        }
        const auto got = engineOutputs(*model, {in});
        QCOMPARE(got.size(), std::size_t(1));
        const Tensor want = nchwToNhwc(tensorFromJson(io["output"])); // an image output is NHWC in Strata
        const std::string diff = difference(got[0], want, 1e-4, 1e-4);
        QVERIFY2(diff.empty(), (name.toStdString() + ": " + diff + "\nspec: " + imported.spec.toJson().dump()).c_str());
    }

    // torchvision's architectures with depthwise (mobilenet_v2, mnasnet0_5) and grouped (regnet_x_400mf)
    // convolutions, as a user exports them (torch_onnx_models.py): each imports with its grouped
    // layers and predicts what torch does, to 1e-4 of the output's largest magnitude.
    void torchvisionModels_data() {
        QTest::addColumn<QString>("name");
        QTest::addColumn<int>("depthwise"); // DepthwiseConv2D layers
        QTest::addColumn<int>("grouped");   // Conv2D layers with groups > 1
        QTest::newRow("mobilenet_v2") << "mobilenet_v2" << 17 << 0; // one depthwise per inverted residual block
        QTest::newRow("mnasnet0_5") << "mnasnet0_5" << 17 << 0;
        QTest::newRow("regnet_x_400mf") << "regnet_x_400mf" << 0 << 22;
    }
    void torchvisionModels() {
        requireTorch();
        QFETCH(QString, name);
        QFETCH(int, depthwise);
        QFETCH(int, grouped);
        const std::string base = "torchvision_" + name.toStdString();
        const fs::path file = path("torch") / (base + ".onnx");
        if (!fs::exists(file)) STRATA_SKIP_UNLESS_REQUIRED("torchvision is not available (python3-torchvision)");
        const ImportedModel imported = importOnnxFile(file);
        int depthwiseSeen = 0, groupedSeen = 0;
        for (const LayerSpec& l : imported.spec.layers) {
            depthwiseSeen += l.type == "DepthwiseConv2D";
            groupedSeen += l.type == "Conv2D" && l.config.value("groups", 1) > 1;
        }
        QCOMPARE(depthwiseSeen, depthwise);
        QCOMPARE(groupedSeen, grouped);
        const auto model = imported.instantiate();
        const json io = json::parse(testutil::readText(path("torch") / (base + ".json")));
        const auto got = engineOutputs(*model, {nchwToNhwc(tensorFromJson(io["input"]))});
        const Tensor want = tensorFromJson(io["output"]);
        double largest = 0;
        for (int64_t i = 0; i < want.size(); ++i) largest = std::max(largest, double(std::fabs(want.f32()[i])));
        QVERIFY(largest > 0);
        const std::string diff = difference(got.at(0), want, 1e-4 * largest, 0.0);
        QVERIFY2(diff.empty(), diff.c_str());
    }

    void torchLayerNamesAndFusion() {
        requireTorch();
        const ImportedModel m = importOnnxFile(path("torch") / "torch_mlp.onnx");
        QCOMPARE(m.spec.name, std::string("torch_mlp"));
        QCOMPARE(m.spec.inputs, std::vector<std::string>{"input"});
        QCOMPARE(m.spec.outputs, std::vector<std::string>{"output"});
        QCOMPARE(m.spec.layers[1].name, std::string("fc1"));
        QCOMPARE(m.spec.layers[1].config["activation"], json("relu"));
        QCOMPARE(m.spec.layers.back().config["activation"], json("softmax"));
        QCOMPARE(m.spec.layers[2].config["momentum"].get<double>(), double(0.8f)); // ONNX momentum = 1 - PyTorch's
        QVERIFY(m.variables.count("model/fc1/kernel/.ATTRIBUTES/VARIABLE_VALUE"));
        QCOMPARE(m.variables.at("model/fc1/kernel/.ATTRIBUTES/VARIABLE_VALUE").shape(), (Shape{20, 32}));
    }

    // PyTorch's LeakyRelu nodes: a slope other than 0.2 is a LeakyReLU layer with that alpha (as
    // written, not as float noise); 0.2 is fused into the Dense before it, or a layer where it cannot be.
    void torchLeakyReluSlopes() {
        requireTorch();
        const ImportedModel def = importOnnxFile(path("torch") / "torch_leaky.onnx");
        QCOMPARE(def.spec.layers[2].name, std::string("act"));
        QCOMPARE(def.spec.layers[2].config, json({{"alpha", 0.01}}));
        QCOMPARE(def.spec.layers[1].config.value("activation", std::string("linear")), std::string("linear"));
        const ImportedModel cnn = importOnnxFile(path("torch") / "torch_leaky_cnn.onnx");
        QCOMPARE(cnn.spec.layers[2].config, json({{"alpha", 0.1}}));
        const ImportedModel fused = importOnnxFile(path("torch") / "torch_leaky_fused.onnx");
        QCOMPARE(fused.spec.layers[1].config, json({{"alpha", 0.2}})); // on the graph input: nothing to fuse into
        QCOMPARE(fused.spec.layers[2].config["activation"], json("leaky_relu"));
        QCOMPARE(fused.spec.layers[3].config.value("activation", std::string("linear")), std::string("linear"));

        // strata-cli import, which refused nn.LeakyReLU() before, writes a saved model that computes PyTorch's output.
        const fs::path out = path("cli_leaky");
        const Proc p = runStrataCli({"import", (path("torch") / "torch_leaky.onnx").string(), "--out", out.string()});
        QVERIFY2(p.code == 0, p.err.c_str());
        const SavedModel saved = SavedModel::load(out);
        QCOMPARE(saved.spec().layers[2].type, std::string("LeakyReLU"));
        const json io = json::parse(testutil::readText(path("torch") / "torch_leaky.json"));
        const std::string diff = difference(engineOutputs(*saved.instantiate(), {tensorFromJson(io["input"])})[0], tensorFromJson(io["output"]), 1e-4, 1e-4);
        QVERIFY2(diff.empty(), diff.c_str());
    }

    // PyTorch's ConvTranspose nodes: each geometry becomes the Keras padding that computes it, with
    // the activation after it fused, and the (C_in, filters, kh, kw) weight as (kh, kw, filters, C_in).
    void torchConvTransposeGeometries() {
        requireTorch();
        const ImportedModel m = importOnnxFile(path("torch") / "torch_deconv.onnx");
        QCOMPARE(m.spec.layers.size(), std::size_t(6));
        auto layer = [&](const std::string& name) -> const LayerSpec& { return m.spec.layers[std::size_t(m.spec.indexOf(name))]; };
        QCOMPARE(layer("up").config, json::parse(R"({"filters": 4, "kernel_size": [4, 4], "strides": [2, 2], "padding": "same",
            "dilation_rate": [1, 1], "use_bias": true, "activation": "relu"})"));
        QCOMPARE(layer("up2").config["padding"], json("valid"));
        QCOMPARE(layer("up2").config["activation"], json("sigmoid"));
        QCOMPARE(layer("dilated").config, json::parse(R"({"filters": 3, "kernel_size": [3, 3], "strides": [1, 1], "padding": "same",
            "dilation_rate": [2, 2], "use_bias": false})"));
        QCOMPARE(layer("output").config["padding"], json("valid")); // nn "small": output_padding 1, kernel below the stride
        QCOMPARE(layer("output").config["strides"], json({3, 2}));
        QCOMPARE(layer("output").config["activation"], json("tanh"));
        QCOMPARE(m.variables.at("model/up/kernel/.ATTRIBUTES/VARIABLE_VALUE").shape(), (Shape{4, 4, 4, 3}));
        QCOMPARE(m.variables.at("model/output/kernel/.ATTRIBUTES/VARIABLE_VALUE").shape(), (Shape{2, 1, 2, 3}));
        QCOMPARE(m.instantiate()->outputShape(m.spec.indexOf("output")), (Shape{kUnknownDim, 39, 18, 2}));
    }

    void unsupportedNodesAreNamed() {
        requireTorch();
        const fs::path clamped = path("torch") / "torch_clamped.onnx";
        const std::string c = errorOf([&] { importOnnxFile(clamped); });
        QVERIFY2(c.find(clamped.string() + ": node '/Clip' (Clip): Clip to [-1, 1] has no Strata form (only [0, m]: relu6 for m = 6, relu for m = inf, a ReLU layer otherwise)") == 0,
                 c.c_str());
        const fs::path deconvGrouped = path("torch") / "torch_deconv_grouped.onnx";
        const std::string dg = errorOf([&] { importOnnxFile(deconvGrouped); });
        QVERIFY2(dg.find(deconvGrouped.string() + ": node '/up/ConvTranspose' (ConvTranspose): group=2 is not supported") == 0, dg.c_str());
        // padding=1, output_padding=1 doubles the size as "same" does, but crops the odd cell at the top/left.
        const fs::path torchPads = path("torch") / "torch_deconv_torch_pads.onnx";
        const std::string tp = errorOf([&] { importOnnxFile(torchPads); });
        QVERIFY2(tp.find(torchPads.string() + ": node '/up/ConvTranspose' (ConvTranspose): pads [1,1,1,1] with output_padding [1,1] "
                                              "for kernel [3,3], strides [2,2] and dilations [1,1] is neither 'valid' nor 'same'") == 0,
                 tp.c_str());
    }

    // What the attention import reads from torch's graph: heads, head size, the causal mask, the
    // names; and a time-major attention (batch_first=False) is refused saying so.
    void torchAttentionConfigs() {
        requireTorch();
        const ImportedModel causal = importOnnxFile(path("torch") / "torch_causal_prenorm.onnx");
        const LayerSpec& attn = causal.spec.layers[std::size_t(causal.spec.indexOf("self_attn"))];
        QCOMPARE(attn.config["num_heads"], json(3));
        QCOMPARE(attn.config["key_dim"], json(4));
        QCOMPARE(attn.config["use_causal_mask"], json(true));
        QCOMPARE(attn.inbound, (std::vector<std::string>{"norm1", "norm1"}));
        QCOMPARE(causal.variables.at("model/self_attn/query/kernel/.ATTRIBUTES/VARIABLE_VALUE").shape(), (Shape{12, 3, 4}));
        QCOMPARE(causal.variables.at("model/self_attn/attention_output/kernel/.ATTRIBUTES/VARIABLE_VALUE").shape(), (Shape{3, 4, 12}));
        const ImportedModel encoder = importOnnxFile(path("torch") / "torch_transformer_encoder.onnx");
        QCOMPARE(encoder.spec.layers[std::size_t(encoder.spec.indexOf("self_attn"))].config["use_causal_mask"], json(false));
        const ImportedModel cross = importOnnxFile(path("torch") / "torch_cross_attention.onnx");
        QCOMPARE(cross.spec.layers[std::size_t(cross.spec.indexOf("attn"))].config["num_heads"], json(4));
        QCOMPARE(cross.variables.at("model/attn/key/kernel/.ATTRIBUTES/VARIABLE_VALUE").shape(), (Shape{8, 4, 4}));

        const fs::path timeMajor = path("torch") / "torch_time_major_attention.onnx";
        const std::string e = errorOf([&] { importOnnxFile(timeMajor); });
        QVERIFY2(e.find(timeMajor.string() + ": node '/layer/self_attn/Softmax' (Softmax): attention as torch 1.13 exports nn.MultiheadAttention "
                                             "was expected: its output is not transposed back to batch-first") == 0,
                 e.c_str());
        QVERIFY2(e.find("batch_first=True") != std::string::npos, e.c_str());
    }

    void unsupportedAttributesAreNamed() {
        OnnxGraph g("elu");
        g.input("x", kOnnxFloat, {{-1, "batch"}, {4, {}}});
        g.node("Elu", {"x"}, "y", {OnnxAttr::real("alpha", 0.5f)});
        g.output("y", kOnnxFloat, {{-1, "batch"}, {4, {}}});
        const std::string e = errorOf([&] { importOnnxModel(parseOnnxModel(g.modelBytes(OnnxModelInfo{}), "elu.onnx"), "elu.onnx"); });
        QVERIFY2(e.find("elu.onnx: node 'y' (Elu): alpha other than 1 is not supported") == 0, e.c_str());
    }

    void convTransposeAttributeForms() {
        auto importBytes = [](const std::string& bytes) { return importOnnxModel(parseOnnxModel(bytes, "deconv.onnx"), "deconv.onnx"); };
        const ImportedModel explicitPads = importBytes(convTransposeFile({OnnxAttr::integers("pads", {0, 0, 1, 1})}));
        QCOMPARE(explicitPads.spec.layers[1].type, std::string("Conv2DTranspose"));
        QCOMPARE(explicitPads.spec.layers[1].config["padding"], json("same"));
        QCOMPARE(explicitPads.spec.layers[1].config["filters"], json(3));
        const auto reference = explicitPads.instantiate();
        const auto inputs = randomInputs(*reference, 2, 17);
        const Tensor want = engineOutputs(*reference, inputs)[0];
        QCOMPARE(want.shape(), (Shape{2, 10, 8, 3}));
        for (const auto& [what, attrs] : std::vector<std::pair<std::string, std::vector<OnnxAttr>>>{
                 {"auto_pad SAME_UPPER", {OnnxAttr::text("auto_pad", "SAME_UPPER")}},
                 {"output_shape, auto_pad SAME_UPPER", {OnnxAttr::integers("output_shape", {10, 8}), OnnxAttr::text("auto_pad", "SAME_UPPER")}}}) {
            const ImportedModel m = importBytes(convTransposeFile(attrs));
            QCOMPARE(m.spec.layers[1].config, explicitPads.spec.layers[1].config);
            const std::string diff = difference(engineOutputs(*m.instantiate(), inputs)[0], want, 0, 0);
            QVERIFY2(diff.empty(), (what + ": " + diff).c_str());
        }
        const ImportedModel valid = importBytes(convTransposeFile({OnnxAttr::text("auto_pad", "VALID")}));
        QCOMPARE(valid.spec.layers[1].config["padding"], json("valid"));
        QCOMPARE(valid.instantiate()->outputShape(1), (Shape{kUnknownDim, 11, 9, 3}));
        const ImportedModel validShape = importBytes(convTransposeFile({OnnxAttr::integers("output_shape", {11, 9})}));
        QCOMPARE(validShape.spec.layers[1].config, valid.spec.layers[1].config);

        for (const auto& [attrs, message] : std::vector<std::pair<std::vector<OnnxAttr>, std::string>>{
                 {{OnnxAttr::integers("pads", {1, 1, 0, 0})}, "pads [1,1,0,0] for kernel [3,3], strides [2,2] and dilations [1,1] is neither 'valid' nor 'same'"},
                 {{OnnxAttr::integers("pads", {1, 1, 1, 1}), OnnxAttr::integers("output_padding", {1, 1})},
                  "pads [1,1,1,1] with output_padding [1,1] for kernel [3,3]"},
                 {{OnnxAttr::text("auto_pad", "SAME_LOWER")}, "auto_pad=SAME_LOWER for kernel [3,3], strides [2,2] and dilations [1,1] is neither"},
                 {{OnnxAttr::integers("output_shape", {10, 8})}, "output_shape [10,8] for kernel [3,3]"}, // no SAME_UPPER: the odd cell at the start
                 {{OnnxAttr::integers("output_shape", {12, 8})}, "output_shape [12,8] is longer than the transposed convolution reaches"},
                 {{OnnxAttr::integers("dilations", {2, 2})}, "dilations [2,2] with strides [2,2] are not supported"},
                 {{OnnxAttr::integer("group", 2)}, "group=2 is not supported"}}) {
            const std::string bytes = convTransposeFile(attrs);
            const std::string e = errorOf([&] { importBytes(bytes); });
            QVERIFY2(e.find("deconv.onnx: node 'y' (ConvTranspose): " + message) == 0, e.c_str());
        }
    }

    void unknownOperatorIsNamed() {
        OnnxGraph g("odd");
        g.input("x", kOnnxFloat, {{-1, "batch"}, {4, {}}});
        g.node("Sin", {"x"}, "y");
        g.output("y", kOnnxFloat, {{-1, "batch"}, {4, {}}});
        const std::string bytes = g.modelBytes(OnnxModelInfo{});
        const std::string e = errorOf([&] { importOnnxModel(parseOnnxModel(bytes, "odd.onnx"), "odd.onnx"); });
        QVERIFY2(e.find("odd.onnx: node 'y' (Sin): the operator Sin has no Strata layer") == 0, e.c_str());
    }

    void embeddedSpecThatDoesNotFitIsNamed() {
        OnnxGraph g("edited");
        g.input("pixels", kOnnxFloat, {{-1, "batch"}, {64, {}}});
        g.node("Relu", {"pixels"}, "probs");
        g.output("probs", kOnnxFloat, {{-1, "batch"}, {64, {}}});
        OnnxModelInfo info;
        info.metadata.emplace_back("strata.model", testutil::example("digits_mlp.json").toJson().dump());
        const OnnxModel m = parseOnnxModel(g.modelBytes(info), "edited.onnx");
        const std::string e = errorOf([&] { importOnnxModel(m, "edited.onnx"); });
        QVERIFY2(e.find("edited.onnx: the graph has no initializer 'model/") == 0 && e.find("--ignore-embedded-spec") != std::string::npos, e.c_str());
        OnnxImportOptions graphOnly;
        graphOnly.useEmbeddedSpec = false;
        const ImportedModel imported = importOnnxModel(m, "edited.onnx", graphOnly); // one Activation layer
        QCOMPARE(imported.spec.layers.size(), std::size_t(2));
        QCOMPARE(imported.spec.layers[1].type, std::string("Activation"));
        QCOMPARE(imported.spec.name, std::string("edited"));
    }

    // A Conv's pads that are neither "valid" nor "same" (k3, s2, pads 1 on a 6x6 image: Keras pads
    // 0 and 1 there) become a ZeroPadding2D layer and a valid Conv2D; a pool's are still refused
    // (max pooling pads with -inf, not zeros).
    void explicitPadsBecomeZeroPaddingOrAreRefused() {
        OnnxGraph g("pads");
        g.input("x", kOnnxFloat, {{-1, "batch"}, {2, {}}, {6, {}}, {6, {}}});
        const std::string w = g.initializer("w", {3, 2, 3, 3}, std::vector<float>(54, 0.1f));
        g.node("Conv", {"x", w}, "y", {OnnxAttr::integers("pads", {1, 2, 1, 0}), OnnxAttr::integers("strides", {2, 2})});
        g.output("y", kOnnxFloat, {});
        const ImportedModel m = importOnnxModel(parseOnnxModel(g.modelBytes(OnnxModelInfo{}), "pads.onnx"), "pads.onnx");
        QCOMPARE(m.spec.layers.size(), std::size_t(3));
        QCOMPARE(m.spec.layers[1].type, std::string("ZeroPadding2D"));
        QCOMPARE(m.spec.layers[1].config["padding"], json::parse("[[1, 1], [2, 0]]")); // [[top, bottom], [left, right]]
        QCOMPARE(m.spec.layers[2].type, std::string("Conv2D"));
        QCOMPARE(m.spec.layers[2].config["padding"], json("valid"));
        QCOMPARE(m.instantiate()->outputShape(2), (Shape{kUnknownDim, 3, 3, 3})); // (6 + 1 + 1 - 3) / 2 + 1, (6 + 2 + 0 - 3) / 2 + 1

        // A pool's pads are its own config (tst_onnx_vision); only pads of a window's size are refused.
        OnnxGraph p("pool_pads");
        p.input("x", kOnnxFloat, {{-1, "batch"}, {2, {}}, {6, {}}, {6, {}}});
        p.node("MaxPool", {"x"}, "y", {OnnxAttr::integers("kernel_shape", {3, 3}), OnnxAttr::integers("pads", {3, 1, 1, 1}),
                                      OnnxAttr::integers("strides", {2, 2})});
        p.output("y", kOnnxFloat, {});
        const std::string e = errorOf([&] { importOnnxModel(parseOnnxModel(p.modelBytes(OnnxModelInfo{}), "pool.onnx"), "pool.onnx"); });
        QVERIFY2(e.find("pool.onnx: node 'y' (MaxPool): pads [3,1,1,1]") == 0 && e.find("must each be smaller than the kernel") != std::string::npos, e.c_str());
    }

    void truncatedAndCorruptFilesAreErrors() {
        const auto model = builtModel(testutil::example("two_branch.json"), 3);
        const std::string bytes = onnxModelBytes(*model);
        int refused = 0;
        for (std::size_t cut = 0; cut < bytes.size(); cut += (cut < 4096 ? 1 : 61)) {
            try {
                importOnnxModel(parseOnnxModel(std::string_view(bytes).substr(0, cut), "cut.onnx"), "cut.onnx");
            } catch (const StorageError& e) {
                QVERIFY2(std::string(e.what()).rfind("cut.onnx", 0) == 0, e.what());
                ++refused;
            }
        }
        QVERIFY(refused > 1000);
        const std::string e = errorOf([&] { parseOnnxModel(std::string_view(bytes).substr(0, 300), "cut.onnx"); });
        QVERIFY2(e == "cut.onnx: not an ONNX model: its 300 bytes are no valid ModelProto (truncated, corrupt, or another format)", e.c_str());

        std::mt19937 rng(1);
        for (int trial = 0; trial < 3000; ++trial) { // flipped bytes: an error or a model, never a crash or another exception
            std::string damaged = bytes;
            for (int k = 0; k < 3; ++k) damaged[rng() % damaged.size()] = char(rng());
            try {
                importOnnxModel(parseOnnxModel(damaged, "damaged.onnx"), "damaged.onnx");
            } catch (const StrataError&) {
            }
        }
        const std::string garbage = errorOf([] { parseOnnxModel("\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff", "junk.onnx"); });
        QVERIFY2(garbage.rfind("junk.onnx: not an ONNX model: its 11 bytes are no valid ModelProto", 0) == 0, garbage.c_str());
    }

    void emptyAndMissingFiles() {
        testutil::writeText(path("empty.onnx"), "");
        QVERIFY(errorOf([&] { importOnnxFile(path("empty.onnx")); }).find("empty.onnx: the file is empty") != std::string::npos);
        QVERIFY(errorOf([&] { importOnnxFile(path("absent.onnx")); }).find("absent.onnx: cannot be opened (no such file)") != std::string::npos);
        testutil::writeText(path("text.onnx"), "{\"format\": \"strata.model/1\"}");
        const std::string e = errorOf([&] { importOnnxFile(path("text.onnx")); });
        QVERIFY2(e.find(path("text.onnx").string() + ": not an ONNX model: its ") == 0 && e.find("bytes are no valid ModelProto") != std::string::npos, e.c_str());
    }

    void cliImportsToSavedModelAndProject() {
        const auto original = builtModel(testutil::example("mnist_cnn.json"), 21);
        const fs::path file = path("cli_cnn.onnx");
        writeOnnxModel(*original, file);
        const fs::path out = path("cli_saved");
        Proc p = runStrataCli({"import", file.string(), "--out", out.string(), "--ignore-embedded-spec"});
        QVERIFY2(p.code == 0, p.err.c_str());
        QVERIFY(p.out.find("imported " + file.string() + " to " + out.string()) != std::string::npos);
        const auto loaded = SavedModel::load(out).instantiate();
        const auto inputs = randomInputs(*original, 2, 9);
        const std::string diff = difference(engineOutputs(*loaded, inputs)[0], engineOutputs(*original, inputs)[0], 1e-5, 1e-5);
        QVERIFY2(diff.empty(), diff.c_str());

        // Into a project: a new model with its weights as a checkpoint.
        const fs::path project = path("cli.strata");
        Project::open(project, OpenMode::Create);
        p = runStrataCli({"import", file.string(), "--project", project.string(), "--name", "from_onnx"});
        QVERIFY2(p.code == 0, p.err.c_str());
        {
            const Project pr = Project::open(project, OpenMode::ReadOnly);
            QVERIFY(pr.findModel("from_onnx"));
            CheckpointFilter f;
            f.modelId = pr.model("from_onnx").id;
            const auto c = CheckpointStore(pr).latest(f);
            QVERIFY(c.has_value());
            CheckpointReader r(pr, c->id);
            auto m = Model::fromSpec(pr.version(c->modelVersionId).spec);
            m->build(0);
            restoreModel(r, *m);
            QVERIFY(difference(engineOutputs(*m, inputs)[0], engineOutputs(*original, inputs)[0], 1e-5, 1e-5).empty());
        }
        p = runStrataCli({"import", file.string(), "--project", project.string(), "--name", "from_onnx", "--out", path("cli_saved2").string()});
        QCOMPARE(p.code, 2);
        QVERIFY2(p.err.find("already has a model 'from_onnx'") != std::string::npos, p.err.c_str());
        QVERIFY(!fs::exists(path("cli_saved2"))); // checked before anything is written

        // A file that cannot be imported writes nothing.
        testutil::writeText(path("bad.onnx"), "\x0a\x05");
        p = runStrataCli({"import", path("bad.onnx").string(), "--out", path("bad_saved").string()});
        QCOMPARE(p.code, 2);
        QVERIFY2(p.err.find("strata-cli import: " + path("bad.onnx").string() + ": ") == 0, p.err.c_str());
        QVERIFY(!fs::exists(path("bad_saved")));

        p = runStrataCli({"import", file.string()});
        QCOMPARE(p.code, 2);
        p = runStrataCli({"--help"});
        QVERIFY(p.out.find("import") != std::string::npos);
    }
};

QTEST_GUILESS_MAIN(TestOnnxImport)
#include "tst_onnx_import.moc"
