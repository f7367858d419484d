// Errors of the commands over projects and saved models, and how they map to exit codes:
// `guarded` runs a command's body and prints "strata-cli COMMAND: ..." for what it throws.
#pragma once

#include "engine/Error.h"

#include <functional>
#include <iosfwd>

namespace strata::cli {

// A usage mistake found after parsing (exit status 2).
struct UsageError : StrataError {
    using StrataError::StrataError;
};

// Runs a command body, mapping errors to exit codes: 2 for usage and unreadable files, 1 for a
// checkpoint or spec that does not fit; anything else propagates (runCli prints it, exit 1).
int guarded(const char* command, std::ostream& err, const std::function<int()>& body);

} // namespace strata::cli
