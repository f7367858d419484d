// What an op kernel needs to record itself: the graph, the buffer range of every value, the
// node's scratch range, the run's status word, pipelines and the recorder. One emit function
// per op family (ElementwiseKernels.cpp, LayoutKernels.cpp, LinearKernels.cpp, PoolKernels.cpp,
// TrainingKernels.cpp); each returns false for ops of other families. Internal to gpu/.
#pragma once

#include "engine/ir/Graph.h"
#include "gpu/CommandRecorder.h"
#include "gpu/PipelineCache.h"

#include <functional>
#include <initializer_list>

namespace strata::gpu {

class KernelContext {
public:
    KernelContext(const DeviceInfo& device, PipelineCache& pipelines, CommandRecorder& recorder, const ir::Graph& graph,
                  std::function<BufferRange(ir::ValueId)> rangeOf, BufferRange status)
        : device(device), pipelines(pipelines), recorder(recorder), graph(graph), status(status), rangeOf_(std::move(rangeOf)) {}

    const DeviceInfo& device;
    PipelineCache& pipelines;
    CommandRecorder& recorder;
    const ir::Graph& graph;
    BufferRange scratch;  // this node's scratch (convolutions), set by the caller
    BufferRange bias;     // the bias this node's GEMM adds (a fused Add, VulkanPlan::fusedBias); empty: none
    BufferRange status;   // 16 bytes: label errors

    static constexpr uint32_t kWorkgroup = 64;
    BufferRange range(ir::ValueId v) const { return rangeOf_(v); }
    Binding in(ir::ValueId v) const { return {range(v), false}; }
    Binding out(ir::ValueId v) const { return {range(v), true}; }
    // An element-wise pipeline: workgroup size kWorkgroup, `bindings` buffers.
    const Pipeline& elementwise(const char* shader, uint32_t bindings) {
        const uint32_t spec[] = {kWorkgroup};
        return pipelines.get(shader, bindings, spec);
    }
    // The same with specialization constants 1, 2, ... after the workgroup size.
    const Pipeline& elementwise(const char* shader, uint32_t bindings, std::initializer_list<uint32_t> constants) {
        uint32_t spec[8] = {kWorkgroup};
        uint32_t count = 1;
        for (uint32_t c : constants) spec[count++] = c;
        return pipelines.get(shader, bindings, std::span<const uint32_t>(spec, count));
    }
    // Workgroups for a grid-stride loop over n items.
    static uint32_t groups(int64_t n) {
        const int64_t g = (n + kWorkgroup - 1) / kWorkgroup;
        return uint32_t(g < 1 ? 0 : (g > 65535 ? 65535 : g));
    }

private:
    std::function<BufferRange(ir::ValueId)> rangeOf_;
};

bool emitElementwise(KernelContext& k, const ir::Node& n);
bool emitLayout(KernelContext& k, const ir::Node& n);
bool emitLinear(KernelContext& k, const ir::Node& n);
bool emitPool(KernelContext& k, const ir::Node& n);
bool emitTraining(KernelContext& k, const ir::Node& n);

// Scratch bytes a node needs besides its outputs (im2col matrices of convolutions).
int64_t scratchBytes(const ir::Graph& g, const ir::Node& n);

// C[M,N] = op(A) op(B) (+ bias[column] when `bias` is not empty) with tiles chosen for the device
// (GemmTiles in LinearKernels.cpp). batch > 1: that many products of contiguous (m, k), (k, n) and
// (m, n) matrices, one per workgroup z (BatchMatMul).
void recordGemm(KernelContext& k, const BufferRange& a, const BufferRange& b, const BufferRange& c, uint32_t m, uint32_t n,
                uint32_t kDim, bool ta, bool tb, const BufferRange& bias = {}, uint32_t batch = 1);

} // namespace strata::gpu
