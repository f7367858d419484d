#include "storage/CheckpointManager.h"

#include <cmath>
#include <set>

namespace strata::storage {

CheckpointManager::CheckpointManager(Project& project, int64_t modelVersionId, std::optional<int64_t> runId,
                                     RetentionPolicy policy)
    : project_(project), modelVersionId_(modelVersionId), runId_(runId), policy_(std::move(policy)) {}

CheckpointFilter CheckpointManager::filter() const {
    CheckpointFilter f;
    f.modelVersionId = modelVersionId_;
    f.runId = runId_;
    return f;
}

int64_t CheckpointManager::save(CheckpointMeta meta, const std::function<void(CheckpointWriter&)>& fill) {
    meta.modelVersionId = modelVersionId_;
    meta.runId = runId_;
    if (policy_.keepEveryNEpochs > 0 && meta.batchesDone == 0 && meta.epochsDone > 0 &&
        meta.epochsDone % policy_.keepEveryNEpochs == 0)
        meta.keep = true;
    Transaction t(project_.database());
    CheckpointWriter w(project_, std::move(meta));
    fill(w);
    const int64_t id = w.commit();
    prune();
    t.commit();
    return id;
}

void CheckpointManager::addMetrics(int64_t checkpointId, const nlohmann::json& metrics) {
    Transaction t(project_.database());
    CheckpointStore(project_).mergeMetrics(checkpointId, metrics);
    prune();
    t.commit();
}

std::vector<CheckpointInfo> CheckpointManager::checkpoints() const {
    auto all = CheckpointStore(project_).list(filter());
    if (!runId_) std::erase_if(all, [](const CheckpointInfo& c) { return c.runId.has_value(); });
    return all;
}

std::optional<CheckpointInfo> CheckpointManager::latest() const {
    auto all = checkpoints();
    if (all.empty()) return std::nullopt;
    return all.back();
}

std::optional<CheckpointInfo> CheckpointManager::best(const std::string& metricIn, std::optional<bool> higherIn) const {
    const std::string metric = metricIn.empty() ? policy_.bestMetric : metricIn;
    const bool higher = higherIn.value_or(policy_.higherIsBetter);
    if (metric.empty()) return std::nullopt;
    std::optional<CheckpointInfo> best;
    double bestValue = 0;
    for (const auto& c : checkpoints()) {
        auto it = c.metrics.find(metric);
        if (it == c.metrics.end() || !it->is_number()) continue;
        const double v = it->get<double>();
        if (!std::isfinite(v)) continue;
        if (!best || (higher ? v > bestValue : v < bestValue)) best = c, bestValue = v; // ties: the older one
    }
    return best;
}

std::vector<int64_t> CheckpointManager::prune() {
    const auto all = checkpoints();
    std::set<int64_t> keep;
    if (policy_.maxToKeep <= 0) return {};
    for (std::size_t i = all.size() > std::size_t(policy_.maxToKeep) ? all.size() - std::size_t(policy_.maxToKeep) : 0;
         i < all.size(); ++i)
        keep.insert(all[i].id);
    for (const auto& c : all)
        if (c.keep) keep.insert(c.id);
    if (auto b = best()) keep.insert(b->id);
    std::vector<int64_t> removed;
    Transaction t(project_.database());
    for (const auto& c : all)
        if (!keep.count(c.id)) {
            CheckpointStore(project_).remove(c.id);
            removed.push_back(c.id);
        }
    t.commit();
    return removed;
}

} // namespace strata::storage
