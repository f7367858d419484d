// The sequence layers (Conv1D with valid, same, causal, strided and dilated windows; the 1-D pools;
// the global 1-D pools) and the conv1d_sequence example on the Vulkan backend against the CPU
// backend: outputs and the gradients with respect to the inputs and every trainable variable, in
// a training trace, with the Khronos validation layer on (lavapipe in CI). The layers emit the 2-D
// convolution and pooling ops, so this holds them to the CPU reference on (N, 1, W, C) images.
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

const char* kLayers = R"({"format": "strata.model/1", "name": "seq", "outputs": ["out"], "layers": [
  {"name": "x", "type": "Input", "config": {"shape": [13, 3]}},
  {"name": "same", "type": "Conv1D", "config": {"filters": 4, "kernel_size": 2, "padding": "same", "dilation_rate": 3, "activation": "relu"}},
  {"name": "causal", "type": "Conv1D", "config": {"filters": 5, "kernel_size": 3, "padding": "causal", "dilation_rate": 2, "activation": "tanh"}},
  {"name": "strided", "type": "Conv1D", "config": {"filters": 4, "kernel_size": 3, "strides": 2, "padding": "same"}},
  {"name": "mp", "type": "MaxPooling1D", "config": {"pool_size": 3, "strides": 2, "padding": "same"}},
  {"name": "ap", "type": "AveragePooling1D", "config": {"pool_size": 2, "strides": 1, "padding": "same"}},
  {"name": "out", "type": "GlobalMaxPooling1D", "config": {"keepdims": true}}]})";

// Output and gradients of sum(y * w) on `be` for the model's training trace.
std::vector<Tensor> outputAndGradients(ir::Backend& be, const Model& model, int64_t batch) {
    return vktest::outputsAndGradients(be, model, batch, true, 0);
}

} // namespace

class TestVulkanSequence : public QObject {
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
        for (const char* type : {"Conv1D", "MaxPooling1D", "AveragePooling1D", "GlobalAveragePooling1D", "GlobalMaxPooling1D"})
            QTest::newRow(type) << QString::fromStdString(test::layerExampleSpec(type).toJson().dump());
        QTest::newRow("every geometry") << QString(kLayers);
        QTest::newRow("conv1d_sequence example")
            << QString::fromStdString(
                   ModelSpec::load(std::string(STRATA_TEST_DATA_DIR) + "/../../resources/examples/conv1d_sequence.json").toJson().dump());
    }
    void matchesTheCpu() {
        if (!vk_) STRATA_SKIP_UNLESS_REQUIRED(why_);
        QFETCH(QString, spec);
        auto model = Model::fromSpec(ModelSpec::fromJson(nlohmann::json::parse(spec.toStdString())));
        model->build(3);
        cpu::CpuBackend cpu(1);
        const std::vector<Tensor> want = outputAndGradients(cpu, *model, 4), got = outputAndGradients(*vk_, *model, 4);
        QCOMPARE(got.size(), want.size());
        for (std::size_t k = 0; k < want.size(); ++k) {
            const std::string diff = vktest::compare(got[k], want[k], 1e-4, 1e-5);
            QVERIFY2(diff.empty(), qPrintable(QString("%1 %2: %3").arg(k == 0 ? "output" : "gradient").arg(k).arg(diff.c_str())));
        }
    }
};

QTEST_APPLESS_MAIN(TestVulkanSequence)
#include "tst_vulkan_sequence.moc"
