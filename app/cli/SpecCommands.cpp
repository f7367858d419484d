// strata-cli summary and check: validate a model spec and print its Keras summary.
#include "app/cli/Cli.h"

#include "app/session/DeviceMemory.h"
#include "engine/Error.h"
#include "engine/MemoryBudget.h"
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

// --batch as a positive count; 0 after printing why.
int64_t batchOption(const Args& a, std::ostream& err) {
    const std::string text = a.value("--batch", "32");
    if (text.empty() || text.size() > 9 || text.find_first_not_of("0123456789") != std::string::npos || std::stoll(text) < 1) {
        err << "strata-cli summary: --batch takes a positive whole number, got '" << text << "' (see --help)\n";
        return 0;
    }
    return std::stoll(text);
}

int summaryCommand(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
    Args a(args, {"--json", "--expand", "--costs"}, {"--batch", "--optimizer", "--device"});
    ModelSpec spec;
    int code = 0;
    if (!loadSpec(a, "summary", spec, err, code)) return code;
    const int64_t batch = batchOption(a, err);
    if (batch == 0) return 2;
    const std::string optimizer = a.value("--optimizer", "adam");
    InferenceResult r = ShapeInference::run(spec);
    if (!r.ok()) {
        for (const auto& issue : r.issues) err << issue.text() << "\n";
        return 1;
    }
    SummaryTable t = SummaryTable::fromSpec(spec, r, a.has("--expand"));
    t.showCosts = a.has("--costs") || a.hasValue("--batch") || a.hasValue("--optimizer") || a.hasValue("--device");
    try {
        t.estimateTraining(batch, optimizer);
    } catch (const ConfigError& e) {
        err << "strata-cli summary: --" << e.what() << " (see --help)\n";
        return 2;
    } catch (const ShapeError& e) {
        err << "strata-cli summary: the training memory at batch " << batch << ": " << e.what() << "\n";
        return 1;
    }
    const session::DeviceMemory device = session::deviceMemory(a.value("--device", "cpu"));
    if (!device.error.empty()) {
        err << "strata-cli summary: " << device.error << "\n";
        return 2;
    }
    if (a.has("--json")) {
        nlohmann::json j = t.toJson();
        if (t.training) {
            j["training_memory"]["device"] = device.device;
            j["training_memory"]["device_name"] = device.name;
            j["training_memory"]["device_bytes"] = device.bytes;
            j["training_memory"]["fits"] = t.training->totalBytes() <= device.bytes;
        }
        out << j.dump() << "\n";
        return 0;
    }
    out << t.format();
    if (t.showCosts && t.training)
        out << " " << (t.training->totalBytes() <= device.bytes ? "Fits in " : "Does not fit in ") << device.name << ": "
            << readableBytes(double(device.bytes)) << "\n";
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
                   "usage: strata-cli summary MODEL.json [--json] [--expand] [--costs] [--batch N]\n"
                   "                          [--optimizer NAME] [--device D]\n\n"
                   "Prints each layer's output shape and parameter count, and the totals.\n"
                   "  --json     one JSON object: layers (name, type, output_shape, params,\n"
                   "             trainable_params, inbound, macs, ops, activation_bytes), total_params,\n"
                   "             trainable_params, non_trainable_params, total_macs, total_ops,\n"
                   "             activation_bytes_per_sample, costs_complete, training_memory (batch,\n"
                   "             optimizer, weight/gradient/optimizer/activation/total_bytes, device,\n"
                   "             device_bytes, fits); null stands for an unknown dimension or cost\n"
                   "  --expand   list the layers inside each Block under it\n"
                   "  --costs    add a MACs column and the costs per sample and of a training step\n"
                   "             (implied by --batch, --optimizer and --device)\n"
                   "  --batch N  the batch size of the training memory estimate (default 32)\n"
                   "  --optimizer NAME  sgd, adam (default), adamw or rmsprop: its slots per parameter\n"
                   "  --device D cpu (default: this machine's memory), vulkan or vulkan:N (its memory)\n"
                   "Costs are per sample at inference: MACs are the multiply-adds of the weights\n"
                   "(Dense: in x out; Conv2D: out_h x out_w x filters x kh x kw x in / groups), ops the\n"
                   "other arithmetic (bias, activations, pools, merges, norms), activations each layer's\n"
                   "output. Training memory: " + std::string(trainingMemoryAssumptions()) + "\n"
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
