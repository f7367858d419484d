// Timing of the device GEMM kernel alone (no graph, no transfers), for strata-bench: `repeat`
// n x n x n products recorded into one command buffer, submitted once after a warm-up.
#pragma once

#include <cstdint>
#include <string>

namespace strata::gpu {

struct GemmTiming {
    double secondsPerGemm = 0;
    double cpuSecondsPerGemm = 0; // CPU time of the whole process (a CPU driver's threads): less load-sensitive
    int repeat = 0;      // products per submission
    int submissions = 0; // timed submissions; the times are their median
    double maxRelativeError = 0; // sampled entries against a double-precision reference
    std::string device;
    std::string tiles; // "128x128x8/8x8"
};

// device: an index of listVulkanDevices() or -1 for the best. Throws StrataError without Vulkan.
GemmTiming timeGemm(int device, int64_t n, int repeat);

} // namespace strata::gpu
