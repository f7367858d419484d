// The augmentation layers' golden file (tests/data/augment, from tests/reference/augment_reference.py)
// on the Vulkan backend: each layer traced in training mode and run at the case's step matches the
// NumPy / PyTorch reference, as on the CPU (tests/engine/train/tst_augmentation_layers.cpp): the
// random_uniform shader draws the Philox stream bit for bit. Best Vulkan device (lavapipe in CI),
// the Khronos validation layer on; any validation message fails the row. Tolerance 1e-4 relative
// and 1e-4 absolute, as tst_vulkan_golden (the per-channel means sum in another order).
#include "tests/support/RequiredTools.h"
#include "VulkanTestSupport.h"

#include "tests/support/AugmentGolden.h"

using namespace strata;
using augment_golden::file;

class TestVulkanAugment : public QObject {
    Q_OBJECT

    std::unique_ptr<gpu::VulkanBackend> vk_;
    std::string why_;

private slots:
    void initTestCase() {
        vk_ = vktest::makeBackend(why_);
        if (vk_) qInfo("Vulkan device: %s", vk_->device().summary().c_str());
    }
    void cleanup() {
        if (vk_) VK_VERIFY_CLEAN(*vk_);
    }

    void matchesTheReference_data() {
        QTest::addColumn<int>("index");
        const auto& cases = file()["cases"];
        for (std::size_t i = 0; i < cases.size(); ++i) QTest::newRow(cases[i]["name"].get<std::string>().c_str()) << int(i);
    }
    void matchesTheReference() {
        if (!vk_) STRATA_SKIP_UNLESS_REQUIRED(why_);
        QFETCH(int, index);
        const std::string why = augment_golden::checkCase(*vk_, file()["cases"][std::size_t(index)], 1e-4, 1e-4);
        QVERIFY2(why.empty(), why.c_str());
    }

    // In inference the layers are the identity on Vulkan too.
    void inferenceIsTheIdentity() {
        if (!vk_) STRATA_SKIP_UNLESS_REQUIRED(why_);
        for (const auto& c : file()["cases"]) {
            if (!c.value("identity_in_inference", false)) continue;
            const auto model = augment_golden::caseModel(c);
            const Tensor y = augment_golden::runLayer(*vk_, *model, false, 1);
            const Tensor x = augment_golden::inputBatch();
            for (int64_t i = 0; i < x.size(); ++i) QCOMPARE(y.f32()[i], x.f32()[i]);
        }
    }
};

QTEST_APPLESS_MAIN(TestVulkanAugment)
#include "tst_vulkan_augment.moc"
