// strata-bench op-chain --backend vulkan|cpu --ops 200 [--size 4096] [--runs 50] [--device I]
// Per-op cost inside one recorded step: a chain of small element-wise ops (x*a, +b, relu,
// tanh, ...) run as one graph; us_per_op = time per run / ops (the submit and the wait included).
#include "BenchRegistry.h"

#include "engine/cpu/CpuBackend.h"
#include "gpu/DeviceInfo.h"
#include "gpu/VulkanBackend.h"

#include <nlohmann/json.hpp>

#include <iostream>
#include <memory>

namespace strata::bench {
namespace {

int runOpChain(const std::vector<std::string>& args) {
    const std::string backendName = argValue(args, "--backend", "vulkan");
    const int ops = std::stoi(argValue(args, "--ops", "200"));
    const int64_t size = std::stoll(argValue(args, "--size", "4096"));
    const int runs = std::stoi(argValue(args, "--runs", "50"));
    if (ops < 1 || size < 1 || runs < 1) {
        std::cerr << "op-chain: --ops, --size and --runs must be positive\n";
        return 2;
    }
    std::unique_ptr<ir::Backend> be;
    std::string device = "cpu";
    try {
        if (backendName == "cpu") {
            be = std::make_unique<cpu::CpuBackend>(1);
        } else if (backendName == "vulkan") {
            gpu::VulkanOptions o;
            o.device = std::stoi(argValue(args, "--device", "-1"));
            auto vk = std::make_unique<gpu::VulkanBackend>(o);
            device = vk->device().name;
            be = std::move(vk);
        } else {
            std::cerr << "op-chain: unknown backend '" << backendName << "' (cpu, vulkan)\n";
            return 2;
        }
    } catch (const std::exception& e) {
        std::cout << nlohmann::json{{"bench", "op-chain"}, {"backend", backendName}, {"error", e.what()}}.dump() << std::endl;
        return 1;
    }
    ir::Graph g;
    ir::ValueId v = g.placeholder("x", {size});
    const ir::ValueId a = g.scalar(0.999f), b = g.scalar(0.001f);
    for (int i = 0; i < ops; ++i) {
        switch (i % 4) {
        case 0: v = g.mul(v, a); break;
        case 1: v = g.add(v, b); break;
        case 2: v = g.relu(v); break;
        default: v = g.tanh(v);
        }
    }
    auto plan = be->prepare(g, {v});
    Tensor x(Shape{size});
    x.fill(0.5f);
    const ir::Feed feeds[] = {{"x", ir::TensorView(x)}};
    std::vector<Tensor> out;
    for (int i = 0; i < 3; ++i) be->run(*plan, feeds, {}, out); // warm-up, recording
    std::vector<double> times;
    for (int r = 0; r < runs; ++r) {
        const double t0 = nowSeconds();
        be->run(*plan, feeds, {}, out);
        times.push_back(nowSeconds() - t0);
    }
    const double perRun = median(times);
    std::cout << nlohmann::json{{"bench", "op-chain"}, {"backend", backendName}, {"device", device}, {"ops", ops},
                                {"size", size}, {"us_per_run", perRun * 1e6}, {"us_per_op", perRun * 1e6 / ops},
                                {"peak_rss_bytes", peakRssBytes()}}
                     .dump()
              << std::endl;
    return 0;
}

const Register reg("op-chain", "--backend vulkan|cpu --ops 200 [--size 4096]: per-op cost of a recorded chain of element-wise ops",
                   runOpChain);

} // namespace
} // namespace strata::bench

namespace strata::bench {
namespace {

// strata-bench vulkan-devices: one JSON line per Vulkan device ("chosen": the one the
// benchmarks use), or one line with the reason there is none.
int runDevices(const std::vector<std::string>& args) {
    const gpu::DeviceList list = gpu::listVulkanDevices();
    const int device = std::stoi(argValue(args, "--device", "-1"));
    const int chosen = device >= 0 ? device : gpu::chooseDevice(list.devices, true);
    if (list.devices.empty())
        std::cout << nlohmann::json{{"bench", "vulkan-devices"}, {"error", list.error}}.dump() << std::endl;
    for (const auto& d : list.devices) {
        nlohmann::json j = d.toJson();
        j["bench"] = "vulkan-devices";
        j["chosen"] = d.index == chosen;
        std::cout << j.dump() << std::endl;
    }
    return list.devices.empty() ? 1 : 0;
}

const Register devices("vulkan-devices", "[--device I]: the Vulkan devices as JSON lines", runDevices);

} // namespace
} // namespace strata::bench
