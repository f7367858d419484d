// Masks on the Vulkan backend against the CPU backend: Embedding(mask_zero) into a masked LSTM
// and GlobalAveragePooling1D, a Bidirectional GRU, and MultiHeadAttention with query, value and
// causal masks (dropout active: the masked-softmax path); outputs and the gradients of every
// trainable variable in a training trace, with the Khronos validation layer on (lavapipe in CI).
// Masks are made of existing ops (Abs, Clip, Floor, Mul, Add, Sub; engine/Masks.h).
#include "tests/support/RequiredTools.h"
#include "TrainingTrace.h"
#include "VulkanTestSupport.h"

#include "engine/Model.h"
#include "engine/cpu/CpuBackend.h"
#include "engine/ir/Autodiff.h"
#include "engine/train/Tracer.h"

#include <cmath>

using namespace strata;

namespace {

const char* kRecurrent = R"({"format": "strata.model/1", "name": "rnn", "inputs": ["ids"], "outputs": ["dense"], "layers": [
  {"name": "ids", "type": "Input", "config": {"shape": [6], "dtype": "int32"}},
  {"name": "emb", "type": "Embedding", "config": {"input_dim": 7, "output_dim": 5, "mask_zero": true}},
  {"name": "lstm", "type": "LSTM", "config": {"units": 4, "return_sequences": true}},
  {"name": "bi", "type": "Bidirectional", "config": {"layer": {"type": "GRU", "config": {"units": 3, "return_sequences": true, "go_backwards": true}}}},
  {"name": "pool", "type": "GlobalAveragePooling1D"},
  {"name": "dense", "type": "Dense", "config": {"units": 3}}]})";

const char* kAttention = R"({"format": "strata.model/1", "name": "att", "inputs": ["q", "v"], "outputs": ["pool"], "layers": [
  {"name": "q", "type": "Input", "config": {"shape": [6], "dtype": "int32"}},
  {"name": "v", "type": "Input", "config": {"shape": [6], "dtype": "int32"}},
  {"name": "qe", "type": "Embedding", "config": {"input_dim": 7, "output_dim": 8, "mask_zero": true}, "inbound": ["q"]},
  {"name": "ve", "type": "Embedding", "config": {"input_dim": 7, "output_dim": 8, "mask_zero": true}, "inbound": ["v"]},
  {"name": "mha", "type": "MultiHeadAttention", "config": {"num_heads": 2, "key_dim": 4, "dropout": 0.2, "seed": 5, "use_causal_mask": true}, "inbound": ["qe", "ve"]},
  {"name": "norm", "type": "LayerNormalization", "inbound": ["mha"]},
  {"name": "pool", "type": "GlobalAveragePooling1D", "inbound": ["norm"]}]})";

// Padding at the end, the start and the middle (every sample has a real step: a masked average
// of none is 0 / 0 in Keras); the values of the first sample are all padding (a fully masked row).
std::vector<int32_t> ids(std::size_t input) {
    if (input == 0) return {1, 2, 3, 0, 0, 0, /**/ 0, 0, 4, 5, 6, 1, /**/ 3, 0, 2, 0, 6, 4, /**/ 5, 0, 0, 0, 0, 0};
    return {0, 0, 0, 0, 0, 0, /**/ 1, 2, 3, 0, 0, 0, /**/ 0, 0, 4, 5, 6, 1, /**/ 3, 0, 2, 0, 6, 4};
}

std::vector<Tensor> outputsAndGradients(ir::Backend& be, const Model& model) {
    return vktest::outputsAndGradients(be, model, 4, false, 3, [](std::size_t k, const Shape& s) { return Tensor::fromVector(s, ids(k)); });
}

} // namespace

class TestVulkanMasks : public QObject {
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
        QTest::newRow("Embedding mask_zero, LSTM, Bidirectional GRU, pooling") << QString(kRecurrent);
        QTest::newRow("MultiHeadAttention with masks") << QString(kAttention);
    }
    void matchesTheCpu() {
        if (!vk_) STRATA_SKIP_UNLESS_REQUIRED(why_);
        QFETCH(QString, spec);
        auto model = Model::fromSpec(ModelSpec::fromJson(nlohmann::json::parse(spec.toStdString())));
        model->build(3);
        cpu::CpuBackend cpu(1);
        const std::vector<Tensor> want = outputsAndGradients(cpu, *model), got = outputsAndGradients(*vk_, *model);
        QCOMPARE(got.size(), want.size());
        for (std::size_t k = 0; k < want.size(); ++k) {
            for (int64_t i = 0; i < want[k].size(); ++i) QVERIFY(std::isfinite(want[k].f32()[i]));
            const std::string diff = vktest::compare(got[k], want[k], 1e-4, 1e-5);
            QVERIFY2(diff.empty(), qPrintable(QString("value %1 of %2: %3").arg(k).arg(want.size()).arg(diff.c_str())));
        }
    }
};

QTEST_APPLESS_MAIN(TestVulkanMasks)
#include "tst_vulkan_masks.moc"
