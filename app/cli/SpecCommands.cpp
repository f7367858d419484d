// strata-cli summary and check: validate a model spec and print its Keras summary.
#include "app/cli/Cli.h"

#include "engine/Error.h"
#include "engine/ModelSpec.h"
#include "engine/ShapeInference.h"
#include "engine/Summary.h"

#include <ostream>

namespace strata::cli {

namespace {

// Loads the spec named by the one positional argument; on failure prints why and sets `code`.
bool loadSpec(const Args& a, const std::string& cmd, ModelSpec& spec, std::ostream& err, int& code) {
    if (!a.ok()) {
        err << "strata-cli " << cmd << ": " << a.error() << " (see --help)\n";
        code = 2;
        return false;
    }
    if (a.positional().size() != 1) {
        err << "strata-cli " << cmd << ": expected one MODEL.json argument (see --help)\n";
        code = 2;
        return false;
    }
    try {
        spec = ModelSpec::load(a.positional()[0]);
        return true;
    } catch (const SpecFormatError& e) {
        err << e.what() << "\n";
        code = 2;
        return false;
    }
}

int summaryCommand(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
    Args a(args, {"--json", "--expand"}, {});
    ModelSpec spec;
    int code = 0;
    if (!loadSpec(a, "summary", spec, err, code)) return code;
    InferenceResult r = ShapeInference::run(spec);
    if (!r.ok()) {
        for (const auto& issue : r.issues) err << issue.text() << "\n";
        return 1;
    }
    SummaryTable t = SummaryTable::fromSpec(spec, r, a.has("--expand"));
    if (a.has("--json")) out << t.toJson().dump() << "\n";
    else out << t.format();
    return 0;
}

int checkCommand(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
    Args a(args, {"--quiet"}, {});
    ModelSpec spec;
    int code = 0;
    if (!loadSpec(a, "check", spec, err, code)) return code;
    InferenceResult r = ShapeInference::run(spec);
    for (const auto& issue : r.issues) out << issue.text() << "\n";
    if (r.ok() && !a.has("--quiet"))
        out << a.positional()[0] << ": valid (" << spec.layers.size() << " layers, " << r.totals.total()
            << " params)\n";
    return r.ok() ? 0 : 1;
}

} // namespace

void addSpecCommands(std::vector<Command>& out) {
    out.push_back({"summary", "print the Keras summary table of a model spec",
                   "usage: strata-cli summary MODEL.json [--json] [--expand]\n\n"
                   "Prints each layer's output shape and parameter count, and the totals.\n"
                   "  --json     one JSON object: layers (name, type, output_shape, params,\n"
                   "             trainable_params, inbound), total_params, trainable_params,\n"
                   "             non_trainable_params; null stands for an unknown dimension\n"
                   "  --expand   list the layers inside each Block under it\n"
                   "Exit status: 0 printed; 1 the spec has errors (printed to stderr);\n"
                   "2 the file is missing, not JSON, or not a model spec.\n",
                   summaryCommand});
    out.push_back({"check", "validate a model spec and print every error",
                   "usage: strata-cli check MODEL.json [--quiet]\n\n"
                   "Prints every problem of the spec, one per line as 'layer: message'.\n"
                   "  --quiet    print nothing when the spec is valid\n"
                   "Exit status: 0 valid; 1 the spec has errors; 2 the file is missing,\n"
                   "not JSON, or not a model spec.\n",
                   checkCommand});
}

} // namespace strata::cli
