// The PyTorch golden files (tests/data/golden) on the Vulkan backend: the same files and the same
// checks as tests/engine/train/tst_golden.cpp (tests/support/GoldenFiles.h), on the best Vulkan
// device (lavapipe in CI) with the Khronos validation layer on; any validation message fails the
// row. Tolerance 1e-4 relative and 1e-4 absolute (issue 19): the kernels sum in other orders than
// the CPU (subgroup reductions, blocked GEMM, im2col/col2im), and the files are the float32-rounded
// exact answer, so the difference is the device's own float32 rounding. With no device the suite
// skips on a developer's machine and fails where $STRATA_REQUIRE_TOOLS is set (CI).
#include "tests/support/RequiredTools.h"
#include "VulkanTestSupport.h"

#include "tests/support/GoldenFiles.h"

using namespace strata;

namespace {
constexpr golden::Tolerance kTolerance{1e-4, 1e-4};
}

class TestVulkanGolden : public QObject {
    Q_OBJECT

    // One backend for the suite: each check loads every variable of its file and zeroes the
    // optimizer state it reads, so nothing carries over from the row before.
    std::unique_ptr<gpu::VulkanBackend> vk_;
    std::string why_;
    golden::Checker check_{kTolerance};

private slots:
    void initTestCase() {
        vk_ = vktest::makeBackend(why_);
        if (vk_) qInfo("Vulkan device: %s", vk_->device().summary().c_str());
    }
    void cleanup() {
        if (vk_) VK_VERIFY_CLEAN(*vk_);
    }

    void forwardLossAndGradients_data() {
        QTest::addColumn<QString>("name");
        for (const QString& n : golden::names()) QTest::newRow(n.toUtf8().constData()) << n;
    }
    void forwardLossAndGradients() {
        if (!vk_) STRATA_SKIP_UNLESS_REQUIRED(why_);
        QFETCH(QString, name);
        const std::string why = golden::checkForwardAndGradients(*vk_, name, check_);
        QVERIFY2(why.empty(), why.c_str());
    }

    void inferenceOutputs_data() {
        QTest::addColumn<QString>("name");
        for (const QString& n : golden::namesWithInference()) QTest::newRow(n.toUtf8().constData()) << n;
    }
    void inferenceOutputs() {
        if (!vk_) STRATA_SKIP_UNLESS_REQUIRED(why_);
        QFETCH(QString, name);
        const std::string why = golden::checkInference(*vk_, name, check_);
        QVERIFY2(why.empty(), why.c_str());
    }

    void optimizerSteps_data() {
        QTest::addColumn<QString>("name");
        QTest::addColumn<QString>("entry");
        for (const auto& [n, e] : golden::optimizerEntries())
            QTest::newRow((n + "/" + e.section('/', 1)).toUtf8().constData()) << n << e;
    }
    void optimizerSteps() {
        if (!vk_) STRATA_SKIP_UNLESS_REQUIRED(why_);
        QFETCH(QString, name);
        QFETCH(QString, entry);
        const std::string why = golden::checkOptimizerSteps(*vk_, name, entry, check_);
        QVERIFY2(why.empty(), why.c_str());
    }

    void cleanupTestCase() {
        if (vk_) qInfo("closest to the tolerance: %s at %.3g of it", check_.worstWhat().c_str(), check_.worstRatio());
    }
};

QTEST_APPLESS_MAIN(TestVulkanGolden)
#include "tst_vulkan_golden.moc"
