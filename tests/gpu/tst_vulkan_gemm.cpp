// Every Vulkan GEMM kernel (the register-blocked vec4 one and the plain tiled one for GPUs, the
// subgroup-shuffle one for CPU drivers; STRATA_GEMM_KERNEL picks one) on every transpose combination and on shapes that
// cut tiles, vec4 rows and the K step at awkward places, against a double-precision product.
// Runs with the validation layer; any message fails.
#include "tests/support/RequiredTools.h"
#include "VulkanTestSupport.h"

#include "engine/ir/Graph.h"
#include "gpu/CommandRecorder.h"
#include "gpu/PipelineCache.h"
#include "gpu/VulkanContext.h"
#include "gpu/kernels/KernelContext.h"

#include <algorithm>
#include <random>

using strata::DType;
using strata::Shape;
using strata::Tensor;
using strata::ir::Graph;

namespace {

Tensor random(const Shape& s, uint32_t seed) {
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> u(-1.0f, 1.0f);
    Tensor t(s);
    for (int64_t i = 0; i < t.size(); ++i) t.f32()[i] = u(rng);
    return t;
}

// C = op(A) op(B) in double; A is [m,k] or [k,m] (ta), B is [k,n] or [n,k] (tb).
Tensor reference(const Tensor& a, const Tensor& b, int64_t m, int64_t n, int64_t k, bool ta, bool tb) {
    Tensor c(Shape{m, n});
    for (int64_t i = 0; i < m; ++i)
        for (int64_t j = 0; j < n; ++j) {
            double s = 0;
            for (int64_t p = 0; p < k; ++p)
                s += double(a.f32()[ta ? p * m + i : i * k + p]) * double(b.f32()[tb ? j * k + p : p * n + j]);
            c.f32()[i * n + j] = float(s);
        }
    return c;
}

} // namespace

class TestVulkanGemm : public QObject {
    Q_OBJECT

    std::unique_ptr<strata::gpu::VulkanBackend> vk_; // one for all rows: compiled pipelines are reused
    std::string why_;

private slots:
    void initTestCase() { vk_ = vktest::makeBackend(why_); }

    void matchesReference_data() {
        QTest::addColumn<QString>("kernel");
        QTest::addColumn<int>("m");
        QTest::addColumn<int>("n");
        QTest::addColumn<int>("k");
        // Tiles of the subgroup kernel on lavapipe: up to 64 rows x 64 columns (x 128 when every
        // dimension is at least 512), K in steps of 4; of the vec4 kernel: 64 or 128 square, K in
        // steps of 8, vec4 loads only where the contiguous dimension is a multiple of 4;
        // of the tiled kernel: 32..128 square, K in steps of 8 or 16.
        const int shapes[][3] = {{1, 1, 1},   {1, 5, 3},     {7, 3, 9},     {33, 65, 17}, {32, 64, 16},
                                 {64, 128, 64}, {70, 36, 130}, {5, 260, 4}, {129, 12, 1}, {96, 40, 259},
                                 {520, 516, 513},  // the subgroup kernel's wide tiles
                                 {260, 132, 36}};  // the vec4 kernel's 128x128 tiles (STRATA_GEMM_VEC4=8)
        for (const char* kernel : {"subgroup", "vec4", "tiled"})
            for (const auto& s : shapes)
                QTest::addRow("%s_%dx%dx%d", kernel, s[0], s[1], s[2]) << QString(kernel) << s[0] << s[1] << s[2];
    }
    void matchesReference() {
        QFETCH(QString, kernel);
        QFETCH(int, m);
        QFETCH(int, n);
        QFETCH(int, k);
        if (!vk_) STRATA_SKIP_UNLESS_REQUIRED(why_);
        strata::gpu::VulkanBackend* vk = vk_.get();
        if (kernel == "subgroup" && !vk->device().subgroupShuffle) QSKIP("this device has no subgroup shuffle");
        for (int t = 0; t < 4; ++t) {
            const bool ta = t & 1, tb = t & 2;
            const Tensor a = random(ta ? Shape{k, m} : Shape{m, k}, uint32_t(m * 31 + k + t));
            const Tensor b = random(tb ? Shape{n, k} : Shape{k, n}, uint32_t(n * 17 + k + t));
            Graph g;
            const auto va = g.variable("a", a.shape(), DType::F32), vb = g.variable("b", b.shape(), DType::F32);
            const auto c = g.matmul(va, vb, ta, tb);
            vk->setVariable("a", a);
            vk->setVariable("b", b);
            qputenv("STRATA_GEMM_KERNEL", kernel.toUtf8()); // read when the step is recorded
            if (m == 260) qputenv("STRATA_GEMM_VEC4", "8");
            auto plan = vk->prepare(g, {c});
            const Tensor got = vk->run(*plan, std::span<const strata::ir::Feed>{})[0];
            qunsetenv("STRATA_GEMM_KERNEL");
            qunsetenv("STRATA_GEMM_VEC4");
            // float32 sums of k products of values in [-1, 1]: rounding grows with k, and a sum
            // that cancels to near 0 is only good to that absolute error.
            const std::string diff = vktest::compare(got, reference(a, b, m, n, k, ta, tb), 1e-4, 1e-5 + 4e-7 * k);
            QVERIFY2(diff.empty(), qPrintable(QString("ta=%1 tb=%2: %3").arg(ta).arg(tb).arg(diff.c_str())));
            VK_VERIFY_CLEAN(*vk);
        }
    }

    // BatchMatMul: the batch entry is workgroup z and each operand moves by its matrix size per
    // entry; every kernel, every transpose combination, odd sizes and whole-vec4 ones.
    void batchedMatchesReference_data() {
        QTest::addColumn<QString>("kernel");
        QTest::addColumn<int>("m");
        QTest::addColumn<int>("n");
        QTest::addColumn<int>("k");
        const int shapes[][3] = {{7, 3, 9}, {33, 65, 17}, {32, 64, 16}, {5, 12, 4}};
        for (const char* kernel : {"subgroup", "vec4", "tiled"})
            for (const auto& s : shapes)
                QTest::addRow("%s_3x%dx%dx%d", kernel, s[0], s[1], s[2]) << QString(kernel) << s[0] << s[1] << s[2];
    }
    void batchedMatchesReference() {
        QFETCH(QString, kernel);
        QFETCH(int, m);
        QFETCH(int, n);
        QFETCH(int, k);
        if (!vk_) STRATA_SKIP_UNLESS_REQUIRED(why_);
        strata::gpu::VulkanBackend* vk = vk_.get();
        if (kernel == "subgroup" && !vk->device().subgroupShuffle) QSKIP("this device has no subgroup shuffle");
        const int batch = 3;
        for (int t = 0; t < 4; ++t) {
            const bool ta = t & 1, tb = t & 2;
            const Tensor a = random(ta ? Shape{batch, k, m} : Shape{batch, m, k}, uint32_t(m * 31 + k + t));
            const Tensor b = random(tb ? Shape{batch, n, k} : Shape{batch, k, n}, uint32_t(n * 17 + k + t));
            Graph g;
            const auto va = g.variable("a", a.shape(), DType::F32), vb = g.variable("b", b.shape(), DType::F32);
            const auto c = g.batchMatmul(va, vb, ta, tb);
            vk->setVariable("a", a);
            vk->setVariable("b", b);
            qputenv("STRATA_GEMM_KERNEL", kernel.toUtf8());
            auto plan = vk->prepare(g, {c});
            const Tensor got = vk->run(*plan, std::span<const strata::ir::Feed>{})[0];
            qunsetenv("STRATA_GEMM_KERNEL");
            Tensor want(Shape{batch, m, n});
            for (int z = 0; z < batch; ++z) {
                Tensor az(ta ? Shape{k, m} : Shape{m, k}), bz(tb ? Shape{n, k} : Shape{k, n});
                std::copy_n(a.f32() + z * m * k, m * k, az.f32());
                std::copy_n(b.f32() + z * k * n, k * n, bz.f32());
                const Tensor cz = reference(az, bz, m, n, k, ta, tb);
                std::copy_n(cz.f32(), m * n, want.f32() + z * m * n);
            }
            const std::string diff = vktest::compare(got, want, 1e-4, 1e-5 + 4e-7 * k);
            QVERIFY2(diff.empty(), qPrintable(QString("ta=%1 tb=%2: %3").arg(ta).arg(tb).arg(diff.c_str())));
            VK_VERIFY_CLEAN(*vk);
        }
    }

    // Operands that start inside a buffer at offsets the texel views cannot begin at: the
    // kernels that read texel buffers view from the aligned offset below and shift their indices
    // (A at 4 bytes: scalar texels; B at 48 bytes: vec4 texels starting 3 texels into the view).
    void operandsAtUnalignedOffsets_data() {
        QTest::addColumn<QString>("kernel");
        QTest::newRow("subgroup") << QString("subgroup");
        QTest::newRow("vec4") << QString("vec4");
    }
    void operandsAtUnalignedOffsets() {
        using namespace strata::gpu;
        QFETCH(QString, kernel);
        if (!vk_) STRATA_SKIP_UNLESS_REQUIRED(why_);
        if (!vk_->device().subgroupShuffle) QSKIP("this device has no subgroup shuffle");
        const int m = 37, n = 44, k = 24;
        const Tensor a = random(Shape{m, k}, 5), b = random(Shape{k, n}, 6);
        const int device = std::getenv("STRATA_TEST_VULKAN_DEVICE") ? std::atoi(std::getenv("STRATA_TEST_VULKAN_DEVICE")) : -1;
        VulkanContext ctx(device, std::getenv("STRATA_TEST_NO_VALIDATION") == nullptr);
        PipelineCache pipelines(ctx, "");
        const VkDeviceSize offA = 4, offB = 48 + VkDeviceSize(a.size()) * 4;
        Buffer in = ctx.createBuffer(offB + VkDeviceSize(b.size()) * 4, MemoryUse::Device);
        Buffer out = ctx.createBuffer(VkDeviceSize(m * n) * 4, MemoryUse::Device);
        ctx.upload(in.range(offA, VkDeviceSize(a.size()) * 4), a.f32());
        ctx.upload(in.range(offB, VkDeviceSize(b.size()) * 4), b.f32());
        qputenv("STRATA_GEMM_KERNEL", kernel.toUtf8());
        {
            CommandRecorder rec(ctx);
            strata::ir::Graph none;
            KernelContext kc(ctx.info(), pipelines, rec, none, [](strata::ir::ValueId) { return BufferRange{}; }, BufferRange{});
            recordGemm(kc, in.range(offA, VkDeviceSize(a.size()) * 4), in.range(offB, VkDeviceSize(b.size()) * 4), out.whole(), m, n, k,
                       false, false);
            ctx.submitAndWait(rec.build());
        }
        qunsetenv("STRATA_GEMM_KERNEL");
        Tensor got(Shape{m, n});
        ctx.download(out.whole(), got.f32());
        const std::string diff = vktest::compare(got, reference(a, b, m, n, k, false, false), 1e-4, 1e-5);
        QVERIFY2(diff.empty(), diff.c_str());
        const auto msgs = ctx.validationLog()->take();
        QVERIFY2(msgs.empty(), msgs.empty() ? "" : msgs[0].c_str());
    }
};

QTEST_GUILESS_MAIN(TestVulkanGemm)
#include "tst_vulkan_gemm.moc"
