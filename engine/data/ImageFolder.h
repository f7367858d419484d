// Image folders as datasets, read from disk as they train (the features are a SampleSource; only
// the file list and the labels are held in memory). Three layouts, as Keras'
// image_dataset_from_directory reads them:
//
//   DIR/CLASS/*.png|jpg|jpeg|bmp      one sub-folder per class; class names sorted
//   DIR/labels.csv + files            rows "file,label" (an optional header "file,label"); paths
//                                     relative to DIR; class names sorted
//   DIR/train/, DIR/val/, DIR/test/   each in the class layout (val may be "validation"; val and
//                                     test are optional and may hold only some of train's classes)
//
// Splits follow the CSV tables' convention (DatasetSource.h): the first two layouts hold out a fixed
// stratified 20% for test (kTestSplitSeed), then `validationSplit` of the rest for validation
// (stratified, `seed`); the third keeps its own test split and takes validation from train only
// when there is no val/ folder. Files with other extensions are ignored; a file with an image
// extension that is not a regular file (a FIFO, a folder) is a bad file, never opened.
//
// Before the dataset is returned every image is decoded once (on `threads` threads, with progress
// lines for big folders), so a corrupt or truncated file stops the load with its name and why, or
// is skipped with skipBadFiles.
#pragma once

#include "engine/data/DatasetSplits.h"
#include "engine/data/ImageDecode.h"

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

namespace strata::data {

struct ImageFolderOptions {
    int height = 0, width = 0; // the size samples are resized to; both > 0
    ImageColor color = ImageColor::Rgb;
    double validationSplit = 0.1;
    uint64_t seed = 42;
    bool skipBadFiles = false;
    int threads = 2;
    // Keep every image once decoded, as uint8 at the sample size (SampleSource.h, sampleCache), so
    // later epochs skip decoding; left off (with a note in the report) when the cache would take
    // more than half of the memory budget.
    bool cacheDecoded = false;
    // Progress of the scan for folders of more than 1000 images, one line at a time.
    std::function<void(const std::string& line)> progress;
};

struct ImageFolderReport {
    int64_t images = 0;                  // good images, all splits
    std::vector<std::string> skipped;    // "FILE: why", with skipBadFiles
    std::string listing;                 // "path size mtime" per image, for a fingerprint
    std::string cache;                   // cacheDecoded: "decoded cache: 12.00 MiB" or why it is off
};

// Throws StrataError naming the folder, file or line: no such folder, no images, an empty class
// folder, a labels.csv row that is ragged or names a missing file, a bad image (without skipBadFiles).
DatasetSplits loadImageFolder(const std::filesystem::path& root, const ImageFolderOptions& options,
                              ImageFolderReport* report = nullptr);

// One image file of a folder's layout, before any decoding: its class and its split ("train",
// "val" or "test" for a train/val/test folder; "" for the other layouts).
struct ImageFolderEntry {
    std::filesystem::path file;
    std::string className;
    std::string split;
};

// The files of `root` in listing order, as loadImageFolder finds them; throws StrataError as it
// does for the layout (no such folder, an empty class folder, a bad labels.csv row).
std::vector<ImageFolderEntry> listImageFolder(const std::filesystem::path& root);

// The streamed features of image files: file i decoded, converted and resized on each read.
SampleSourcePtr imageFileSource(std::vector<std::filesystem::path> files, int height, int width, ImageColor color);

} // namespace strata::data
