// Checkpoints inside a project: one row per variable (key, dtype, shape, size, crc32c, bytes),
// model weights, optimizer slots and counters alike, each checkpoint written in one transaction.
//
//   CheckpointWriter w(project, {versionId, runId, step, epochsDone, batchesDone});
//   w.addBackend(trainer.backend());        // weights, slots, optimizer/iter
//   int64_t id = w.commit();                // all or nothing
//   CheckpointStore(project).variables(id); // (key, shape) like tf.train.list_variables
//   CheckpointReader r(project, id);        // a VariableSource for restoreModel / restoreTrainingState
//
// A checkpoint records where training stood: after `step` steps, `epochsDone` whole epochs and
// `batchesDone` batches of the next one (TrainOptions::initialEpoch / initialBatch when resuming).
#pragma once

#include "engine/Model.h"
#include "engine/ir/Backend.h"
#include "storage/Project.h"
#include "storage/VariableSource.h"

#include <memory>
#include <optional>

namespace strata::storage {

struct CheckpointMeta {
    int64_t modelVersionId = 0;
    std::optional<int64_t> runId;
    int64_t step = 0;
    int epochsDone = 0;
    int64_t batchesDone = 0;
    nlohmann::json metrics = nlohmann::json::object(); // e.g. {"loss": 0.3, "val_loss": 0.35}
    bool keep = false; // kept by retention whatever max_to_keep says
};

struct CheckpointInfo {
    int64_t id = 0, modelVersionId = 0;
    std::optional<int64_t> runId;
    std::string modelName;
    int modelVersion = 0;
    int64_t step = 0;
    int epochsDone = 0;
    int64_t batchesDone = 0;
    nlohmann::json metrics = nlohmann::json::object();
    bool keep = false;
    std::string createdAt;
    int64_t variableCount = 0, totalBytes = 0;
};

struct CheckpointFilter {
    std::optional<int64_t> modelId, modelVersionId, runId;
};

class CheckpointWriter {
public:
    // Starts the checkpoint's transaction (nested in the caller's, when one is open).
    CheckpointWriter(Project& project, CheckpointMeta meta);
    ~CheckpointWriter(); // rolls back when commit() was not called
    CheckpointWriter(const CheckpointWriter&) = delete;
    CheckpointWriter& operator=(const CheckpointWriter&) = delete;

    int64_t id() const { return id_; }
    // Adds one variable; a key may appear once (StorageError otherwise).
    void add(const std::string& key, const Tensor& value);
    // Every variable of a built model, under its checkpoint key.
    void addModel(const Model& model);
    // Every backend variable (weights, optimizer slots, optimizer/iter), sorted by path.
    void addBackend(const ir::Backend& backend);
    // Adds save_counter (one more than the run's, or the model version's, previous checkpoint)
    // and commits. Returns the checkpoint id.
    int64_t commit();

private:
    Project& project_;
    std::unique_ptr<Transaction> transaction_;
    std::unique_ptr<Statement> insertVariable_, insertChunk_;
    CheckpointMeta meta_;
    int64_t id_ = 0;
};

class CheckpointStore {
public:
    explicit CheckpointStore(const Project& project) : project_(project) {}

    std::vector<CheckpointInfo> list(const CheckpointFilter& filter = {}) const; // oldest first
    std::optional<CheckpointInfo> latest(const CheckpointFilter& filter = {}) const;
    CheckpointInfo get(int64_t checkpointId) const; // throws StorageError when absent
    // The variables of a checkpoint, (key, dtype, shape, size, crc32c), sorted by key.
    std::vector<VariableEntry> variables(int64_t checkpointId) const;
    // Deletes a checkpoint and its variables (one transaction).
    void remove(int64_t checkpointId) const;
    // Merges `metrics` into the checkpoint's metrics object.
    void mergeMetrics(int64_t checkpointId, const nlohmann::json& metrics) const;

private:
    const Project& project_;
};

// The variables of one checkpoint, read on demand (see VariableSource).
class CheckpointReader : public VariableSource {
public:
    CheckpointReader(const Project& project, int64_t checkpointId);
    std::string description() const override;
    const std::vector<VariableEntry>& entries() const override { return entries_; }
    Tensor read(const VariableEntry& entry) const override;
    const CheckpointInfo& info() const { return info_; }

private:
    const Project& project_;
    CheckpointInfo info_;
    std::vector<VariableEntry> entries_;
    std::vector<int64_t> rowIds_; // checkpoint_variables.id per entry
};

} // namespace strata::storage
