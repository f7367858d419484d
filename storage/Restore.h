// Restoring stored variables into a Model or a Backend, matched by key and shape. Unlike a restore
// that silently matches nothing, the report names every missing, unexpected and mismatched key,
// and nothing is applied unless everything matches (or the caller asked for a partial restore,
// and gets the list of what was skipped).
//
//   CheckpointReader ckpt(project, id);
//   restoreModel(ckpt, model);                 // throws RestoreError (with the report) on any difference
//   RestoreReport r = restoreModel(ckpt, model, RestoreMode::Partial);  // r.skipped lists what was not applied
//   restoreTrainingState(ckpt, backend);       // optimizer slots and optimizer/iter, for resuming
#pragma once

#include "engine/Model.h"
#include "engine/ir/Backend.h"
#include "storage/StorageError.h"
#include "storage/VariableSource.h"

#include <string>
#include <vector>

namespace strata::storage {

struct ShapeMismatch {
    std::string key;
    Shape expected, found;       // expected: the model's (or backend's); found: the stored one
    DType expectedType = DType::F32, foundType = DType::F32;
};

struct RestoreReport {
    std::string source, target;
    std::vector<std::string> restored;
    std::vector<std::string> missing;        // the target has it, the source does not
    std::vector<std::string> unexpected;     // the source has it (a model key), the target does not
    std::vector<ShapeMismatch> mismatched;   // both have it, with another shape or dtype
    std::vector<std::string> skipped;        // partial restore: every key not applied
    std::vector<std::string> trainingState;  // source keys that are not model variables (slots, counters)
    bool applied = false;
    bool built = false;                      // the model was unbuilt and was built by this restore

    bool complete() const { return missing.empty() && unexpected.empty() && mismatched.empty(); }
    // One line per problem, each naming the key; empty when complete.
    std::string problems() const;
};

class RestoreError : public StorageError {
public:
    explicit RestoreError(RestoreReport report);
    const RestoreReport& report() const { return report_; }

private:
    RestoreReport report_;
};

enum class RestoreMode { AllOrNothing, Partial };

// Restores every model variable of `source` into `model`. An unbuilt model is built (variables
// created with the stored values; it stays unbuilt when nothing is applied). Reads and checks
// every value before assigning any. AllOrNothing: throws RestoreError when the keys or shapes
// differ in any way. Partial: applies the matches, lists the rest in `skipped`.
RestoreReport restoreModel(const VariableSource& source, Model& model, RestoreMode mode = RestoreMode::AllOrNothing);

// Sets every training-state entry of `source` (optimizer slots, optimizer/iter; not save_counter,
// not model variables) on the backend. An entry whose backend variable exists with another shape
// or dtype is a mismatch: then nothing is set and RestoreError is thrown.
RestoreReport restoreTrainingState(const VariableSource& source, ir::Backend& backend);

} // namespace strata::storage
