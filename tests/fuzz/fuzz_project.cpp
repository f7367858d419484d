// Fuzz target: the project file (*.strata, one SQLite database: its pages and its rows), opened
// read-only and listed as `strata-cli inspect` lists it (models, versions with their specs, runs
// and their metrics, datasets, checkpoints and their variables), then the newest checkpoint loaded
// with its weights as export and predict load it (app/session/ModelLoading), for a model of
// bounded size.
#include "app/session/ModelLoading.h"
#include "engine/ShapeInference.h"
#include "storage/CheckpointStore.h"
#include "storage/Project.h"
#include "tests/fuzz/FuzzSupport.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace strata;
    const std::filesystem::path dir = fuzz::freshFolder("project"); // no -wal or -shm of the last input
    const std::filesystem::path file = dir / "fuzz.strata";
    fuzz::writeFile(file, fuzz::asText(data, size));
    try {
        const storage::Project p = storage::Project::open(file, storage::OpenMode::ReadOnly);
        const storage::CheckpointStore store(p);
        std::string sink;
        for (const auto& m : p.models())
            for (const auto& v : p.versions(m.id)) sink += v.spec.toJson().dump();
        for (const auto& r : p.runs()) {
            sink += r.hyperparameters.dump() + r.result.dump();
            for (const char* scope : {"train", "val", "test"}) p.metrics(r.id, scope);
        }
        for (const auto& d : p.datasets()) p.datasetBytes(d.id);
        const auto checkpoints = store.list();
        for (const auto& c : checkpoints) store.variables(c.id);
        if (checkpoints.empty()) return 0;
        const storage::CheckpointInfo& newest = checkpoints.back();
        const InferenceResult r = ShapeInference::run(p.version(newest.modelVersionId).spec);
        if (r.ok() && r.totals.total() <= fuzz::kMaxBuiltParams) session::loadCheckpoint(p, newest);
    } catch (const StrataError&) {
    }
    return 0;
}
