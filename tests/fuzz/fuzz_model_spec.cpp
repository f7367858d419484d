// Fuzz target: a model spec (strata.model/1 JSON) as `strata-cli check` and `summary` read it:
// parsing, validation and shape inference, the summary table (plain and expanded, text and JSON),
// and, for a valid spec of bounded size, building the model with its variables (as train does);
// its costs and training memory (summary --costs) and its diff with itself less its first layer.
#include "engine/Model.h"
#include "engine/ModelSpec.h"
#include "engine/ShapeInference.h"
#include "engine/SpecDiff.h"
#include "engine/Summary.h"
#include "tests/fuzz/FuzzSupport.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace strata;
    try {
        const ModelSpec spec = ModelSpec::parse(std::string(fuzz::asText(data, size)), "fuzz.json");
        const InferenceResult r = ShapeInference::run(spec);
        std::string sink;
        for (const auto& issue : r.issues) sink += issue.text();
        ModelSpec fewer = spec; // a broken spec diffs too
        if (!fewer.layers.empty()) fewer.layers.erase(fewer.layers.begin());
        const SpecDiff diff = SpecDiff::compute(fewer, spec);
        sink += diff.format("a", "b") + diff.toJson().dump();
        if (!r.ok()) return 0;
        for (bool expand : {false, true}) {
            SummaryTable t = SummaryTable::fromSpec(spec, r, expand);
            t.showCosts = expand;
            if (expand) {
                try {
                    t.estimateTraining(1 << 20, "adam");
                } catch (const ShapeError&) { // past 2^62 bytes: refused, the rest still runs
                }
            }
            sink += t.format();
            sink += t.toJson().dump();
        }
        sink += spec.toJson().dump();
        if (r.totals.total() <= fuzz::kMaxBuiltParams) Model::fromSpec(spec);
    } catch (const StrataError&) {
    }
    return 0;
}
