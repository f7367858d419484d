// Device enumeration and choice, and the pipeline cache on disk.
#include "tests/support/RequiredTools.h"
#include "VulkanTestSupport.h"

#include "engine/ir/Graph.h"

#include <QTemporaryDir>

#include <nlohmann/json.hpp>

#include <filesystem>

using strata::gpu::DeviceInfo;
using strata::gpu::DeviceKind;

namespace {
DeviceInfo fake(int index, DeviceKind kind, bool vulkan12 = true) {
    DeviceInfo d;
    d.index = index;
    d.kind = kind;
    d.vulkan12 = vulkan12;
    d.name = "device " + std::to_string(index);
    return d;
}
} // namespace

class TestVulkanDevices : public QObject {
    Q_OBJECT

private slots:
    void choicePrefersDiscreteThenIntegratedThenVirtual() {
        using K = DeviceKind;
        QCOMPARE(strata::gpu::chooseDevice({fake(0, K::Cpu), fake(1, K::Integrated), fake(2, K::Discrete)}, true), 2);
        QCOMPARE(strata::gpu::chooseDevice({fake(0, K::Virtual), fake(1, K::Integrated)}, true), 1);
        QCOMPARE(strata::gpu::chooseDevice({fake(0, K::Cpu), fake(1, K::Virtual)}, true), 1);
        QCOMPARE(strata::gpu::chooseDevice({fake(0, K::Discrete, false), fake(1, K::Cpu)}, true), 1); // 1.2 required
    }

    void cpuDriversOnlyWhenAllowed() {
        QCOMPARE(strata::gpu::chooseDevice({fake(0, DeviceKind::Cpu)}, false), -1); // the default policy: CPU backend
        QCOMPARE(strata::gpu::chooseDevice({fake(0, DeviceKind::Cpu)}, true), 0);   // --device vulkan
        QCOMPARE(strata::gpu::chooseDevice({}, true), -1);
    }

    void listingNeverThrowsAndSaysWhyWhenEmpty() {
        const strata::gpu::DeviceList list = strata::gpu::listVulkanDevices();
        if (list.devices.empty()) QVERIFY(!list.error.empty());
        for (const DeviceInfo& d : list.devices) {
            QVERIFY(!d.name.empty());
            QVERIFY(d.summary().find(d.name) != std::string::npos);
            QVERIFY(d.subgroupSize > 0);
            QVERIFY(d.maxWorkgroupInvocations >= 128);
            QCOMPARE(d.toJson()["name"].get<std::string>(), d.name);
        }
    }

    void pipelineCacheIsSavedInTheCacheFolder() {
        QTemporaryDir dir;
        qputenv("STRATA_CACHE_DIR", dir.path().toUtf8());
        std::string why;
        {
            auto be = vktest::makeBackend(why);
            if (!be) STRATA_SKIP_UNLESS_REQUIRED(why);
            strata::ir::Graph g;
            const auto x = g.placeholder("x", {4});
            auto plan = be->prepare(g, {g.relu(x)});
            const strata::Tensor t = strata::Tensor::fromVector({4}, std::vector<float>{-1, 2, -3, 4});
            const std::vector<strata::Tensor> y = be->run(*plan, {{"x", strata::ir::TensorView(t)}});
            QCOMPARE(y[0].f32()[0], 0.0f);
            QCOMPARE(y[0].f32()[3], 4.0f);
            VK_VERIFY_CLEAN(*be);
        } // the backend saves its cache when it goes
        qunsetenv("STRATA_CACHE_DIR");
        bool found = false;
        for (const auto& e : std::filesystem::directory_iterator(dir.path().toStdString()))
            found = found || (e.path().filename().string().rfind("vulkan-pipelines-", 0) == 0 && e.file_size() > 0);
        QVERIFY2(found, "no vulkan-pipelines-*.bin in the cache folder");
    }
};

QTEST_APPLESS_MAIN(TestVulkanDevices)
#include "tst_vulkan_devices.moc"
