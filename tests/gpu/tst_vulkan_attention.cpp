// The attention layers (MultiHeadAttention, Dot, RepeatVector, PositionEmbedding) on the Vulkan
// backend against the CPU backend: outputs and the gradients with respect to every input and
// trainable variable, in a training trace (MultiHeadAttention's attention-probability dropout
// active, the same Philox masks on both), with the Khronos validation layer on (lavapipe in CI).
// The layers emit BatchMatMul (the batched GEMM kernels), Softmax, Transpose and Reshape.
#include "tests/support/RequiredTools.h"
#include "TrainingTrace.h"
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
    return vktest::outputsAndGradients(be, model, batch, true, 3);
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
