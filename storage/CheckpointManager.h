// CheckpointManager: the checkpoints of one run (or of one model version outside any run) kept
// by a policy, like tf.train.CheckpointManager: the newest `maxToKeep`, plus one at the end of
// every `keepEveryNEpochs`-th epoch, plus the best by a metric. Each save writes the checkpoint
// and deletes what the policy drops in the same transaction, so a crash never leaves a
// half-pruned set.
//
//   CheckpointManager mgr(project, versionId, runId, {.maxToKeep = 3, .bestMetric = "val_loss"});
//   mgr.save({versionId, runId, step, epochsDone, batchesDone}, [&](CheckpointWriter& w) { w.addBackend(be); });
//   mgr.latest();  mgr.best();
#pragma once

#include "storage/CheckpointStore.h"

#include <functional>

namespace strata::storage {

struct RetentionPolicy {
    int maxToKeep = 5;        // the newest kept; 0 or less keeps all
    int keepEveryNEpochs = 0; // also keep, for good, a checkpoint taken at the end of every Nth epoch
    std::string bestMetric;   // also keep the best checkpoint by this metric ("" for none)
    bool higherIsBetter = false;
};

class CheckpointManager {
public:
    CheckpointManager(Project& project, int64_t modelVersionId, std::optional<int64_t> runId, RetentionPolicy policy = {});

    // Writes a checkpoint (the variables `fill` adds), marks it kept when the epoch policy says
    // so, then prunes; one transaction. Returns the new checkpoint's id.
    int64_t save(CheckpointMeta meta, const std::function<void(CheckpointWriter&)>& fill);
    // Merges metrics into a checkpoint (e.g. validation results known after it was saved) and
    // prunes again, since the best checkpoint may have changed.
    void addMetrics(int64_t checkpointId, const nlohmann::json& metrics);

    std::vector<CheckpointInfo> checkpoints() const; // oldest first
    std::optional<CheckpointInfo> latest() const;
    // The best by `metric` (the policy's when empty): lowest, or highest with higherIsBetter.
    std::optional<CheckpointInfo> best(const std::string& metric = {}, std::optional<bool> higherIsBetter = std::nullopt) const;
    // Deletes the checkpoints the policy does not keep; returns their ids.
    std::vector<int64_t> prune();

    const RetentionPolicy& policy() const { return policy_; }

private:
    CheckpointFilter filter() const;
    Project& project_;
    int64_t modelVersionId_;
    std::optional<int64_t> runId_;
    RetentionPolicy policy_;
};

} // namespace strata::storage
