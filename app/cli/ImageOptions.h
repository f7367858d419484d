// The image-folder options of `--data images:DIR`, shared by train and evaluate: --image-size H W,
// --color rgb|grayscale, --validation-split F, --skip-bad-files and --data-threads N.
#pragma once

#include "app/cli/Cli.h"
#include "engine/data/DatasetSource.h"

#include <ostream>
#include <string>
#include <vector>

namespace strata::cli {

extern const std::vector<std::string> kImageFlags;
extern const std::vector<std::string> kImageOptions;
extern const char* const kImageUsage;

// "--image-size H W" becomes "--image-size HxW" (Args takes one value per option).
std::vector<std::string> joinImageSize(const std::vector<std::string>& args);

// Sets the image fields of `source` (and an images: folder's absolute path). Returns false after
// printing "strata-cli COMMAND: ..." naming a bad value or an image option given for other data.
bool parseImageOptions(const Args& a, data::DataSource& source, const std::string& command, std::ostream& err);

} // namespace strata::cli
