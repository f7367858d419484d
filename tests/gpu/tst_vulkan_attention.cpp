// The attention layers (MultiHeadAttention, Dot, RepeatVector, PositionEmbedding) on the Vulkan
// backend against the CPU backend: outputs and the gradients with respect to every input and
// trainable variable, in a training trace (MultiHeadAttention's attention-probability dropout
// active, the same Philox masks on both), with the Khronos validation layer on (lavapipe in CI).
// The layers emit BatchMatMul (the batched GEMM kernels), Softmax, Transpose and Reshape.
#include "tests/support/RequiredTools.h"
#include "VulkanTestSupport.h"

#include "engine/Model.h"
#include "engine/cpu/CpuBackend.h"
#include "engine/ir/Autodiff.h"
#include "engine/train/Tracer.h"
#include "tests/support/LayerExamples.h"

#include <cmath>

using namespace strata;

namespace {

// A small transformer block: positions added, causal self-attention with dropout, a residual,
// cross-attention onto the other input (its own key), Dot of the two streams, RepeatVector.
const char* kBlock = R"({"format": "strata.model/1", "name": "attn", "inputs": ["x", "m"], "outputs": ["scores", "rep"], "layers": [
  {"name": "x", "type": "Input", "config": {"shape": [7, 8]}},
  {"name": "m", "type": "Input", "config": {"shape": [5, 6]}},
  {"name": "pos", "type": "PositionEmbedding", "config": {"sequence_length": 9}, "inbound": ["x"]},
  {"name": "h", "type": "Add", "inbound": ["x", "pos"]},
  {"name": "self", "type": "MultiHeadAttention", "config": {"num_heads": 4, "key_dim": 8, "dropout": 0.3, "seed": 11, "use_causal_mask": true}, "inbound": ["h", "h"]},
  {"name": "res", "type": "Add", "inbound": ["h", "self"]},
  {"name": "cross", "type": "MultiHeadAttention", "config": {"num_heads": 2, "key_dim": 5, "value_dim": 3}, "inbound": ["res", "m", "m"]},
  {"name": "scores", "type": "Dot", "config": {"axes": 2, "normalize": true}, "inbound": ["cross", "res"]},
  {"name": "pooled", "type": "GlobalAveragePooling1D", "inbound": ["cross"]},
  {"name": "rep", "type": "RepeatVector", "config": {"n": 3}, "inbound": ["pooled"]}]})";

// Every output, then the gradients of sum over outputs of sum(y * w) on `be` for the model's
// training trace (inputs with no gradient, PositionEmbedding's, skipped).
std::vector<Tensor> outputsAndGradients(ir::Backend& be, const Model& model, int64_t batch) {
    train::Signature sig{{}, true};
    for (int i : model.inputIndices()) sig.inputs.push_back(model.outputShape(i).withoutFirst().prepended(batch));
    train::TracedModel t = train::traceModel(model, sig, 5);
    ir::Graph& g = t.graph;
    std::vector<ir::ValueId> wrt;
    for (const std::string& name : t.inputNames) wrt.push_back(g.findPlaceholder(name));
    for (const Variable* v : model.variables())
        if (v->isEffectivelyTrainable()) wrt.push_back(g.findVariable(v->path()));
    ir::ValueId loss = ir::kNoValue;
    for (ir::ValueId y : t.outputs) {
        const Shape out = g.shape(y);
        std::vector<float> w(std::size_t(out.numElements()));
        for (std::size_t i = 0; i < w.size(); ++i) w[i] = 0.5f + 0.25f * float(i % 5) - (i % 3 == 0 ? 1.0f : 0.0f);
        const ir::ValueId term = g.reduceSumAll(g.mul(y, g.constant(Tensor::fromVector(out, w))));
        loss = loss == ir::kNoValue ? term : g.add(loss, term);
    }
    std::vector<ir::ValueId> fetch = t.outputs;
    for (ir::ValueId d : ir::gradients(g, loss, wrt))
        if (d != ir::kNoValue) fetch.push_back(d);
    for (const Variable* v : model.variables()) be.setVariable(v->path(), v->value());
    be.setVariable("optimizer/iter", Tensor::fromVector(Shape{}, std::vector<int32_t>{3}));
    auto plan = be.prepare(g, fetch);
    std::vector<Tensor> xs;
    std::vector<ir::Feed> feeds;
    for (std::size_t k = 0; k < sig.inputs.size(); ++k) {
        std::vector<float> x(std::size_t(sig.inputs[k].numElements()));
        for (std::size_t i = 0; i < x.size(); ++i) x[i] = std::sin(float(i) * 0.7f + float(k)) + 0.1f * float(i % 4);
        xs.push_back(Tensor::fromVector(sig.inputs[k], x));
    }
    for (std::size_t k = 0; k < xs.size(); ++k) feeds.push_back({t.inputNames[k], ir::TensorView(xs[k])});
    return be.run(*plan, feeds);
}

} // namespace

class TestVulkanAttention : public QObject {
    Q_OBJECT
    std::unique_ptr<gpu::VulkanBackend> vk_;
    std::string why_;

private slots:
    void initTestCase() { vk_ = vktest::makeBackend(why_); }
    void cleanup() {
        if (vk_) VK_VERIFY_CLEAN(*vk_);
    }

    void matchesTheCpu_data() {
        QTest::addColumn<QString>("spec");
        for (const char* type : {"MultiHeadAttention", "Dot", "RepeatVector", "PositionEmbedding"})
            QTest::newRow(type) << QString::fromStdString(test::layerExampleSpec(type).toJson().dump());
        QTest::newRow("attention block") << QString(kBlock);
    }
    void matchesTheCpu() {
        if (!vk_) STRATA_SKIP_UNLESS_REQUIRED(why_);
        QFETCH(QString, spec);
        auto model = Model::fromSpec(ModelSpec::fromJson(nlohmann::json::parse(spec.toStdString())));
        model->build(3);
        cpu::CpuBackend cpu(1);
        const std::vector<Tensor> want = outputsAndGradients(cpu, *model, 4), got = outputsAndGradients(*vk_, *model, 4);
        QCOMPARE(got.size(), want.size());
        for (std::size_t k = 0; k < want.size(); ++k) {
            const std::string diff = vktest::compare(got[k], want[k], 1e-4, 1e-5);
            QVERIFY2(diff.empty(), qPrintable(QString("value %1 of %2: %3").arg(k).arg(want.size()).arg(diff.c_str())));
        }
    }
};

QTEST_APPLESS_MAIN(TestVulkanAttention)
#include "tst_vulkan_attention.moc"
