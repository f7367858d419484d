// Fuzz target: the saved-model folder (storage/SavedModel), loaded and instantiated with its
// weights as `strata-cli inspect/predict DIR` do. The input packs three files separated by
// FuzzSupport.h's kFileSeparator: saved_model.json, variables/variables.index and the data file.
// fingerprint.json is written here with the spec's hash (when saved_model.json parses), so that
// mutations of the spec reach the index and the data instead of stopping at the fingerprint.
#include "engine/ShapeInference.h"
#include "storage/Sha256.h"
#include "storage/SavedModel.h"
#include "tests/fuzz/FuzzSupport.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace strata;
    const auto parts = fuzz::splitFiles(fuzz::asText(data, size), 3);
    const std::filesystem::path dir = fuzz::freshFolder("saved");
    std::filesystem::create_directory(dir / "variables");
    fuzz::writeFile(dir / "saved_model.json", parts[0]);
    if (parts.size() > 1) fuzz::writeFile(dir / "variables" / "variables.index", parts[1]);
    if (parts.size() > 2) fuzz::writeFile(dir / "variables" / storage::kVariablesDataFile, parts[2]);
    const nlohmann::json saved = nlohmann::json::parse(parts[0], nullptr, false);
    std::string specHash;
    if (saved.is_object() && saved.contains("spec")) specHash = storage::Sha256::hex(saved["spec"].dump());
    fuzz::writeFile(dir / "fingerprint.json", nlohmann::json{{"spec_sha256", specHash}}.dump());
    try {
        const storage::SavedModel m = storage::SavedModel::load(dir);
        std::string sink = m.metadata().dump() + m.fingerprint().dump();
        const InferenceResult r = ShapeInference::run(m.spec());
        if (r.ok() && r.totals.total() <= fuzz::kMaxBuiltParams) m.instantiate();
    } catch (const StrataError&) {
    }
    return 0;
}
