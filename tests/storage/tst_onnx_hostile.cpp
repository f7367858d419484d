// Hostile window attributes in an ONNX file (issue 19): a Conv or MaxPool with strides 0 was a
// division by zero (SIGFPE; inside libonnx's shape inference too), huge dilations or pads
// overflowed. Each is refused naming the file, the node and the attribute, before any arithmetic
// uses it. And what the reader refuses before or through libonnx (issue 15): opsets outside 7..17,
// external data, element types it does not read, models the ONNX checker refuses.
#include "storage/StorageError.h"
#include "storage/onnx/OnnxGraph.h"
#include "storage/onnx/OnnxImport.h"
#include "storage/onnx/OnnxReader.h"

#include <onnx/onnx_pb.h>

#include <QtTest>

using namespace strata;
using namespace strata::storage;

namespace {

std::string importError(const std::string& op, const std::vector<OnnxAttr>& attrs) {
    OnnxGraph g("hostile");
    g.input("x", kOnnxFloat, {{-1, "batch"}, {2, {}}, {8, {}}, {8, {}}});
    std::vector<std::string> inputs = {"x"};
    // Conv's weight is (out, in, kh, kw), ConvTranspose's (in, out, kh, kw).
    if (op == "Conv") inputs.push_back(g.initializer("w", {3, 2, 3, 3}, std::vector<float>(54, 0.1f)));
    if (op == "ConvTranspose") inputs.push_back(g.initializer("w", {2, 3, 3, 3}, std::vector<float>(54, 0.1f)));
    g.node(op, inputs, "y", attrs);
    g.output("y", kOnnxFloat, {{-1, "batch"}, {3, {}}, {-1, {}}, {-1, {}}});
    try {
        importOnnxModel(parseOnnxModel(g.modelBytes(OnnxModelInfo{}), "hostile.onnx"), "hostile.onnx");
    } catch (const StrataError& e) {
        return e.what();
    }
    return "(imported)";
}

// A Relu graph (x -> y) with one initializer 'w', as a ModelProto to edit.
::onnx::ModelProto reluModel(int64_t opset = 13) {
    OnnxGraph g("relu");
    g.input("x", kOnnxFloat, {{-1, "batch"}, {4, {}}});
    g.initializer("w", {4}, std::vector<float>(4, 0.5f));
    g.node("Relu", {"x"}, "y");
    g.output("y", kOnnxFloat, {{-1, "batch"}, {4, {}}});
    OnnxModelInfo info;
    info.opset = opset;
    ::onnx::ModelProto m;
    m.ParseFromString(g.modelBytes(info));
    return m;
}

std::string parseError(const ::onnx::ModelProto& m) {
    try {
        parseOnnxModel(m.SerializeAsString(), "hostile.onnx");
    } catch (const StrataError& e) {
        return e.what();
    }
    return "(parsed)";
}

} // namespace

class TestOnnxHostile : public QObject {
    Q_OBJECT
private slots:
    void windowAttributesOutOfRangeAreNamed_data() {
        QTest::addColumn<QString>("op");
        QTest::addColumn<QString>("attribute");
        QTest::addColumn<QList<qint64>>("values");
        QTest::addColumn<QString>("message");
        const QString k = "kernel_shape";
        QTest::newRow("conv strides 0") << "Conv" << "strides" << QList<qint64>{0, 1} << "strides [0,1] out of range (1 to 65536)";
        QTest::newRow("conv dilations 0") << "Conv" << "dilations" << QList<qint64>{1, 0} << "dilations [1,0] out of range (1 to 65536)";
        QTest::newRow("conv huge dilation") << "Conv" << "dilations" << QList<qint64>{1, qint64(1) << 40}
                                            << "dilations [1,1099511627776] out of range (1 to 65536)";
        QTest::newRow("conv negative pads") << "Conv" << "pads" << QList<qint64>{0, -5, 0, 0} << "pads [0,-5,0,0] out of range (0 to 65536)";
        QTest::newRow("conv huge pads") << "Conv" << "pads" << QList<qint64>{0, 0, qint64(1) << 62, 0}
                                        << "pads [0,0,4611686018427387904,0] out of range (0 to 65536)";
        QTest::newRow("conv three strides") << "Conv" << "strides" << QList<qint64>{1, 1, 1} << "strides [1,1,1] must have 2 values";
        QTest::newRow("maxpool strides 0") << "MaxPool" << "strides" << QList<qint64>{0, 0} << "strides [0,0] out of range (1 to 65536)";
        // ConvTranspose had lower bounds only: strides of 2^40 overflowed in * stride.
        QTest::newRow("convtranspose huge strides") << "ConvTranspose" << "strides" << QList<qint64>{qint64(1) << 40, 1}
                                                    << "strides [1099511627776,1] out of range (1 to 65536)";
        QTest::newRow("convtranspose huge dilations") << "ConvTranspose" << "dilations" << QList<qint64>{1, qint64(1) << 62}
                                                      << "dilations [1,4611686018427387904] out of range (1 to 65536)";
        QTest::newRow("convtranspose huge pads") << "ConvTranspose" << "pads" << QList<qint64>{0, 0, qint64(1) << 62, 0}
                                                 << "pads [0,0,4611686018427387904,0] out of range (0 to 65536)";
        QTest::newRow("convtranspose huge output_padding") << "ConvTranspose" << "output_padding" << QList<qint64>{qint64(1) << 62, 0}
                                                           << "output_padding [4611686018427387904,0] out of range (0 to 65536)";
        QTest::newRow("convtranspose huge output_shape") << "ConvTranspose" << "output_shape" << QList<qint64>{qint64(1) << 62, 8}
                                                         << "output_shape [4611686018427387904,8] out of range (0 to 2147483647)";
        QTest::newRow("avgpool kernel 0") << "AveragePool" << k << QList<qint64>{0, 2} << "kernel_shape [0,2] out of range (1 to 65536)";
    }
    void windowAttributesOutOfRangeAreNamed() {
        QFETCH(QString, op);
        QFETCH(QString, attribute);
        QFETCH(QList<qint64>, values);
        QFETCH(QString, message);
        std::vector<OnnxAttr> attrs;
        if (op != "Conv" && op != "ConvTranspose" && attribute != "kernel_shape") attrs.push_back(OnnxAttr::integers("kernel_shape", {2, 2}));
        attrs.push_back(OnnxAttr::integers(attribute.toStdString(), std::vector<int64_t>(values.begin(), values.end())));
        const std::string e = importError(op.toStdString(), attrs);
        const std::string want = "hostile.onnx: node 'y' (" + op.toStdString() + "): " + message.toStdString();
        QVERIFY2(e == want, (e + "\n   expected: " + want).c_str());
    }

    // Conv's group: the input's 2 channels and the weight's 3 filters admit none but 1 (2^62 overflowed
    // weight channels * group before it was bounded by the input's channels).
    void hostileConvGroupsAreNamed() {
        for (int64_t group : {int64_t(0), int64_t(-1), int64_t(2), int64_t(3), int64_t(1) << 62}) {
            const std::string e = importError("Conv", {OnnxAttr::integer("group", group)});
            const std::string want = "hostile.onnx: node 'y' (Conv): group=" + std::to_string(group) + " is not supported";
            QVERIFY2(e.rfind(want, 0) == 0, (e + "\n   expected: " + want).c_str());
        }
    }

    // A graph input whose declared dimension is 2^62 (shape arithmetic overflowed): refused by the
    // reader, naming the value.
    void hugeDeclaredDimensionsAreRefused() {
        OnnxGraph g("huge");
        g.input("x", kOnnxFloat, {{-1, "batch"}, {int64_t(1) << 62, {}}});
        g.node("Relu", {"x"}, "y");
        g.output("y", kOnnxFloat, {{-1, "batch"}, {4, {}}});
        try {
            importOnnxModel(parseOnnxModel(g.modelBytes(OnnxModelInfo{}), "huge.onnx"), "huge.onnx");
            QFAIL("imported");
        } catch (const StrataError& e) {
            QVERIFY2(std::string(e.what()).find("a dimension of value 'x' is 4611686018427387904, outside 0 to 2147483647") !=
                         std::string::npos,
                     e.what());
        }
    }

    void opsetsOutsideSevenToSeventeenAreRefused() {
        for (int64_t opset : {6, 18}) {
            const std::string e = parseError(reluModel(opset));
            const std::string want = "hostile.onnx: opset " + std::to_string(opset) +
                                     " of the default ONNX domain is not supported (Strata reads opsets 7 to 17)";
            QVERIFY2(e == want, e.c_str());
        }
        ::onnx::ModelProto none = reluModel();
        none.clear_opset_import();
        QCOMPARE(parseError(none), std::string("hostile.onnx: the model imports no opset of the default ONNX domain (ai.onnx)"));
        for (int64_t opset : {7, 17}) QCOMPARE(parseError(reluModel(opset)), std::string("(parsed)"));
    }

    void tensorsTheReaderCannotUseAreNamed() {
        ::onnx::ModelProto external = reluModel();
        ::onnx::TensorProto& w = *external.mutable_graph()->mutable_initializer(0);
        w.clear_raw_data();
        w.set_data_location(::onnx::TensorProto::EXTERNAL);
        ::onnx::StringStringEntryProto& where = *w.add_external_data();
        where.set_key("location");
        where.set_value("../../etc/passwd");
        QCOMPARE(parseError(external), std::string("hostile.onnx: tensor 'w' keeps its data in an external file, which is not supported"));

        ::onnx::ModelProto half = reluModel();
        half.mutable_graph()->mutable_initializer(0)->set_data_type(::onnx::TensorProto::FLOAT16);
        QCOMPARE(parseError(half), std::string("hostile.onnx: tensor 'w' has element type 10 (only float32, float64, int32 and int64 are read)"));

        ::onnx::ModelProto cut = reluModel();
        cut.mutable_graph()->mutable_initializer(0)->mutable_raw_data()->resize(7);
        QCOMPARE(parseError(cut), std::string("hostile.onnx: tensor 'w' has 7 bytes of raw_data, its shape needs 16"));
    }

    // What the ONNX checker refuses is an error naming the file and quoting the checker, on one line.
    void checkerRefusalsAreNamed() {
        ::onnx::ModelProto undefined = reluModel();
        undefined.mutable_graph()->mutable_node(0)->set_input(0, "nowhere");
        const std::string e = parseError(undefined);
        QVERIFY2(e.rfind("hostile.onnx: the ONNX checker refuses the model: ", 0) == 0 && e.find("nowhere") != std::string::npos &&
                     e.find('\n') == std::string::npos,
                 e.c_str());
        ::onnx::ModelProto unknown = reluModel();
        unknown.mutable_graph()->mutable_node(0)->set_op_type("NoSuchOp");
        const std::string u = parseError(unknown);
        QVERIFY2(u.rfind("hostile.onnx: the ONNX checker refuses the model: No Op registered for NoSuchOp", 0) == 0, u.c_str());
    }

    // A stride of 0 inside a subgraph (an If branch) is refused before libonnx's shape inference
    // divides by it.
    void zeroStridesInSubgraphsAreRefused() {
        ::onnx::ModelProto m = reluModel();
        ::onnx::NodeProto& branch = *m.mutable_graph()->add_node();
        branch.set_op_type("If");
        branch.set_name("if");
        branch.add_input("x");
        branch.add_output("z");
        ::onnx::AttributeProto& a = *branch.add_attribute();
        a.set_name("then_branch");
        a.set_type(::onnx::AttributeProto::GRAPH);
        ::onnx::NodeProto& pool = *a.mutable_g()->add_node();
        pool.set_op_type("MaxPool");
        pool.add_input("x");
        pool.add_output("p");
        ::onnx::AttributeProto& strides = *pool.add_attribute();
        strides.set_name("strides");
        strides.set_type(::onnx::AttributeProto::INTS);
        strides.add_ints(0);
        strides.add_ints(1);
        QCOMPARE(parseError(m), std::string("hostile.onnx: node 'p' (MaxPool): strides [0,1] out of range (1 to 65536)"));
    }

    // A graph output no node, input or initializer produces: libonnx 1.12's graph import (the
    // version converter's first step, opsets 7 to 12) dereferenced its missing producer (SEGV,
    // found by fuzz_onnx). Refused before libonnx sees it, naming the output.
    // Shape arithmetic on an empty constant broadcast with a one-element one read past the empty
    // one's data (found by fuzz_onnx; its reproducer is a seed of tests/fuzz/corpus/fuzz_onnx).
    void emptyConstantsInShapeArithmeticAreNamed() {
        for (const char* op : {"Add", "Equal"}) {
            OnnxGraph g("hostile");
            g.input("x", kOnnxFloat, {{-1, "batch"}, {4, {}}});
            const std::string empty = g.int64Initializer("empty", {}), one = g.int64Initializer("one", {2});
            g.node(op, {empty, one}, "shape");
            g.node("Reshape", {"x", "shape"}, "y");
            g.output("y", kOnnxFloat, {{-1, "batch"}, {4, {}}});
            std::string why = "(imported)";
            try {
                importOnnxModel(parseOnnxModel(g.modelBytes(OnnxModelInfo{}), "hostile.onnx"), "hostile.onnx");
            } catch (const StrataError& e) {
                why = e.what();
            }
            QVERIFY2(why.find("an empty constant (shapes [0] and [1]) is not supported here") != std::string::npos, why.c_str());
        }
    }

    void graphOutputsNothingProducesAreNamed() {
        for (int64_t opset : {9, 13}) {
            ::onnx::ModelProto m = reluModel(opset);
            m.mutable_graph()->mutable_output(0)->set_name("z");
            QCOMPARE(parseError(m), std::string("hostile.onnx: graph output 'z' is produced by no node, input or initializer"));
        }
    }

    // Weights whose rank libonnx's shape functions trust: a rank-1 ConvTranspose weight (libonnx
    // read its dim 1: SEGV, found by fuzz_onnx), and a Conv without kernel_shape whose rank-5 weight
    // made it read a fifth input dim. Shape inference (run for opsets below 13, for the version
    // converter) fails for that node instead, and the importer names it; nothing crashes.
    void weightsOfTheWrongRankAreNamed_data() {
        QTest::addColumn<QString>("op");
        QTest::addColumn<QList<qint64>>("weight");
        QTest::addColumn<qint64>("opset");
        for (qint64 opset : {9, 12, 13}) {
            const QByteArray o = QByteArray::number(opset);
            QTest::newRow("convtranspose rank-1 weight, opset " + o) << "ConvTranspose" << QList<qint64>{3} << opset;
            QTest::newRow("convtranspose rank-2 weight, opset " + o) << "ConvTranspose" << QList<qint64>{2, 3} << opset;
            QTest::newRow("conv rank-5 weight, opset " + o) << "Conv" << QList<qint64>{3, 2, 3, 3, 3} << opset;
            QTest::newRow("conv rank-1 weight, opset " + o) << "Conv" << QList<qint64>{3} << opset;
        }
    }
    void weightsOfTheWrongRankAreNamed() {
        QFETCH(QString, op);
        QFETCH(QList<qint64>, weight);
        QFETCH(qint64, opset);
        OnnxGraph g("rank");
        g.input("x", kOnnxFloat, {{-1, "batch"}, {2, {}}, {8, {}}, {8, {}}});
        const std::vector<int64_t> dims(weight.begin(), weight.end());
        int64_t count = 1;
        for (int64_t d : dims) count *= d;
        g.node(op.toStdString(), {"x", g.initializer("w", dims, std::vector<float>(size_t(count), 0.1f))}, "y");
        g.output("y", kOnnxFloat, {{-1, "batch"}, {3, {}}, {-1, {}}, {-1, {}}});
        OnnxModelInfo info;
        info.opset = opset;
        try {
            importOnnxModel(parseOnnxModel(g.modelBytes(info), "rank.onnx"), "rank.onnx");
            QFAIL("imported");
        } catch (const StrataError& e) {
            const std::string want = "rank.onnx: node 'y' (" + op.toStdString() + "): ";
            QVERIFY2(std::string(e.what()).rfind(want, 0) == 0, (std::string(e.what()) + "\n   expected: " + want + "...").c_str());
        }
    }

    // 20,000 nodes of one name did not finish (a quadratic search for a free suffix); now they
    // import as relu, relu_1, ... in linear time (CTest's timeout is the bound).
    void twentyThousandNodesOfOneName() {
        OnnxGraph g("chain");
        g.input("x", kOnnxFloat, {{-1, "batch"}, {4, {}}});
        std::string prev = "x";
        for (int i = 0; i < 20000; ++i) {
            const std::string out = "n" + std::to_string(i) + "/same/Tanh"; // node names are their outputs'; layer part "same"
            g.node("Tanh", {prev}, out);
            prev = out;
        }
        g.output(prev, kOnnxFloat, {{-1, "batch"}, {4, {}}});
        const ImportedModel m = importOnnxModel(parseOnnxModel(g.modelBytes(OnnxModelInfo{}), "chain.onnx"), "chain.onnx");
        QCOMPARE(m.spec.layers.size(), std::size_t(20001));
        QCOMPARE(m.spec.layers[1].name, std::string("same"));
        QCOMPARE(m.spec.layers[2].name, std::string("same_1"));
        QCOMPARE(m.spec.layers[19999].name, std::string("same_19998"));
    }
};

QTEST_GUILESS_MAIN(TestOnnxHostile)
#include "tst_onnx_hostile.moc"
