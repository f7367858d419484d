// strata-cli diff P.strata [--model NAME] V1 V2 [--json]: what changed between two versions of a
// model (engine/SpecDiff.h): layers added, removed and changed, with keys and parameter counts.
#include "app/cli/Cli.h"

#include "engine/SpecDiff.h"
#include "storage/Project.h"
#include "storage/StorageError.h"

#include <ostream>

namespace strata::cli {

namespace {

// A usage mistake found after parsing: a version or model that does not exist (exit status 2).
struct DiffUsageError : StrataError {
    using StrataError::StrataError;
};

// "3" or "v3" -> 3; 0 when it is neither.
int versionNumber(const std::string& text) {
    std::string digits = !text.empty() && (text[0] == 'v' || text[0] == 'V') ? text.substr(1) : text;
    if (digits.empty() || digits.size() > 9 || digits.find_first_not_of("0123456789") != std::string::npos) return 0;
    return std::stoi(digits);
}

const storage::ModelVersion& pickVersion(const std::vector<storage::ModelVersion>& versions, const std::string& which,
                                         const std::string& model) {
    const int n = versionNumber(which);
    for (const auto& v : versions)
        if (v.version == n) return v;
    std::string list;
    for (const auto& v : versions) list += (list.empty() ? "" : ", ") + std::to_string(v.version);
    throw DiffUsageError("model '" + model + "' has no version '" + which + "' (its versions: " + (list.empty() ? "none" : list) + ")");
}

int diffCommand(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
    Args a(args, {"--json"}, {"--model"});
    if (!a.ok()) {
        err << "strata-cli diff: " << a.error() << " (see --help)\n";
        return 2;
    }
    if (a.positional().size() != 3) {
        err << "strata-cli diff: expected P.strata and two versions, e.g. 'diff work.strata --model mlp 1 3' (see --help)\n";
        return 2;
    }
    const std::string& file = a.positional()[0];
    try {
        const storage::Project p = storage::Project::open(file, storage::OpenMode::ReadOnly);
        const storage::ModelInfo m = p.model(a.value("--model"));
        const auto versions = p.versions(m.id);
        const storage::ModelVersion& v1 = pickVersion(versions, a.positional()[1], m.name);
        const storage::ModelVersion& v2 = pickVersion(versions, a.positional()[2], m.name);
        const SpecDiff d = SpecDiff::compute(v1.spec, v2.spec);
        if (a.has("--json")) {
            nlohmann::json j = d.toJson();
            j["project"] = file;
            j["model"] = m.name;
            j["before"] = {{"version", v1.version}, {"created_at", v1.createdAt}, {"note", v1.note}};
            j["after"] = {{"version", v2.version}, {"created_at", v2.createdAt}, {"note", v2.note}};
            out << j.dump() << "\n";
        } else {
            out << m.name << ": " << d.format("v" + std::to_string(v1.version), "v" + std::to_string(v2.version));
        }
        return 0;
    } catch (const DiffUsageError& e) {
        err << "strata-cli diff: " << e.what() << "\n";
        return 2;
    } catch (const storage::StorageError& e) { // not a project, unreadable, no such model
        err << "strata-cli diff: " << e.what() << "\n";
        return 2;
    }
}

} // namespace

void addDiffCommands(std::vector<Command>& out) {
    out.push_back({"diff", "what changed between two versions of a model in a project",
                   "usage: strata-cli diff P.strata [--model NAME] V1 V2 [--json]\n\n"
                   "Compares version V1 with version V2 (numbers, or v1, v2) of the model: one line per\n"
                   "layer added (+), removed (-) or changed (~, with each config key that differs, old → new,\n"
                   "and the inbound layers of a functional model), with its parameter count before → after,\n"
                   "then the total parameters. Layers are matched by name: a renamed layer is one removed\n"
                   "and one added. A Block's layers are compared inside it, by path (encoder/dense_1).\n"
                   "  --model NAME  the model (needed when the project holds several)\n"
                   "  --json        one JSON object: layers (path, status added|removed|changed|unchanged,\n"
                   "                type, changes [{key, before, after}], params_before, params_after),\n"
                   "                total_params_before/after, counts, before/after versions\n"
                   "Exit status: 0 printed; 2 the project cannot be read, or the model or a version does\n"
                   "not exist (the message lists those that do).\n",
                   diffCommand});
}

} // namespace strata::cli
