#include "gpu/VulkanBackend.h"

#include "engine/Error.h"
#include "gpu/PipelineCache.h"
#include "gpu/VariableStore.h"
#include "gpu/VulkanContext.h"
#include "gpu/VulkanPlan.h"
#include "gpu/kernels/KernelContext.h"

#include <algorithm>
#include <cstring>

namespace strata::gpu {

using ir::ValueId;

struct VulkanBackend::Impl {
    explicit Impl(const VulkanOptions& o)
        : shared(std::make_shared<VulkanContext>(o.device, o.validation)), ctx(*shared),
          pipelines(ctx, o.pipelineCache ? PipelineCache::defaultFile(ctx.info()) : std::string()), store(ctx) {}
    std::shared_ptr<VulkanContext> shared; // plans keep the device alive too
    VulkanContext& ctx;
    PipelineCache pipelines;
    VariableStore store;
    int lastDispatches = 0, lastBarriers = 0, recordings = 0;

    void allocate(VulkanPlan& p);
    void record(VulkanPlan& p);
    BufferRange rangeOf(const VulkanPlan& p, ValueId v) const;
};

VulkanBackend::VulkanBackend(VulkanOptions options) : impl_(std::make_unique<Impl>(options)) {}
VulkanBackend::~VulkanBackend() = default;

const DeviceInfo& VulkanBackend::device() const { return impl_->ctx.info(); }
std::vector<std::string> VulkanBackend::takeValidationMessages() { return impl_->ctx.validationLog()->take(); }
bool VulkanBackend::validationEnabled() const { return impl_->ctx.validation(); }
int VulkanBackend::lastDispatchCount() const { return impl_->lastDispatches; }
int VulkanBackend::lastBarrierCount() const { return impl_->lastBarriers; }
int VulkanBackend::recordCount() const { return impl_->recordings; }

void VulkanBackend::setVariable(const std::string& path, const Tensor& value) { impl_->store.set(path, value); }
Tensor VulkanBackend::getVariable(const std::string& path) const { return impl_->store.get(path); }
bool VulkanBackend::hasVariable(const std::string& path) const { return impl_->store.has(path); }
std::vector<std::string> VulkanBackend::variablePaths() const { return impl_->store.paths(); }

std::unique_ptr<ir::PreparedGraph> VulkanBackend::prepare(const ir::Graph& graph, std::vector<ValueId> outputs) {
    std::unique_ptr<VulkanPlan> plan = planGraph(graph, std::move(outputs), int64_t(impl_->ctx.alignment()));
    impl_->allocate(*plan);
    return plan;
}

void VulkanBackend::Impl::allocate(VulkanPlan& p) {
    p.device = shared;
    p.arena = ctx.createBuffer(VkDeviceSize(p.arenaBytes), MemoryUse::Device);
    p.feedStaging = ctx.createBuffer(VkDeviceSize(std::max<int64_t>(p.feedBytes, 4)), MemoryUse::Upload);
    p.readback = ctx.createBuffer(VkDeviceSize(p.readbackBytes), MemoryUse::Readback);
    if (p.constantBytes > 0) {
        p.constants = ctx.createBuffer(VkDeviceSize(p.constantBytes), MemoryUse::Device);
        std::vector<std::byte> host(std::size_t(p.constantBytes));
        for (ValueId v = 0; v < p.graph.valueCount(); ++v)
            if (p.buffers.role[std::size_t(v)] == ir::ValueRole::Constant) {
                const Tensor& t = p.graph.constantOf(p.graph.producer(v));
                if (t.byteSize()) std::memcpy(host.data() + p.offset[std::size_t(v)], t.bytes(), t.byteSize());
            }
        ctx.upload(p.constants.whole(), host.data());
    }
    p.recorder = std::make_unique<CommandRecorder>(ctx);
}

BufferRange VulkanBackend::Impl::rangeOf(const VulkanPlan& p, ValueId v) const {
    const ValueId r = p.root(v);
    const ir::Value& val = p.graph.value(r);
    const auto bytes = VkDeviceSize(val.shape.numElements() * 4);
    const auto off = VkDeviceSize(p.offset[std::size_t(r)]);
    switch (p.buffers.role[std::size_t(r)]) {
    case ir::ValueRole::Placeholder:
    case ir::ValueRole::Computed: return {p.arena.handle(), off, bytes};
    case ir::ValueRole::Constant: return {p.constants.handle(), off, bytes};
    case ir::ValueRole::Variable:
    case ir::ValueRole::VariableOutput: return store.range(p.buffers.path[std::size_t(r)], val);
    default: throw StrataError("Vulkan backend: value %" + std::to_string(v) + " has no storage in this plan");
    }
}

void VulkanBackend::Impl::record(VulkanPlan& p) {
    CommandRecorder& rec = *p.recorder;
    rec.reset();
    const ir::Graph& g = p.graph;
    if (p.feedBytes > 0) rec.copy(p.feedStaging.range(0, VkDeviceSize(p.feedBytes)), p.arena.range(0, VkDeviceSize(p.feedBytes)));
    const BufferRange status = p.arena.range(VkDeviceSize(p.statusOffset), 16);
    rec.fill(status, 0);
    KernelContext k(ctx.info(), pipelines, rec, g, [&](ValueId v) { return rangeOf(p, v); }, status);
    for (int32_t n : p.buffers.schedule) {
        const ir::Node& node = g.node(n);
        k.scratch = p.scratchOffset[std::size_t(n)] >= 0
                        ? p.arena.range(VkDeviceSize(p.scratchOffset[std::size_t(n)]), VkDeviceSize(p.scratchSize[std::size_t(n)]))
                        : BufferRange{};
        if (!emitElementwise(k, node) && !emitLayout(k, node) && !emitLinear(k, node) && !emitPool(k, node) &&
            !emitTraining(k, node))
            throw StrataError("the Vulkan backend has no kernel for op '" + std::string(ir::opName(node.op)) + "'");
    }
    // Fetch before the assignments, so a fetched variable read shows the value the run used.
    for (std::size_t i = 0; i < p.outputList.size(); ++i) {
        const BufferRange src = rangeOf(p, p.outputList[i]);
        rec.copy(src, p.readback.range(VkDeviceSize(p.fetchOffset[i]), src.size));
    }
    rec.copy(status, p.readback.range(VkDeviceSize(p.readbackStatus), 16));
    for (const ir::Assignment& a : p.buffers.copies) rec.copy(rangeOf(p, a.value), store.range(a.path, g.value(a.value)));
    rec.build();
    p.recordedGeneration = store.generation();
    lastDispatches = rec.dispatchCount();
    lastBarriers = rec.barrierCount();
    ++recordings;
}

void VulkanBackend::run(ir::PreparedGraph& prepared, std::span<const ir::Feed> feeds, std::span<const ValueId> fetches,
                        std::vector<Tensor>& results) {
    auto* plan = dynamic_cast<VulkanPlan*>(&prepared);
    if (!plan) throw StrataError("this graph was prepared by another backend");
    VulkanPlan& p = *plan;
    const ir::Graph& g = p.graph;

    std::vector<char> fed(std::size_t(g.valueCount()), 0);
    auto* staging = static_cast<std::byte*>(p.feedStaging.mapped());
    for (const ir::Feed& f : feeds) {
        const ValueId v = g.findPlaceholder(f.name);
        if (v == ir::kNoValue) throw StrataError("feed '" + f.name + "' does not name a placeholder of this graph");
        const ir::Value& want = g.value(v);
        if (f.value.shape != want.shape || f.value.dtype != want.dtype)
            throw ShapeError("feed '" + f.name + "': expected " + want.shape.toString() + " " + std::string(dtypeName(want.dtype)) +
                             ", got " + f.value.shape.toString() + " " + std::string(dtypeName(f.value.dtype)));
        if (p.buffers.role[std::size_t(v)] == ir::ValueRole::Unused) continue;
        const auto bytes = std::size_t(want.shape.numElements() * 4);
        if (bytes) std::memcpy(staging + p.offset[std::size_t(v)], f.value.data, bytes);
        fed[std::size_t(v)] = 1;
    }
    for (ValueId v : p.buffers.placeholders)
        if (!fed[std::size_t(v)] && g.shape(v).numElements() > 0)
            throw StrataError("placeholder '" + g.producer(v).attrs.string("name") + "' was not fed");
    const std::span<const ValueId> want = fetches.empty() ? std::span<const ValueId>(p.outputList) : fetches;
    for (ValueId v : want)
        if (std::find(p.outputList.begin(), p.outputList.end(), v) == p.outputList.end())
            throw StrataError("fetch %" + std::to_string(v) + " was not listed as an output when the graph was prepared");

    impl_->store.materialize();
    for (ValueId v : p.buffers.variableValues) // throws like the CPU
        impl_->store.range(p.buffers.path[std::size_t(v)], g.value(v));
    for (const ir::Assignment& a : p.buffers.copies) impl_->store.range(a.path, g.value(a.value));
    if (!p.recorder->built() || p.recordedGeneration != impl_->store.generation()) impl_->record(p);
    impl_->ctx.submitAndWait(p.recorder->build());

    const auto* back = static_cast<const std::byte*>(p.readback.mapped());
    int32_t status[4];
    std::memcpy(status, back + p.readbackStatus, sizeof status);
    if (status[0] != 0)
        throw StrataError("label " + std::to_string(status[1]) + " at batch row " + std::to_string(status[2]) +
                          " is outside [0, " + std::to_string(status[3]) + ")");
    results.resize(want.size());
    for (std::size_t i = 0; i < want.size(); ++i) {
        const ValueId v = want[i];
        const std::size_t at = std::size_t(std::find(p.outputList.begin(), p.outputList.end(), v) - p.outputList.begin());
        const ir::Value& val = g.value(v);
        if (results[i].shape() != val.shape || results[i].dtype() != val.dtype || results[i].size() != val.shape.numElements())
            results[i] = Tensor(val.shape, val.dtype);
        if (results[i].byteSize()) std::memcpy(results[i].bytes(), back + p.fetchOffset[at], results[i].byteSize());
    }
}

} // namespace strata::gpu
