// Name scopes of traced graphs: every node knows the module that emitted it (its object path),
// a block's inner ops carry the nested path, and the training graph's loss, gradient and
// optimizer ops are in "loss", "gradients/<forward scope>" and "optimizer/<owner path>".
#include "engine/Model.h"
#include "engine/ir/Optimizers.h"
#include "engine/ir/ScopeGuard.h"
#include "engine/train/Trainer.h"

#include <QtTest>

#include <filesystem>
#include <set>

using namespace strata;

namespace {
std::filesystem::path examplesDir() { return std::filesystem::path(STRATA_TEST_DATA_DIR) / "../../resources/examples"; }

std::unique_ptr<Model> builtExample(const std::string& file) {
    auto model = Model::fromSpec(ModelSpec::load((examplesDir() / file).string()));
    model->build(0);
    return model;
}

std::set<std::string> modulePaths(const Model& m) {
    std::set<std::string> paths{m.path()};
    for (Module* sub : m.submodules()) paths.insert(sub->path());
    return paths;
}

train::Signature signatureOf(const Model& m, int64_t batch, bool training) {
    train::Signature sig;
    sig.training = training;
    for (int i : m.inputIndices()) {
        std::vector<int64_t> dims = m.outputShape(i).dims();
        dims[0] = batch;
        sig.inputs.emplace_back(dims);
    }
    return sig;
}

// Whether `scope` is a module path, or a known scope outside the model built on one.
bool knownScope(const std::string& scope, const std::set<std::string>& modules) {
    if (modules.count(scope) || scope == ir::kLossScope || scope == ir::kGradientsScope || scope == ir::kOptimizerScope)
        return true;
    for (const std::string& prefix : {ir::kGradientsScope + "/", ir::kOptimizerScope + "/"})
        if (scope.rfind(prefix, 0) == 0) return knownScope(scope.substr(prefix.size()), modules);
    return false;
}

// The first node of op `op` in scope `scope`, or -1.
int findNode(const ir::Graph& g, ir::OpKind op, const std::string& scope) {
    for (int n = 0; n < g.nodeCount(); ++n)
        if (g.node(n).op == op && g.node(n).scope == scope) return n;
    return -1;
}

QStringList exampleFiles() {
    QStringList files;
    for (const auto& e : std::filesystem::directory_iterator(examplesDir()))
        if (e.path().extension() == ".json") files << QString::fromStdString(e.path().filename().string());
    files.sort();
    return files;
}
} // namespace

class TestScopes : public QObject {
    Q_OBJECT
private slots:
    void everyForwardNodeIsInAModuleScope_data() {
        QTest::addColumn<QString>("file");
        QTest::addColumn<bool>("training");
        const QStringList files = exampleFiles();
        QVERIFY(files.size() >= 5);
        for (const QString& f : files) {
            QTest::newRow(qPrintable(f + " inference")) << f << false;
            QTest::newRow(qPrintable(f + " training")) << f << true;
        }
    }
    void everyForwardNodeIsInAModuleScope() {
        QFETCH(QString, file);
        QFETCH(bool, training);
        auto model = builtExample(file.toStdString());
        const auto modules = modulePaths(*model);
        const auto t = train::traceModel(*model, signatureOf(*model, 4, training), 0);
        const ir::Graph& g = t.graph;
        QVERIFY(g.nodeCount() > 0);
        for (int n = 0; n < g.nodeCount(); ++n) {
            const std::string& s = g.node(n).scope;
            QVERIFY2(!s.empty(), qPrintable(QStringLiteral("node %1 (%2) has no scope").arg(n).arg(ir::opName(g.node(n).op).data())));
            QVERIFY2(modules.count(s), qPrintable(QStringLiteral("node %1: '%2' is not a module path").arg(n).arg(s.c_str())));
        }
        QVERIFY(g.scope().empty()); // the tracer leaves no scope behind
        // A layer's variable reads are in that layer's scope.
        for (ir::ValueId v : g.variables()) {
            const std::string path = g.variablePath(v);
            if (path == ir::kIterationsPath) continue; // read by Dropout, in the dropout layer's scope
            QCOMPARE(g.producer(v).scope, path.substr(0, path.rfind('/')));
        }
    }

    void denseOpsAreInTheLayersScope() {
        auto model = builtExample("digits_mlp.json");
        const auto t = train::traceModel(*model, signatureOf(*model, 8, false), 0);
        const ir::Graph& g = t.graph;
        const int matmul = findNode(g, ir::OpKind::MatMul, "model/dense_1");
        QVERIFY(matmul >= 0);
        QCOMPARE(g.variablePath(g.node(matmul).inputs[1]), std::string("model/dense_1/kernel"));
        QVERIFY(findNode(g, ir::OpKind::Add, "model/dense_1") > matmul);
        QVERIFY(findNode(g, ir::OpKind::Relu, "model/dense_1") > matmul);
        QVERIFY(findNode(g, ir::OpKind::MatMul, "model/probs") > matmul);
        QCOMPARE(g.producer(g.findPlaceholder("pixels")).scope, std::string("model/pixels"));
        QCOMPARE(g.producer(t.outputs[0]).scope, std::string("model/probs"));
    }

    void blockOpsCarryTheNestedPath() {
        auto model = builtExample("autoencoder.json");
        const auto t = train::traceModel(*model, signatureOf(*model, 2, false), 0);
        const ir::Graph& g = t.graph;
        std::set<std::string> scopes;
        for (int n = 0; n < g.nodeCount(); ++n) scopes.insert(g.node(n).scope);
        for (const char* s : {"model/encoder/dense", "model/encoder/code", "model/decoder/dense", "model/decoder/reconstruction"})
            QVERIFY2(scopes.count(s), s);
        QVERIFY(!scopes.count("model/encoder")); // a block emits nothing itself: its layers do
        const int matmul = findNode(g, ir::OpKind::MatMul, "model/encoder/dense");
        QVERIFY(matmul >= 0);
        QCOMPARE(g.variablePath(g.node(matmul).inputs[1]), std::string("model/encoder/dense/kernel"));
    }

    void trainingGraphScopes_data() {
        QTest::addColumn<QString>("file");
        QTest::addColumn<QString>("optimizer");
        QTest::newRow("digits adam") << "digits_mlp.json" << "adam";
        QTest::newRow("two_branch sgd momentum") << "two_branch.json" << "sgd";
        QTest::newRow("mnist_cnn rmsprop") << "mnist_cnn.json" << "rmsprop";
        QTest::newRow("autoencoder adamw") << "autoencoder.json" << "adamw";
    }
    void trainingGraphScopes() {
        QFETCH(QString, file);
        QFETCH(QString, optimizer);
        auto model = builtExample(file.toStdString());
        const auto modules = modulePaths(*model);
        const auto t = train::traceModel(*model, signatureOf(*model, 4, true), 0);
        ir::Graph g = t.graph;
        const Shape out = g.shape(t.outputs[0]);
        const bool regression = file == "autoencoder.json";
        const ir::ValueId loss = regression ? train::appendLoss(g, t, "mean_squared_error", false, DType::F32, out)
                                            : train::appendLoss(g, t, "sparse_categorical_crossentropy", false,
                                                                DType::I32, Shape{out[0]});
        QCOMPARE(g.producer(loss).scope, ir::kLossScope);
        QCOMPARE(g.producer(g.findPlaceholder("labels")).scope, ir::kLossScope);
        QVERIFY(g.scope().empty());
        std::vector<std::string> trainable;
        for (Variable* v : model->trainableVariables()) trainable.push_back(v->path());
        ir::OptimizerConfig config = ir::OptimizerConfig::defaults(optimizer.toStdString());
        config.momentum = 0.9;
        const auto tg = ir::buildTrainingGraphs(g, loss, trainable, config);
        const ir::Graph& u = tg.update;
        QVERIFY(u.scope().empty());
        std::set<std::string> scopes;
        for (int n = 0; n < u.nodeCount(); ++n) {
            const std::string& s = u.node(n).scope;
            QVERIFY2(knownScope(s, modules), qPrintable(QStringLiteral("node %1 (%2): unknown scope '%3'")
                                                            .arg(n).arg(ir::opName(u.node(n).op).data()).arg(s.c_str())));
            scopes.insert(s);
        }
        QVERIFY(scopes.count("gradients/loss"));
        QVERIFY(scopes.count("optimizer"));
        // Every trainable variable's gradient comes from its layer's gradient scope, and its
        // update from the optimizer scope of its owner.
        for (std::size_t i = 0; i < tg.trainable.size(); ++i) {
            const std::string owner = tg.trainable[i].substr(0, tg.trainable[i].rfind('/'));
            QCOMPARE(u.producer(tg.gradients[i]).scope, ir::gradientScope(owner));
            QVERIFY2(scopes.count(ir::optimizerScope(tg.trainable[i])), tg.trainable[i].c_str());
        }
        for (const ir::Assignment& a : u.assignments()) {
            const std::string& s = u.producer(a.value).scope;
            const bool optimizerState = a.path.rfind(ir::kOptimizerScope + "/", 0) == 0 ||
                                        a.path.find("/.OPTIMIZER_SLOT/") != std::string::npos;
            const bool trained = std::find(trainable.begin(), trainable.end(), a.path) != trainable.end();
            if (optimizerState || trained) QVERIFY2(s.rfind(ir::kOptimizerScope, 0) == 0, a.path.c_str());
            else QVERIFY2(modules.count(s), a.path.c_str()); // a moving average: its batch-norm layer
        }
    }

    void scopeGuardRestoresTheScope() {
        ir::Graph g;
        ir::ValueId x = g.placeholder("x", {2, 3});
        {
            ir::ScopeGuard outer(g, "model/a");
            g.relu(x);
            {
                ir::ScopeGuard inner(g, "model/a/b");
                g.neg(x);
            }
            g.exp(x);
        }
        g.log(x);
        QCOMPARE(g.node(0).scope, std::string());
        QCOMPARE(g.node(1).scope, std::string("model/a"));
        QCOMPARE(g.node(2).scope, std::string("model/a/b"));
        QCOMPARE(g.node(3).scope, std::string("model/a"));
        QCOMPARE(g.node(4).scope, std::string());
        QCOMPARE(ir::gradientScope(""), std::string("gradients"));
        QCOMPARE(ir::optimizerScope("model/enc/dense/kernel"), std::string("optimizer/model/enc/dense"));
        QCOMPARE(ir::optimizerScope("w"), std::string("optimizer"));
    }

    void dumpsNameTheScope() {
        auto model = builtExample("digits_mlp.json");
        const auto t = train::traceModel(*model, signatureOf(*model, 8, false), 0);
        const std::string text = t.graph.toText();
        QVERIFY2(text.find("float32  # model/dense_1\n") != std::string::npos, text.c_str());
        const nlohmann::json j = t.graph.toJson();
        const int matmul = findNode(t.graph, ir::OpKind::MatMul, "model/dense_1");
        QCOMPARE(j["nodes"][std::size_t(matmul)]["scope"].get<std::string>(), std::string("model/dense_1"));
        QCOMPARE(j["nodes"][0]["scope"].get<std::string>(), std::string("model/pixels"));
    }
};

QTEST_APPLESS_MAIN(TestScopes)
#include "tst_scopes.moc"
