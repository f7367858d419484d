#include "gpu/GemmBenchmark.h"

#include "engine/Error.h"
#include "gpu/CommandRecorder.h"
#include "gpu/PipelineCache.h"
#include "gpu/VulkanContext.h"
#include "gpu/kernels/KernelContext.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <vector>

#include <sys/resource.h>

namespace strata::gpu {

namespace {
double processCpuSeconds() { // user + system time of every thread of this process (the driver's included)
    rusage u{};
    getrusage(RUSAGE_SELF, &u);
    return double(u.ru_utime.tv_sec + u.ru_stime.tv_sec) + double(u.ru_utime.tv_usec + u.ru_stime.tv_usec) * 1e-6;
}
} // namespace

GemmTiming timeGemm(int device, int64_t n, int repeat) {
    VulkanContext ctx(device, false);
    PipelineCache pipelines(ctx, PipelineCache::defaultFile(ctx.info()));
    const auto bytes = VkDeviceSize(n * n * 4);
    Buffer a = ctx.createBuffer(bytes, MemoryUse::Device), b = ctx.createBuffer(bytes, MemoryUse::Device),
           c = ctx.createBuffer(bytes, MemoryUse::Device);
    std::vector<float> ha(std::size_t(n * n)), hb(std::size_t(n * n));
    for (int64_t i = 0; i < n * n; ++i) ha[std::size_t(i)] = float(i % 7) * 0.1f - 0.3f, hb[std::size_t(i)] = float(i % 5) * 0.1f - 0.2f;
    ctx.upload(a.whole(), ha.data());
    ctx.upload(b.whole(), hb.data());

    ir::Graph none;
    auto record = [&](CommandRecorder& rec, int count) {
        KernelContext k(ctx.info(), pipelines, rec, none, [](ir::ValueId) { return BufferRange{}; }, BufferRange{});
        for (int i = 0; i < count; ++i) recordGemm(k, a.whole(), b.whole(), c.whole(), uint32_t(n), uint32_t(n), uint32_t(n), false, false);
        return rec.build();
    };
    CommandRecorder warm(ctx), timed(ctx);
    ctx.submitAndWait(record(warm, 1)); // compiles and loads the pipeline
    const VkCommandBuffer cb = record(timed, repeat);
    using clock = std::chrono::steady_clock;
    auto since = [](clock::time_point t) { return std::chrono::duration<double>(clock::now() - t).count(); };
    // Warm-up until a GPU has left its idle clocks (a quarter second of work), then the median of
    // up to 5 timed submissions (at least 3, fewer beyond 3 seconds: a CPU driver is slow).
    for (const auto w0 = clock::now(); since(w0) < 0.25;) ctx.submitAndWait(cb);
    std::vector<double> wall, cpu;
    for (const auto m0 = clock::now(); wall.size() < 3 || (wall.size() < 5 && since(m0) < 3.0);) {
        const double cpu0 = processCpuSeconds();
        const auto t0 = clock::now();
        ctx.submitAndWait(cb);
        wall.push_back(since(t0));
        cpu.push_back(processCpuSeconds() - cpu0);
    }
    auto median = [](std::vector<double> v) {
        std::sort(v.begin(), v.end());
        return v[v.size() / 2];
    };
    const double seconds = median(wall), cpuSeconds = median(cpu);

    GemmTiming t;
    t.secondsPerGemm = seconds / repeat;
    t.cpuSecondsPerGemm = cpuSeconds / repeat;
    t.repeat = repeat;
    t.submissions = int(wall.size());
    t.device = ctx.info().name;
    std::vector<float> hc(std::size_t(n * n));
    ctx.download(c.whole(), hc.data());
    for (int s = 0; s < 16; ++s) { // sampled entries against a double reference
        const int64_t i = (s * 7919) % n, j = (s * 104729) % n;
        double ref = 0;
        for (int64_t k = 0; k < n; ++k) ref += double(ha[std::size_t(i * n + k)]) * double(hb[std::size_t(k * n + j)]);
        const double err = std::fabs(double(hc[std::size_t(i * n + j)]) - ref) / std::max(1.0, std::fabs(ref));
        t.maxRelativeError = std::max(t.maxRelativeError, err);
    }
    return t;
}

} // namespace strata::gpu
