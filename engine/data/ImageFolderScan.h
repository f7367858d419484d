// A look at an image folder before training on it (the dataset view): every file of its layout
// (ImageFolder.h) decoded once on worker threads, giving each image's size and class, the files
// that cannot be read (named, with why) and the class counts. Progress is reported from the
// calling thread, and the scan stops early when the progress callback answers false.
//
//   ImageScanOptions o;
//   o.progress = [&](int64_t done, int64_t total) { bar = done; return !cancelled; };
//   ImageFolderScan scan = scanImageFolder("photos", o);   // scan.classCounts: {"cat", 5}, ...
#pragma once

#include "engine/data/ImageFolder.h"

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace strata::data {

struct ImageScanOptions {
    int threads = 2;
    // Called about every 50 ms and once at the end with the files decoded so far; false stops the scan.
    std::function<bool(int64_t done, int64_t total)> progress;
};

struct ScannedImage {
    ImageFolderEntry entry;
    int height = 0, width = 0; // as stored in the file
};

struct ImageFolderScan {
    std::vector<ScannedImage> images;                          // readable images, in listing order
    std::vector<std::string> badFiles;                         // "FILE: why"
    std::vector<std::pair<std::string, int64_t>> classCounts;  // readable images per class, classes sorted
    int64_t listed = 0;                                        // image files found
    bool cancelled = false;                                    // stopped by the progress callback
};

// Throws StrataError for the layout problems listImageFolder names; a file that does not decode is
// a bad file, not an error.
ImageFolderScan scanImageFolder(const std::filesystem::path& root, const ImageScanOptions& options = {});

// The most frequent image size and how many images have it, and the smallest and largest by area
// (all zero when there are no images).
struct ImageSizeSummary {
    int minHeight = 0, minWidth = 0, maxHeight = 0, maxWidth = 0, commonHeight = 0, commonWidth = 0;
    int64_t commonCount = 0, distinct = 0;
};
ImageSizeSummary summarizeImageSizes(const std::vector<ScannedImage>& images);

} // namespace strata::data
