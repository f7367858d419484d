#include "app/cli/Cli.h"
#include "app/cli/ProjectCommands.h"
#include "app/cli/DeviceCommands.h"

#include <algorithm>
#include <ostream>

namespace strata::cli {

Args::Args(const std::vector<std::string>& args, std::vector<std::string> flags, std::vector<std::string> options) {
    for (std::size_t i = 0; i < args.size(); ++i) {
        const std::string& a = args[i];
        if (a.rfind("--", 0) != 0 || a == "--") {
            positional_.push_back(a);
            continue;
        }
        std::string name = a, inlineValue;
        bool hasInline = false;
        if (auto eq = a.find('='); eq != std::string::npos) {
            name = a.substr(0, eq);
            inlineValue = a.substr(eq + 1);
            hasInline = true;
        }
        if (std::find(flags.begin(), flags.end(), name) != flags.end() && !hasInline) {
            flagsSet_.push_back(name);
        } else if (std::find(options.begin(), options.end(), name) != options.end()) {
            if (hasInline) values_.emplace_back(name, inlineValue);
            else if (i + 1 < args.size()) values_.emplace_back(name, args[++i]);
            else error_ = "option " + name + " needs a value";
        } else if (error_.empty()) {
            error_ = "unknown option '" + name + "'";
        }
    }
}

bool Args::has(const std::string& flag) const {
    return std::find(flagsSet_.begin(), flagsSet_.end(), flag) != flagsSet_.end();
}

bool Args::hasValue(const std::string& option) const {
    for (const auto& [k, v] : values_)
        if (k == option) return true;
    return false;
}

std::string Args::value(const std::string& option, const std::string& fallback) const {
    for (auto it = values_.rbegin(); it != values_.rend(); ++it)
        if (it->first == option) return it->second;
    return fallback;
}

std::vector<std::string> Args::values(const std::string& option) const {
    std::vector<std::string> out;
    for (const auto& [k, v] : values_)
        if (k == option) out.push_back(v);
    return out;
}

namespace {

std::vector<Command> allCommands() {
    std::vector<Command> cmds;
    addSpecCommands(cmds);
    addTrainCommands(cmds);
    addProjectCommands(cmds);
    addEvaluateCommands(cmds);
    addImportCommands(cmds);
    addDeviceCommands(cmds);
    addDiffCommands(cmds);
    return cmds;
}

void printHelp(const std::vector<Command>& cmds, std::ostream& out) {
    out << "usage: strata-cli COMMAND [options]\n\n"
           "Author, check and train neural network models described by strata.model/1 specs.\n\n"
           "commands:\n";
    for (const auto& c : cmds) {
        std::string name = c.name;
        name.resize(std::max<std::size_t>(name.size(), 10), ' ');
        out << "  " << name << "  " << c.synopsis << "\n";
    }
    out << "\nRun 'strata-cli COMMAND --help' for the options of a command.\n";
}

} // namespace

int runCli(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
    const auto cmds = allCommands();
    if (args.empty()) {
        printHelp(cmds, err);
        return 2;
    }
    const std::string& first = args[0];
    if (first == "--help" || first == "-h" || first == "help") {
        printHelp(cmds, out);
        return 0;
    }
    if (first == "--version" || first == "-V") {
        out << "strata-cli " << STRATA_VERSION << "\n";
        return 0;
    }
    auto it = std::find_if(cmds.begin(), cmds.end(), [&](const Command& c) { return c.name == first; });
    if (it == cmds.end()) {
        err << "strata-cli: unknown command '" << first << "' (run 'strata-cli --help' for the list)\n";
        return 2;
    }
    std::vector<std::string> rest(args.begin() + 1, args.end());
    if (std::find(rest.begin(), rest.end(), "--help") != rest.end() ||
        std::find(rest.begin(), rest.end(), "-h") != rest.end()) {
        out << it->usage;
        return 0;
    }
    if (std::find(rest.begin(), rest.end(), "--version") != rest.end()) {
        out << "strata-cli " << STRATA_VERSION << "\n";
        return 0;
    }
    try {
        return it->run(rest, out, err);
    } catch (const std::exception& e) {
        err << "strata-cli " << it->name << ": " << e.what() << "\n";
        return 1;
    }
}

} // namespace strata::cli
