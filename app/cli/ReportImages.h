// The PNG charts of `strata-cli evaluate --report`: the confusion matrix as a heat map (each true
// class's row normalised, counts written in the cells), a regression's predicted-against-true
// scatter and its residual histogram. Drawn on a plain RGB raster with stb_easy_font's text and
// encoded by stb_image_write (Debian's libstb-dev): strata-cli links no Qt.
#pragma once

#include "engine/train/EvalReport.h"

#include <string>

namespace strata::cli {

std::string confusionMatrixPng(const train::EvalReport& r); // the PNG file's bytes
std::string scatterPng(const train::EvalReport& r);
std::string residualHistogramPng(const train::EvalReport& r);

} // namespace strata::cli
