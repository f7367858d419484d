#include "gpu/VulkanBackend.h"

#include "engine/Error.h"
#include "gpu/PipelineCache.h"
#include "gpu/VariableStore.h"
#include "gpu/VulkanContext.h"
#include "gpu/VulkanPlan.h"
#include "gpu/kernels/KernelContext.h"

#include <algorithm>
#include <deque>
#include <cstdlib>
#include <cstring>
#include <string_view>

namespace strata::gpu {

using ir::ValueId;

struct VulkanBackend::Impl {
    explicit Impl(const VulkanOptions& o)
        : shared(std::make_shared<VulkanContext>(o.device, o.validation)), ctx(*shared),
          pipelines(ctx, o.pipelineCache ? PipelineCache::defaultFile(ctx.info()) : std::string()), store(ctx),
          reorder(o.reorder && !envOff("STRATA_VK_REORDER")), profiling(o.profile) {}
    static bool envOff(const char* name) {
        const char* v = std::getenv(name);
        return v && (std::string_view(v) == "0" || std::string_view(v) == "off");
    }
    std::shared_ptr<VulkanContext> shared; // plans keep the device alive too
    VulkanContext& ctx;
    PipelineCache pipelines;
    VariableStore store;
    bool reorder = true, profiling = false;
    std::vector<KernelTime> profile;
    int lastDispatches = 0, lastBarriers = 0, recordings = 0;

    struct InFlight { // an enqueued run, oldest first
        std::shared_ptr<VulkanPlan::Slot> slot;
        std::vector<ValueId> fetches;
        std::vector<int64_t> fetchOffset; // bytes into the slot's readback, per fetch
        std::vector<ir::Value> values;    // shape and dtype per fetch
        int64_t statusOffset = 0;
    };
    std::deque<InFlight> queue;

    void allocate(VulkanPlan& p);
    void record(VulkanPlan& p, VulkanPlan::Slot& slot);
    BufferRange rangeOf(const VulkanPlan& p, ValueId v) const;
    void addProfile(const CommandRecorder& rec) {
        const std::vector<CommandRecorder::CommandTime> t = rec.times();
        if (t.empty()) return;
        // The two slots of a plan record the same commands; another plan starts a new profile.
        bool same = profile.size() == t.size();
        for (std::size_t i = 0; same && i < t.size(); ++i) same = profile[i].label == t[i].label && profile[i].kernel == t[i].kernel;
        if (!same) {
            profile.assign(t.size(), {});
            for (std::size_t i = 0; i < t.size(); ++i) profile[i].label = t[i].label, profile[i].kernel = t[i].kernel;
        }
        for (std::size_t i = 0; i < t.size(); ++i) profile[i].microseconds += t[i].microseconds, ++profile[i].runs;
    }
    void finishAll() {
        for (InFlight& f : queue) f.slot->finish();
    }
};

VulkanBackend::VulkanBackend(VulkanOptions options) : impl_(std::make_unique<Impl>(options)) {}
VulkanBackend::~VulkanBackend() = default;

const DeviceInfo& VulkanBackend::device() const { return impl_->ctx.info(); }

std::string VulkanBackend::deviceName() const { return "vulkan:" + std::to_string(device().index); }
std::vector<std::string> VulkanBackend::takeValidationMessages() { return impl_->ctx.validationLog()->take(); }
bool VulkanBackend::validationEnabled() const { return impl_->ctx.validation(); }
int VulkanBackend::lastDispatchCount() const { return impl_->lastDispatches; }
int VulkanBackend::lastBarrierCount() const { return impl_->lastBarriers; }
int VulkanBackend::recordCount() const { return impl_->recordings; }
std::vector<KernelTime> VulkanBackend::profile() const { return impl_->profile; }
void VulkanBackend::resetProfile() { impl_->profile.clear(); }

void VulkanBackend::setVariable(const std::string& path, const Tensor& value) {
    impl_->finishAll(); // the runs in flight read the current values
    impl_->store.set(path, value);
}
Tensor VulkanBackend::getVariable(const std::string& path) const {
    impl_->finishAll(); // the value after every run enqueued so far
    return impl_->store.get(path);
}
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
    for (auto& slot : p.slots) {
        slot = std::make_shared<VulkanPlan::Slot>(shared);
        slot->feedStaging = ctx.createBuffer(VkDeviceSize(std::max<int64_t>(p.feedBytes, 4)), MemoryUse::Upload);
        slot->readback = ctx.createBuffer(VkDeviceSize(p.readbackBytes), MemoryUse::Readback);
        slot->recorder = std::make_unique<CommandRecorder>(ctx);
        slot->recorder->setReorder(reorder);
        slot->recorder->setProfile(profiling);
    }
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

void VulkanBackend::Impl::record(VulkanPlan& p, VulkanPlan::Slot& slot) {
    CommandRecorder& rec = *slot.recorder;
    rec.reset();
    const ir::Graph& g = p.graph;
    rec.setLabel("feeds");
    if (p.feedBytes > 0) rec.copy(slot.feedStaging.range(0, VkDeviceSize(p.feedBytes)), p.arena.range(0, VkDeviceSize(p.feedBytes)));
    const BufferRange status = p.arena.range(VkDeviceSize(p.statusOffset), 16);
    rec.fill(status, 0);
    KernelContext k(ctx.info(), pipelines, rec, g, [&](ValueId v) { return rangeOf(p, v); }, status);
    for (int32_t n : p.buffers.schedule) {
        const ir::Node& node = g.node(n);
        if (profiling)
            rec.setLabel("#" + std::to_string(n) + " " + std::string(ir::opName(node.op)) +
                         (node.outputs.empty() ? std::string() : " " + g.shape(node.outputs[0]).toString()));
        k.bias = p.fusedBias[std::size_t(n)] != ir::kNoValue ? rangeOf(p, p.fusedBias[std::size_t(n)]) : BufferRange{};
        k.scratch = p.scratchOffset[std::size_t(n)] >= 0
                        ? p.arena.range(VkDeviceSize(p.scratchOffset[std::size_t(n)]), VkDeviceSize(p.scratchSize[std::size_t(n)]))
                        : BufferRange{};
        if (!emitElementwise(k, node) && !emitLayout(k, node) && !emitLinear(k, node) && !emitPool(k, node) &&
            !emitTraining(k, node))
            throw StrataError("the Vulkan backend has no kernel for op '" + std::string(ir::opName(node.op)) + "'");
    }
    // Fetch before the assignments, so a fetched variable read shows the value the run used.
    rec.setLabel("fetches");
    for (std::size_t i = 0; i < p.outputList.size(); ++i) {
        const BufferRange src = rangeOf(p, p.outputList[i]);
        rec.copy(src, slot.readback.range(VkDeviceSize(p.fetchOffset[i]), src.size));
    }
    rec.copy(status, slot.readback.range(VkDeviceSize(p.readbackStatus), 16));
    rec.setLabel("assignments");
    for (const ir::Assignment& a : p.buffers.copies) rec.copy(rangeOf(p, a.value), store.range(a.path, g.value(a.value)));
    rec.build();
    slot.recordedGeneration = store.generation();
    lastDispatches = rec.dispatchCount();
    lastBarriers = rec.barrierCount();
    ++recordings;
}

void VulkanBackend::run(ir::PreparedGraph& prepared, std::span<const ir::Feed> feeds, std::span<const ValueId> fetches,
                        std::vector<Tensor>& results) {
    if (!impl_->queue.empty()) throw StrataError("Vulkan backend: collect the enqueued runs before a synchronous run");
    enqueue(prepared, feeds, fetches);
    collect(results);
}

void VulkanBackend::enqueue(ir::PreparedGraph& prepared, std::span<const ir::Feed> feeds, std::span<const ValueId> fetches) {
    auto* plan = dynamic_cast<VulkanPlan*>(&prepared);
    if (!plan) throw StrataError("this graph was prepared by another backend");
    VulkanPlan& p = *plan;
    const ir::Graph& g = p.graph;
    if (int(impl_->queue.size()) >= maxInFlight())
        throw StrataError("Vulkan backend: " + std::to_string(maxInFlight()) + " runs are in flight already; collect one first");
    // The first slot of this plan with no queued run (at most 2 runs are queued, so one is free).
    std::shared_ptr<VulkanPlan::Slot> slotPtr = p.slots[0];
    for (const Impl::InFlight& f : impl_->queue)
        if (f.slot == p.slots[0]) slotPtr = p.slots[1];
    VulkanPlan::Slot& slot = *slotPtr;
    slot.finish(); // its previous run was collected; make sure the device is done with its staging

    std::vector<char> fed(std::size_t(g.valueCount()), 0);
    auto* staging = static_cast<std::byte*>(slot.feedStaging.mapped());
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
    Impl::InFlight run;
    for (ValueId v : want) {
        const auto at = std::find(p.outputList.begin(), p.outputList.end(), v);
        if (at == p.outputList.end())
            throw StrataError("fetch %" + std::to_string(v) + " was not listed as an output when the graph was prepared");
        run.fetches.push_back(v);
        run.fetchOffset.push_back(p.fetchOffset[std::size_t(at - p.outputList.begin())]);
        run.values.push_back(g.value(v));
    }
    run.statusOffset = p.readbackStatus;

    if (impl_->store.stale()) impl_->finishAll(); // materialize() rebuilds buffers that queued runs use
    impl_->store.materialize();
    for (ValueId v : p.buffers.variableValues) // throws like the CPU
        impl_->store.range(p.buffers.path[std::size_t(v)], g.value(v));
    for (const ir::Assignment& a : p.buffers.copies) impl_->store.range(a.path, g.value(a.value));
    if (!slot.recorder->built() || slot.recordedGeneration != impl_->store.generation()) impl_->record(p, slot);
    impl_->ctx.submit(slot.recorder->build(), slot.fence);
    slot.submitted = true;
    run.slot = std::move(slotPtr);
    impl_->queue.push_back(std::move(run));
}

void VulkanBackend::collect(std::vector<Tensor>& results) {
    if (impl_->queue.empty()) throw StrataError("Vulkan backend: no run to collect");
    const Impl::InFlight run = std::move(impl_->queue.front());
    impl_->queue.pop_front();
    run.slot->finish();
    if (impl_->profiling) impl_->addProfile(*run.slot->recorder);
    const auto* back = static_cast<const std::byte*>(run.slot->readback.mapped());
    int32_t status[4];
    std::memcpy(status, back + run.statusOffset, sizeof status);
    if (status[0] != 0)
        throw StrataError("label " + std::to_string(status[1]) + " at batch row " + std::to_string(status[2]) +
                          " is outside [0, " + std::to_string(status[3]) + ")");
    results.resize(run.fetches.size());
    for (std::size_t i = 0; i < run.fetches.size(); ++i) {
        const ir::Value& val = run.values[i];
        if (results[i].shape() != val.shape || results[i].dtype() != val.dtype || results[i].size() != val.shape.numElements())
            results[i] = Tensor(val.shape, val.dtype);
        if (results[i].byteSize()) std::memcpy(results[i].bytes(), back + run.fetchOffset[i], results[i].byteSize());
    }
}

} // namespace strata::gpu
