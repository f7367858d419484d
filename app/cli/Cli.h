// strata-cli: the headless front end over the same engine and project files as the GUI.
// runCli() is the whole program, taking its streams so that tests can run commands in-process.
#pragma once

#include <functional>
#include <iosfwd>
#include <string>
#include <vector>

namespace strata::cli {

// Exit codes: 0 success; 1 the input is wrong in a way the command reports (invalid spec, ...);
// 2 usage errors and files that are not what the command reads.
int runCli(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

struct Command {
    std::string name;
    std::string synopsis; // one line for the command list
    std::string usage;    // full --help text
    std::function<int(const std::vector<std::string>& args, std::ostream& out, std::ostream& err)> run;
};

// Command families register here (one function per file).
void addSpecCommands(std::vector<Command>& out);
void addTrainCommands(std::vector<Command>& out);
void addImportCommands(std::vector<Command>& out);
void addDiffCommands(std::vector<Command>& out); // DiffCommand.cpp
void addEvaluateCommands(std::vector<Command>& out); // EvaluateCommand.cpp

// Argument helpers shared by the commands.
class Args {
public:
    Args(const std::vector<std::string>& args, std::vector<std::string> flags, std::vector<std::string> options);
    bool ok() const { return error_.empty(); }
    const std::string& error() const { return error_; }
    bool has(const std::string& flag) const;
    std::string value(const std::string& option, const std::string& fallback = {}) const;
    bool hasValue(const std::string& option) const;
    // Every value of an option given more than once, in order.
    std::vector<std::string> values(const std::string& option) const;
    const std::vector<std::string>& positional() const { return positional_; }

private:
    std::vector<std::string> flagsSet_;
    std::vector<std::pair<std::string, std::string>> values_;
    std::vector<std::string> positional_;
    std::string error_;
};

} // namespace strata::cli
