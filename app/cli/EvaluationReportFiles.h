// The files of `strata-cli evaluate --report DIR`: report.json with the whole report, CSV tables
// (confusion matrix, per-class scores, misclassified samples; predictions and residuals; the
// reconstruction errors) and PNG charts (ReportImages.h).
#pragma once

#include "engine/train/EvalReport.h"

#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

namespace strata::cli {

struct ReportContext {
    std::string data, split, source; // as the person named them; where the weights came from
    nlohmann::json metrics;          // evaluate's JSON line (the trainer's loss and metrics)
};

// The report as one JSON document (report.json).
nlohmann::json reportJson(const train::EvalReport& r, const ReportContext& context);

// Writes every file of the report into `folder` (which exists). Throws StorageError naming a file
// that cannot be written.
void writeReportFiles(const train::EvalReport& r, const ReportContext& context, const std::filesystem::path& folder);

} // namespace strata::cli
