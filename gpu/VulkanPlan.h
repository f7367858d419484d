// Internal to the Vulkan backend: a prepared graph. The planner (VulkanPlanner.cpp) decides
// where every value lives, from the buffer plan every backend shares (engine/ir/BufferPlanner.h);
// the backend allocates the plan's buffers and records a slot's command buffer on the slot's
// first run (and again when the variable buffers were rebuilt).
//
// Arena layout (one device buffer): [feeds][status word][gradients][activations and scratch,
// placed by liveness]. Feeds arrive by one copy from a host-visible staging buffer with the same
// layout; prepared outputs and the status word leave by copies into a host-visible readback
// buffer. Gradients of Adam updates sit side by side, so a step's gradients are one range.
#pragma once

#include "engine/ir/Backend.h"
#include "engine/ir/BufferPlanner.h"
#include "gpu/CommandRecorder.h"
#include "gpu/VulkanContext.h"

#include <array>
#include <memory>
#include <vector>

namespace strata::gpu {

class VulkanPlan final : public ir::PreparedGraph {
public:
    const std::vector<ir::ValueId>& outputs() const override { return outputList; }

    ir::Graph graph;
    std::vector<ir::ValueId> outputList;
    ir::BufferPlan buffers;                 // schedule, role and root of every value, copies
    std::vector<int64_t> offset;            // per value: bytes into the arena (Placeholder, Computed) or constants
    std::vector<int64_t> scratchOffset;     // per node: arena byte offset of its scratch (-1: none)
    std::vector<int64_t> scratchSize;       // per node
    std::vector<int64_t> fetchOffset;       // per output: byte offset in the readback buffer
    std::vector<ir::ValueId> fusedBias;     // per node: the bias its GEMM adds (a fused Add), or kNoValue
    int64_t feedBytes = 0, statusOffset = 0, gradientOffset = 0, gradientBytes = 0;
    int64_t arenaBytes = 0, constantBytes = 0, readbackBytes = 0, readbackStatus = 0;

    // One run in flight per slot: its own staging, readback and command buffer, so the host fills
    // step n+1 while the device runs step n (the arena is shared: each command buffer begins with
    // a barrier on everything submitted before it). Shared with the backend's queue of runs in
    // flight, so a run can be collected after its plan is gone.
    struct Slot {
        std::shared_ptr<VulkanContext> device; // first: released last
        Buffer feedStaging, readback;
        std::unique_ptr<CommandRecorder> recorder;
        uint64_t recordedGeneration = 0;
        VkFence fence = VK_NULL_HANDLE;
        bool submitted = false; // until a wait on the fence
        explicit Slot(std::shared_ptr<VulkanContext> d) : device(std::move(d)), fence(device->createFence()) {}
        ~Slot() {
            finish();
            recorder.reset();
            device->destroyFence(fence);
        }
        void finish() { // waits for this slot's run, if any
            if (submitted) device->wait(fence);
            submitted = false;
        }
    };
    ~VulkanPlan() override {
        for (auto& s : slots)
            if (s) s->finish(); // the arena must outlive the runs that use it
    }

    // Device state, made by the backend; `device` is declared first so it is released last.
    std::shared_ptr<VulkanContext> device;
    Buffer arena, constants;
    std::array<std::shared_ptr<Slot>, 2> slots;

    ir::ValueId root(ir::ValueId v) const { return buffers.root[std::size_t(v)]; }
};

// Plans `source` for `outputs`; alignment is the device's storage-range alignment.
std::unique_ptr<VulkanPlan> planGraph(const ir::Graph& source, std::vector<ir::ValueId> outputs, int64_t alignment);

} // namespace strata::gpu
