#include "gpu/CommandRecorder.h"

#include "engine/Error.h"

#include <algorithm>
#include <cstring>
#include <string>

namespace strata::gpu {

void CommandRecorder::dispatch(const Pipeline& p, std::vector<Binding> bindings, const void* push, uint32_t pushBytes,
                               uint32_t gx, uint32_t gy, uint32_t gz) {
    if (gx == 0 || gy == 0 || gz == 0) return; // empty tensors: nothing to do
    Command c;
    c.kind = Kind::Dispatch;
    c.pipeline = &p;
    c.bindings = std::move(bindings);
    c.pushBytes = std::min(pushBytes, kPushConstantBytes);
    if (push) std::memcpy(c.push.data(), push, c.pushBytes);
    c.groups[0] = gx, c.groups[1] = gy, c.groups[2] = gz;
    c.label = label_;
    commands_.push_back(std::move(c));
}

void CommandRecorder::copy(const BufferRange& src, const BufferRange& dst) {
    if (src.size == 0) return;
    Command c;
    c.kind = Kind::Copy;
    c.bindings = {{src, false}, {dst, true}};
    c.label = label_;
    commands_.push_back(std::move(c));
}

void CommandRecorder::fill(const BufferRange& dst, uint32_t value) {
    if (dst.size == 0) return;
    Command c;
    c.kind = Kind::Fill;
    c.bindings = {{dst, true}};
    c.value = value;
    c.label = label_;
    commands_.push_back(std::move(c));
}

void CommandRecorder::reset() {
    if (cb_) ctx_.freeCommandBuffer(cb_);
    if (pool_) vkDestroyDescriptorPool(ctx_.device(), pool_, nullptr);
    for (VkBufferView v : views_) vkDestroyBufferView(ctx_.device(), v, nullptr);
    views_.clear();
    if (queries_) vkDestroyQueryPool(ctx_.device(), queries_, nullptr);
    cb_ = VK_NULL_HANDLE, pool_ = VK_NULL_HANDLE, queries_ = VK_NULL_HANDLE;
    label_.clear();
    commands_.clear();
    dispatches_ = barriers_ = 0;
}

namespace {
constexpr VkAccessFlags kAnyWrite = VK_ACCESS_SHADER_WRITE_BIT | VK_ACCESS_TRANSFER_WRITE_BIT;
constexpr VkAccessFlags kAnyAccess = kAnyWrite | VK_ACCESS_SHADER_READ_BIT | VK_ACCESS_TRANSFER_READ_BIT;
constexpr VkPipelineStageFlags kStages = VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT | VK_PIPELINE_STAGE_TRANSFER_BIT;

void barrier(VkCommandBuffer cb, VkPipelineStageFlags src, VkAccessFlags srcAccess, VkPipelineStageFlags dst,
             VkAccessFlags dstAccess) {
    VkMemoryBarrier b{VK_STRUCTURE_TYPE_MEMORY_BARRIER};
    b.srcAccessMask = srcAccess;
    b.dstAccessMask = dstAccess;
    vkCmdPipelineBarrier(cb, src, dst, 0, 1, &b, 0, nullptr, 0, nullptr);
}

bool overlapsAny(const BufferRange& r, const std::vector<BufferRange>& list) {
    return std::any_of(list.begin(), list.end(), [&](const BufferRange& o) { return r.overlaps(o); });
}

bool conflict(const std::vector<Binding>& a, const std::vector<Binding>& b) {
    for (const Binding& x : a)
        for (const Binding& y : b)
            if ((x.write || y.write) && x.range.overlaps(y.range)) return true;
    return false;
}
} // namespace

std::vector<int> CommandRecorder::dependencyLevels(const std::vector<std::vector<Binding>>& accesses) {
    std::vector<int> level(accesses.size(), 0);
    int top = -1; // the highest level so far
    for (std::size_t i = 0; i < accesses.size(); ++i) {
        int at = 0;
        // Newest first: a chain finds its predecessor at once, and nothing can beat top + 1.
        for (std::size_t j = i; j-- > 0 && at <= top;)
            if (level[j] + 1 > at && conflict(accesses[i], accesses[j])) at = level[j] + 1;
        level[i] = at;
        top = std::max(top, at);
    }
    return level;
}

VkCommandBuffer CommandRecorder::build() {
    if (cb_) return cb_;
    VkDevice dev = ctx_.device();
    uint32_t sets = 0, descriptors = 0, texels = 0;
    for (const Command& c : commands_) {
        if (c.kind != Kind::Dispatch) continue;
        ++sets;
        for (uint32_t b = 0; b < c.bindings.size(); ++b) {
            const bool texel = (c.pipeline->texelMask >> b) & 1u;
            if (texel != (c.bindings[b].texel != VK_FORMAT_UNDEFINED))
                throw StrataError("internal: binding " + std::to_string(b) + " does not match its pipeline's descriptor type");
            (texel ? texels : descriptors) += 1;
        }
    }
    std::vector<VkDescriptorSet> ds(sets);
    if (sets) {
        const VkDescriptorPoolSize sizes[2] = {{VK_DESCRIPTOR_TYPE_STORAGE_BUFFER, std::max(descriptors, 1u)},
                                               {VK_DESCRIPTOR_TYPE_UNIFORM_TEXEL_BUFFER, std::max(texels, 1u)}};
        VkDescriptorPoolCreateInfo pi{VK_STRUCTURE_TYPE_DESCRIPTOR_POOL_CREATE_INFO};
        pi.maxSets = sets;
        pi.poolSizeCount = 2;
        pi.pPoolSizes = sizes;
        check(vkCreateDescriptorPool(dev, &pi, nullptr, &pool_), "vkCreateDescriptorPool");
        std::vector<VkDescriptorSetLayout> layouts;
        for (const Command& c : commands_)
            if (c.kind == Kind::Dispatch) layouts.push_back(c.pipeline->setLayout);
        VkDescriptorSetAllocateInfo ai{VK_STRUCTURE_TYPE_DESCRIPTOR_SET_ALLOCATE_INFO};
        ai.descriptorPool = pool_;
        ai.descriptorSetCount = sets;
        ai.pSetLayouts = layouts.data();
        check(vkAllocateDescriptorSets(dev, &ai, ds.data()), "vkAllocateDescriptorSets");
        std::vector<VkDescriptorBufferInfo> infos;
        infos.reserve(descriptors);
        views_.reserve(texels);
        std::vector<VkWriteDescriptorSet> writes;
        uint32_t s = 0;
        for (const Command& c : commands_) {
            if (c.kind != Kind::Dispatch) continue;
            for (uint32_t b = 0; b < c.bindings.size(); ++b) {
                const BufferRange& r = c.bindings[b].range;
                VkWriteDescriptorSet w{VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET};
                w.dstSet = ds[s];
                w.dstBinding = b;
                w.descriptorCount = 1;
                if (c.bindings[b].texel != VK_FORMAT_UNDEFINED) {
                    VkBufferViewCreateInfo vi{VK_STRUCTURE_TYPE_BUFFER_VIEW_CREATE_INFO};
                    vi.buffer = r.buffer;
                    vi.format = c.bindings[b].texel;
                    vi.offset = r.offset;
                    vi.range = r.size;
                    VkBufferView view = VK_NULL_HANDLE;
                    check(vkCreateBufferView(dev, &vi, nullptr, &view), "vkCreateBufferView");
                    views_.push_back(view);
                    w.descriptorType = VK_DESCRIPTOR_TYPE_UNIFORM_TEXEL_BUFFER;
                    w.pTexelBufferView = &views_.back();
                } else {
                    infos.push_back({r.buffer, r.offset, std::max<VkDeviceSize>(r.size, 4)});
                    w.descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER;
                    w.pBufferInfo = &infos.back();
                }
                writes.push_back(w);
            }
            ++s;
        }
        vkUpdateDescriptorSets(dev, uint32_t(writes.size()), writes.data(), 0, nullptr);
    }

    const bool timed = profile_ && ctx_.timestampBits() > 0;
    if (timed) {
        VkQueryPoolCreateInfo qi{VK_STRUCTURE_TYPE_QUERY_POOL_CREATE_INFO};
        qi.queryType = VK_QUERY_TYPE_TIMESTAMP;
        qi.queryCount = uint32_t(commands_.size() + 1);
        check(vkCreateQueryPool(dev, &qi, nullptr, &queries_), "vkCreateQueryPool");
    }
    cb_ = ctx_.allocateCommandBuffer();
    VkCommandBufferBeginInfo bi{VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO};
    check(vkBeginCommandBuffer(cb_, &bi), "vkBeginCommandBuffer");
    if (timed) vkCmdResetQueryPool(cb_, queries_, 0, uint32_t(commands_.size() + 1));
    // Whatever ran before this submission (host writes, transfers, the previous step) is visible.
    barrier(cb_, VK_PIPELINE_STAGE_ALL_COMMANDS_BIT | VK_PIPELINE_STAGE_HOST_BIT, VK_ACCESS_MEMORY_WRITE_BIT | VK_ACCESS_HOST_WRITE_BIT,
            kStages, kAnyAccess);
    if (timed) vkCmdWriteTimestamp(cb_, VK_PIPELINE_STAGE_BOTTOM_OF_PIPE_BIT, queries_, 0);
    // The order to record: by dependency level, program order within a level (see the header).
    // The barrier rule below then puts one barrier at each level boundary.
    std::vector<uint32_t> setOf(commands_.size()), order(commands_.size());
    for (uint32_t i = 0, s = 0; i < commands_.size(); ++i) {
        setOf[i] = s;
        if (commands_[i].kind == Kind::Dispatch) ++s;
        order[i] = i;
    }
    if (reorder_ && !timed) {
        std::vector<std::vector<Binding>> accesses;
        accesses.reserve(commands_.size());
        for (const Command& c : commands_) accesses.push_back(c.bindings);
        const std::vector<int> level = dependencyLevels(accesses);
        std::stable_sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) { return level[a] < level[b]; });
    }
    std::vector<BufferRange> pendingReads, pendingWrites;
    VkPipelineStageFlags pendingStages = 0;
    const Pipeline* bound = nullptr;
    for (uint32_t index : order) {
        const Command& c = commands_[index];
        bool hazard = timed && pendingStages != 0; // a profile runs one command at a time
        for (const Binding& b : c.bindings)
            hazard = hazard || overlapsAny(b.range, pendingWrites) || (b.write && overlapsAny(b.range, pendingReads));
        if (hazard) {
            const VkAccessFlags written = ((pendingStages & VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT) ? VK_ACCESS_SHADER_WRITE_BIT : 0) |
                                          ((pendingStages & VK_PIPELINE_STAGE_TRANSFER_BIT) ? VK_ACCESS_TRANSFER_WRITE_BIT : 0);
            barrier(cb_, pendingStages, written, kStages, kAnyAccess);
            ++barriers_;
            pendingReads.clear(), pendingWrites.clear(), pendingStages = 0;
        }
        for (const Binding& b : c.bindings) (b.write ? pendingWrites : pendingReads).push_back(b.range);
        switch (c.kind) {
        case Kind::Dispatch:
            if (bound != c.pipeline) vkCmdBindPipeline(cb_, VK_PIPELINE_BIND_POINT_COMPUTE, c.pipeline->pipeline), bound = c.pipeline;
            vkCmdBindDescriptorSets(cb_, VK_PIPELINE_BIND_POINT_COMPUTE, c.pipeline->layout, 0, 1, &ds[setOf[index]], 0, nullptr);
            if (c.pushBytes)
                vkCmdPushConstants(cb_, c.pipeline->layout, VK_SHADER_STAGE_COMPUTE_BIT, 0, kPushConstantBytes, c.push.data());
            vkCmdDispatch(cb_, c.groups[0], c.groups[1], c.groups[2]);
            pendingStages |= VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT;
            ++dispatches_;
            break;
        case Kind::Copy: {
            const BufferRange &src = c.bindings[0].range, &dst = c.bindings[1].range;
            VkBufferCopy region{src.offset, dst.offset, src.size};
            vkCmdCopyBuffer(cb_, src.buffer, dst.buffer, 1, &region);
            pendingStages |= VK_PIPELINE_STAGE_TRANSFER_BIT;
            break;
        }
        case Kind::Fill: {
            const BufferRange& dst = c.bindings[0].range;
            vkCmdFillBuffer(cb_, dst.buffer, dst.offset, (dst.size + 3) / 4 * 4, c.value);
            pendingStages |= VK_PIPELINE_STAGE_TRANSFER_BIT;
            break;
        }
        }
        if (timed) vkCmdWriteTimestamp(cb_, VK_PIPELINE_STAGE_BOTTOM_OF_PIPE_BIT, queries_, index + 1);
    }
    // The host reads fetched results after the fence.
    barrier(cb_, kStages, kAnyWrite, VK_PIPELINE_STAGE_HOST_BIT, VK_ACCESS_HOST_READ_BIT);
    check(vkEndCommandBuffer(cb_), "vkEndCommandBuffer");
    return cb_;
}

std::vector<CommandRecorder::CommandTime> CommandRecorder::times() const {
    std::vector<CommandTime> out;
    if (!queries_ || !cb_) return out;
    std::vector<uint64_t> ticks(commands_.size() + 1);
    check(vkGetQueryPoolResults(ctx_.device(), queries_, 0, uint32_t(ticks.size()), ticks.size() * 8, ticks.data(), 8,
                                VK_QUERY_RESULT_64_BIT | VK_QUERY_RESULT_WAIT_BIT),
          "vkGetQueryPoolResults");
    const uint32_t bits = ctx_.timestampBits();
    const uint64_t mask = bits >= 64 ? ~uint64_t(0) : (uint64_t(1) << bits) - 1;
    for (uint64_t& t : ticks) t &= mask;
    out.reserve(commands_.size());
    for (std::size_t i = 0; i < commands_.size(); ++i) {
        const Command& c = commands_[i];
        CommandTime t;
        t.label = c.label;
        t.kernel = c.kind == Kind::Dispatch ? c.pipeline->shader : c.kind == Kind::Copy ? "copy" : "fill";
        // Commands ran in program order, one at a time: each one's time is from the previous stamp.
        const uint64_t d = (ticks[i + 1] - ticks[i]) & mask;
        t.microseconds = double(d) * ctx_.timestampPeriodNs() * 1e-3;
        out.push_back(std::move(t));
    }
    return out;
}

} // namespace strata::gpu
