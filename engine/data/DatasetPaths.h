// Where the datasets shipped with Strata live: $STRATA_RESOURCES/datasets when the variable is
// set, else <executable dir>/../share/strata/datasets (the installed layout), else the source
// tree's resources/datasets (a build run from its build folder).
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace strata::data {

// The folders searched, in order (folders that do not exist are included; lookups skip them).
std::vector<std::filesystem::path> datasetSearchPath();

// The first existing `fileName` along the search path; throws StrataError listing every folder
// searched when none has it.
std::filesystem::path findDatasetFile(const std::string& fileName);

} // namespace strata::data
