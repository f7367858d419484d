// strata-bench gemm-vulkan --n N [--repeat R] [--device I]
// Square SGEMM GFLOP/s of the Vulkan GEMM kernel; the same JSON line as `gemm --backend openblas`
// (backend "vulkan"), so the two print side by side.
#include "BenchRegistry.h"

#include "gpu/GemmBenchmark.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <iostream>

namespace strata::bench {
namespace {

int runVulkanGemm(const std::vector<std::string>& args) {
    const int64_t n = std::stoll(argValue(args, "--n", "512"));
    const int device = std::stoi(argValue(args, "--device", "-1"));
    // Enough products per submission that the submit cost vanishes (~2e10 flops), at least 3.
    const double flops = 2.0 * double(n) * double(n) * double(n);
    const int fallback = int(std::clamp(2e10 / flops, 3.0, 200.0));
    const int repeat = std::stoi(argValue(args, "--repeat", std::to_string(fallback)));
    if (n < 1 || repeat < 1) {
        std::cerr << "gemm-vulkan: --n and --repeat must be positive\n";
        return 2;
    }
    try {
        const gpu::GemmTiming t = gpu::timeGemm(device, n, repeat);
        std::cout << nlohmann::json{{"bench", "gemm"}, {"n", n}, {"backend", "vulkan"}, {"device", t.device},
                                    {"repeat", t.repeat}, {"submissions", t.submissions}, {"seconds", t.secondsPerGemm}, {"cpu_seconds", t.cpuSecondsPerGemm}, {"gflops", flops / t.secondsPerGemm / 1e9},
                                    {"max_rel_error", t.maxRelativeError}, {"peak_rss_bytes", peakRssBytes()}}
                         .dump()
                  << std::endl;
        return t.maxRelativeError < 1e-3 ? 0 : 1;
    } catch (const std::exception& e) {
        std::cout << nlohmann::json{{"bench", "gemm"}, {"n", n}, {"backend", "vulkan"}, {"error", e.what()}}.dump() << std::endl;
        return 1;
    }
}

const Register reg("gemm-vulkan", "--n N [--repeat R] [--device I]: square SGEMM GFLOP/s on the Vulkan device", runVulkanGemm);

} // namespace
} // namespace strata::bench
