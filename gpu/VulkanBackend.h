// The Vulkan compute backend: runs whole IR graphs (forward, backward, optimizer update) on any
// Vulkan 1.2 device, matching the CPU backend (engine/cpu) op for op.
//
//   VulkanBackend be;                                 // the best device; throws when none
//   be.setVariable("model/dense/kernel", kernel);
//   auto step = be.prepare(trainingGraph, {loss});    // plans buffers; nothing allocated per step
//   auto out = be.run(*step, {{"x", x}, {"labels", y}});
//
// A plan's whole run is recorded once into one command buffer (feed upload, every kernel with
// only the barriers its data needs, fetch copies) and replayed with new feed data; run() blocks
// until the results are back, enqueue()/collect() keep the device busy while the host prepares
// the next batch. Variables live on the device in contiguous buffers.
// No Vulkan types here: the CLI and the GUI include this header without Vulkan headers.
#pragma once

#include "engine/ir/Backend.h"
#include "gpu/DeviceInfo.h"

#include <memory>
#include <string>
#include <vector>

namespace strata::gpu {

struct VulkanOptions {
    int device = -1;          // index in listVulkanDevices(); -1: the best (CPU drivers allowed)
    bool validation = false;  // VK_LAYER_KHRONOS_validation with a messenger that records messages
    bool pipelineCache = true;// keep compiled pipelines in the user's cache folder
    // Record each run in dependency levels, one barrier per level (CommandRecorder); false: in
    // program order. STRATA_VK_REORDER=0 in the environment also turns it off (for comparisons).
    bool reorder = true;
    // Time every command of every run on the device (timestamp queries; runs one command at a
    // time, so only for finding where a step's time goes): see profile().
    bool profile = false;
};

// One command of a profiled run: the op that emitted it, its kernel, its device time summed over
// the runs collected.
struct KernelTime {
    std::string label;  // "#12 MatMul [64,128]"
    std::string kernel; // "matmul_vec4", "copy", "fill"
    double microseconds = 0;
    int64_t runs = 0;
};

class VulkanBackend final : public ir::Backend {
public:
    // Throws StrataError saying what is missing (loader, device, Vulkan 1.2, validation layer).
    explicit VulkanBackend(VulkanOptions options = {});
    ~VulkanBackend() override;

    const DeviceInfo& device() const;
    // Validation warnings and errors since the last call (always empty without validation).
    std::vector<std::string> takeValidationMessages();
    bool validationEnabled() const;
    // Counts of the last recorded plan, for tests and benchmarks.
    int lastDispatchCount() const;
    int lastBarrierCount() const;
    int recordCount() const; // command buffers recorded so far (a replayed step records none)
    // With VulkanOptions::profile: the commands of the plan collected last, in program order,
    // with their device times summed over its runs collected since it became the last (or since
    // resetProfile). Empty without profiling or timestamp support.
    std::vector<KernelTime> profile() const;
    void resetProfile();

    std::string name() const override { return "vulkan"; }
    std::string deviceName() const override;
    void setVariable(const std::string& path, const Tensor& value) override;
    Tensor getVariable(const std::string& path) const override;
    bool hasVariable(const std::string& path) const override;
    std::vector<std::string> variablePaths() const override;

    std::unique_ptr<ir::PreparedGraph> prepare(const ir::Graph& graph, std::vector<ir::ValueId> outputs) override;
    using ir::Backend::run;
    // Needs every enqueued run collected first.
    void run(ir::PreparedGraph& prepared, std::span<const ir::Feed> feeds, std::span<const ir::ValueId> fetches,
             std::vector<Tensor>& results) override;
    // Two runs in flight: the host stages step n+1 while the device runs step n. getVariable and
    // setVariable wait for the runs in flight (their results stay collectable).
    void enqueue(ir::PreparedGraph& prepared, std::span<const ir::Feed> feeds, std::span<const ir::ValueId> fetches) override;
    void collect(std::vector<Tensor>& results) override;
    int maxInFlight() const override { return 2; }

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

} // namespace strata::gpu
