// Modules and models: recursive variable collection through nested blocks, object paths,
// freezing, Sequential and functional models built from specs.
#include "engine/Model.h"
#include "engine/layers/Block.h"

#include <QtTest>

using namespace strata;

namespace {
// The guide's SimpleModule: one trainable and one non-trainable variable.
class SimpleModule : public Module {
public:
    explicit SimpleModule(std::string name) : Module(std::move(name)) {
        addVariable("train_me", Shape{}, DType::F32, true, "ones").value().fill(5.0f);
        addVariable("do_not_train_me", Shape{}, DType::F32, false, "ones").value().fill(5.0f);
    }
};

ModelSpec example(const char* name) {
    return ModelSpec::load(std::string(STRATA_TEST_DATA_DIR) + "/../../resources/examples/" + name);
}

std::vector<std::string> paths(const std::vector<Variable*>& vars) {
    std::vector<std::string> out;
    for (auto* v : vars) out.push_back(v->path());
    return out;
}

// A spec with a block nested in a block: outer/encoder/inner/dense.
ModelSpec nestedSpec() {
    nlohmann::json inner = {{"inputs", {"x"}},
                            {"outputs", {"dense"}},
                            {"layers",
                             {{{"name", "x"}, {"type", "Input"}, {"config", {{"shape", {8}}}}},
                              {{"name", "dense"}, {"type", "Dense"}, {"config", {{"units", 4}}}}}}};
    nlohmann::json encoder = {{"inputs", {"x"}},
                              {"outputs", {"norm"}},
                              {"layers",
                               {{{"name", "x"}, {"type", "Input"}, {"config", {{"shape", {6}}}}},
                                {{"name", "dense_1"}, {"type", "Dense"}, {"config", {{"units", 8}}}},
                                {{"name", "inner"}, {"type", "Block"}, {"config", {{"spec", inner}}}},
                                {{"name", "norm"}, {"type", "BatchNormalization"}}}}};
    nlohmann::json spec = {{"format", "strata.model/1"},
                           {"name", "nested"},
                           {"layers",
                            {{{"name", "in"}, {"type", "Input"}, {"config", {{"shape", {6}}}}},
                             {{"name", "encoder"}, {"type", "Block"}, {"config", {{"spec", encoder}}}},
                             {{"name", "head"}, {"type", "Dense"}, {"config", {{"units", 2}}}}}}};
    return ModelSpec::fromJson(spec);
}
} // namespace

class TestModel : public QObject {
    Q_OBJECT
private slots:
    void moduleCollectsVariablesLikeTheGuide() {
        SimpleModule m("simple");
        QCOMPARE(m.variables().size(), std::size_t(2));
        QCOMPARE(m.trainableVariables().size(), std::size_t(1));
        QCOMPARE(m.trainableVariables()[0]->name(), std::string("train_me"));
        QCOMPARE(m.nonTrainableVariables()[0]->name(), std::string("do_not_train_me"));
        QCOMPARE(m.variables()[0]->value().f32()[0], 5.0f);
    }

    void sequentialModelVariablesAndPaths() {
        auto model = Model::fromSpec(example("digits_mlp.json"));
        QVERIFY(model->isSequential());
        QVERIFY(model->variables().empty()); // not built yet
        model->build(0);
        QVERIFY(model->built());
        QCOMPARE(paths(model->variables()),
                 (std::vector<std::string>{"model/dense_1/kernel", "model/dense_1/bias", "model/probs/kernel",
                                           "model/probs/bias"}));
        QCOMPARE(model->variables()[0]->checkpointKey(), std::string("model/dense_1/kernel/.ATTRIBUTES/VARIABLE_VALUE"));
        QCOMPARE(model->paramCounts().total(), int64_t(2410));
        QCOMPARE(model->submodules().size(), std::size_t(3)); // pixels, dense_1, probs
    }

    void nestedBlocksNestPathsAndCollectRecursively() {
        auto model = Model::fromSpec(nestedSpec());
        model->build(1);
        const auto all = paths(model->variables());
        QCOMPARE(all, (std::vector<std::string>{
                          "model/encoder/dense_1/kernel", "model/encoder/dense_1/bias",
                          "model/encoder/inner/dense/kernel", "model/encoder/inner/dense/bias",
                          "model/encoder/norm/gamma", "model/encoder/norm/beta", "model/encoder/norm/moving_mean",
                          "model/encoder/norm/moving_variance", "model/head/kernel", "model/head/bias"}));
        QCOMPARE(model->trainableVariables().size(), std::size_t(8));
        QCOMPARE(paths(model->nonTrainableVariables()),
                 (std::vector<std::string>{"model/encoder/norm/moving_mean", "model/encoder/norm/moving_variance"}));
        QVERIFY(model->findVariable("encoder/inner/dense/kernel"));
        QCOMPARE(model->findVariable("encoder/inner/dense/kernel")->shape(), (Shape{8, 4}));
        // Block parameter count is the sum of its layers: 6*8+8 + 8*4+4 + 4*4(bn on 4)
        auto* encoder = static_cast<layers::Block*>(model->layer("encoder"));
        QCOMPARE(encoder->countParams({Shape{kUnknownDim, 6}}).total(), int64_t(56 + 36 + 16));
        QCOMPARE(encoder->innerLayers().size(), std::size_t(4));
        // submodules are recursive: in, encoder, x, dense_1, inner, x, dense, norm, head
        QCOMPARE(model->submodules().size(), std::size_t(9));
    }

    void freezingMovesVariablesToNonTrainable() {
        auto model = Model::fromSpec(nestedSpec());
        model->build(1);
        model->layer("encoder")->setTrainable(false);
        QCOMPARE(paths(model->trainableVariables()),
                 (std::vector<std::string>{"model/head/kernel", "model/head/bias"}));
        QCOMPARE(model->nonTrainableVariables().size(), std::size_t(8));
        model->layer("encoder")->setTrainable(true);
        model->findVariable("head/bias")->setTrainable(false);
        QCOMPARE(model->trainableVariables().size(), std::size_t(7));
        QCOMPARE(model->variables().size(), std::size_t(10)); // freezing never hides a variable
    }

    void functionalModelWithSharedInputAndMerges() {
        auto model = Model::fromSpec(example("two_branch.json"));
        QVERIFY(!model->isSequential());
        model->build(0);
        QCOMPARE(model->paramCounts().total(), int64_t(10282));
        QCOMPARE(model->paramCounts().nonTrainable, int64_t(128));
        // Topological order puts every layer after its inbound layers.
        std::vector<int> position(model->layers().size());
        for (std::size_t k = 0; k < model->order().size(); ++k) position[model->order()[k]] = int(k);
        for (std::size_t i = 0; i < model->layers().size(); ++i)
            for (int in : model->inbound(int(i))) QVERIFY(position[in] < position[i]);
        QCOMPARE(model->outputShape(model->spec().indexOf("merged")), (Shape{kUnknownDim, 64}));
    }

    void severalInputsAndOutputs() {
        auto spec = ModelSpec::fromJson(nlohmann::json::parse(R"({
          "format": "strata.model/1", "name": "multi", "inputs": ["a", "b"], "outputs": ["sum", "prod"],
          "layers": [
            {"name": "a", "type": "Input", "config": {"shape": [3]}},
            {"name": "b", "type": "Input", "config": {"shape": [3]}},
            {"name": "sum", "type": "Add", "inbound": ["a", "b"]},
            {"name": "prod", "type": "Multiply", "inbound": ["a", "b"]}
          ]})"));
        auto model = Model::fromSpec(spec);
        QCOMPARE(model->inputIndices(), (std::vector<int>{0, 1}));
        QCOMPARE(model->outputIndices(), (std::vector<int>{2, 3}));
    }

    void invalidSpecThrowsWithEveryIssue() {
        auto spec = ModelSpec::fromJson(nlohmann::json::parse(R"({
          "format": "strata.model/1", "name": "bad",
          "layers": [
            {"name": "x", "type": "Input", "config": {"shape": [3]}},
            {"name": "d", "type": "Dense", "config": {"units": 0}, "inbound": ["x"]},
            {"name": "e", "type": "Dens", "inbound": ["x"]}
          ]})"));
        try {
            Model::fromSpec(spec);
            QFAIL("expected ModelError");
        } catch (const ModelError& e) {
            QCOMPARE(e.issues().size(), std::size_t(2));
            QVERIFY(QString(e.what()).contains("d: units"));
            QVERIFY(QString(e.what()).contains("e: unknown layer type 'Dens'"));
        }
    }

    void unbuiltSummaryIsHonest() {
        auto model = Model::fromSpec(example("digits_mlp.json"));
        QVERIFY(QString::fromStdString(model->summary()).contains("Not built yet"));
        model->build();
        QVERIFY(!QString::fromStdString(model->summary()).contains("Not built yet"));
    }
};

QTEST_APPLESS_MAIN(TestModel)
#include "tst_model.moc"
