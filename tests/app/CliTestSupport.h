// Runs strata-cli commands in-process for the app tests.
#pragma once

#include "app/cli/Cli.h"

#include <sstream>
#include <string>
#include <vector>

namespace strata::cli::test {

struct Result {
    int code;
    std::string out, err;
};

inline Result run(const std::vector<std::string>& args) {
    std::ostringstream out, err;
    const int code = runCli(args, out, err);
    return {code, out.str(), err.str()};
}

inline std::string example(const char* name) {
    return std::string(STRATA_TEST_DATA_DIR) + "/../../resources/examples/" + name;
}

} // namespace strata::cli::test
