// Every op of the IR on the Vulkan backend against the CPU backend, forward and backward, built
// from the CPU op tables (tests/engine/ir/OpCases*.h): a new op row is checked here by
// construction (ggml test-backend-ops style). Runs on any Vulkan device with validation on.
#include "tests/support/RequiredTools.h"
#include "../engine/ir/OpCasesElementwise.h"
#include "../engine/ir/OpCasesNn.h"
#include "VulkanTestSupport.h"

#include "engine/cpu/CpuBackend.h"
#include "engine/ir/Autodiff.h"

using namespace optest;
using strata::ir::Backend;
using strata::ir::Feed;

namespace {

const std::vector<OpCase>& allCases() {
    static const std::vector<OpCase> cases = [] {
        auto c = elementwiseCases();
        for (auto& n : nnCases()) c.push_back(std::move(n));
        return c;
    }();
    return cases;
}

struct Built {
    Graph g;
    std::vector<ValueId> inputs;
    ValueId y = strata::ir::kNoValue;
    Inputs values;
};

Built build(const OpCase& c, uint32_t seed) {
    Built b;
    for (std::size_t i = 0; i < c.inputs.size(); ++i) {
        b.values.push_back(makeInput(c.inputs[i], seed + uint32_t(i) * 7919u));
        b.inputs.push_back(b.g.variable("in" + std::to_string(i), c.inputs[i].shape, b.values.back().dtype()));
    }
    b.y = c.build(b.g, b.inputs);
    return b;
}

std::vector<Tensor> runOn(Backend& be, const Built& b, const std::vector<ValueId>& outs) {
    for (std::size_t i = 0; i < b.values.size(); ++i) be.setVariable("in" + std::to_string(i), b.values[i]);
    auto plan = be.prepare(b.g, outs);
    return be.run(*plan, std::span<const Feed>{});
}

} // namespace

class TestVulkanOps : public QObject {
    Q_OBJECT

    std::unique_ptr<strata::gpu::VulkanBackend> vk_;
    std::string why_;

    void rows(bool gradient) {
        QTest::addColumn<int>("index");
        for (std::size_t i = 0; i < allCases().size(); ++i)
            if (!gradient || allCases()[i].gradient) QTest::newRow(allCases()[i].name.c_str()) << int(i);
    }

private slots:
    void initTestCase() {
        vk_ = vktest::makeBackend(why_);
        if (vk_) qInfo("Vulkan device: %s", vk_->device().summary().c_str());
    }
    void cleanup() {
        if (vk_) VK_VERIFY_CLEAN(*vk_);
    }

    void forwardMatchesCpu_data() { rows(false); }
    void forwardMatchesCpu() {
        if (!vk_) STRATA_SKIP_UNLESS_REQUIRED(why_);
        QFETCH(int, index);
        const OpCase& c = allCases()[std::size_t(index)];
        Built b = build(c, uint32_t(index) + 1);
        strata::cpu::CpuBackend cpu(1);
        const Tensor want = runOn(cpu, b, {b.y})[0];
        const Tensor got = runOn(*vk_, b, {b.y})[0];
        const std::string diff = vktest::compare(got, want);
        if (!diff.empty()) QFAIL(qPrintable(QString("%1: %2").arg(c.name.c_str(), diff.c_str())));
    }

    // loss = sum(y * r) with fixed random r; every input gradient against the CPU's.
    void backwardMatchesCpu_data() { rows(true); }
    void backwardMatchesCpu() {
        if (!vk_) STRATA_SKIP_UNLESS_REQUIRED(why_);
        QFETCH(int, index);
        const OpCase& c = allCases()[std::size_t(index)];
        Built b = build(c, uint32_t(index) + 101);
        Input rIn{b.g.shape(b.y), 0.5f, 1.5f};
        const ValueId loss = b.g.reduceSumAll(b.g.mul(b.y, b.g.constant(makeInput(rIn, 99))));
        std::vector<ValueId> wrt;
        for (std::size_t i = 0; i < c.inputs.size(); ++i)
            if (c.inputs[i].differentiable && c.inputs[i].classes == 0) wrt.push_back(b.inputs[i]);
        std::vector<ValueId> outs{loss};
        for (ValueId gv : strata::ir::gradients(b.g, loss, wrt)) outs.push_back(gv);
        strata::cpu::CpuBackend cpu(1);
        const std::vector<Tensor> want = runOn(cpu, b, outs);
        const std::vector<Tensor> got = runOn(*vk_, b, outs);
        for (std::size_t i = 0; i < outs.size(); ++i) {
            const std::string diff = vktest::compare(got[i], want[i]);
            if (!diff.empty())
                QFAIL(qPrintable(QString("%1: %2: %3").arg(c.name.c_str(), i == 0 ? "loss" : ("gradient " + std::to_string(i - 1)).c_str(), diff.c_str())));
        }
    }
};

QTEST_APPLESS_MAIN(TestVulkanOps)
#include "tst_vulkan_ops.moc"
