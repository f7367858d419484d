// strata-cli commands over project files and saved-model folders:
//   inspect  P.strata|DIR [--checkpoint ID|latest]   models, runs, checkpoints; or one checkpoint's variables
//   export   P.strata --checkpoint latest --format saved-model --out DIR
//   predict  DIR|P.strata --input in.csv --output out.csv   (NAME=file.csv per input/output when several)
//   (evaluate: EvaluateCommand.cpp)
#pragma once

#include "app/cli/Cli.h"

#include <vector>

namespace strata::cli {

void addProjectCommands(std::vector<Command>& out);

} // namespace strata::cli
