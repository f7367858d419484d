// strata-bench image-folder: decoding and feeding an image folder as training does, one epoch of
// batches through BatchIterator (a BatchPrefetcher with --threads decoding workers) with nothing
// else running, beside the scan that checks every file first. One JSON line:
//   {"bench": "image-folder", "dir", "images", "threads", "batch", "scan_s", "feed_s",
//    "images_per_second" (the feed), "peak_rss_bytes"}
//
//   strata-bench image-folder --dir D [--size H] [--color rgb|grayscale] [--threads N] [--batch B]
//
// D holds D/train/CLASS/* (so every image is a training image: no split is held out).
#include "BenchRegistry.h"

#include "engine/data/BatchIterator.h"
#include "engine/data/ImageFolder.h"

#include <iostream>
#include <nlohmann/json.hpp>

namespace strata::bench {

namespace {

int imageFolderBench(const std::vector<std::string>& args) {
    const std::string dir = argValue(args, "--dir", "");
    if (dir.empty()) {
        std::cerr << "strata-bench image-folder: --dir D is required\n";
        return 2;
    }
    data::ImageFolderOptions o;
    o.height = o.width = std::stoi(argValue(args, "--size", "28"));
    o.color = data::imageColorFromName(argValue(args, "--color", "grayscale"));
    o.threads = std::stoi(argValue(args, "--threads", "1"));
    o.validationSplit = 0;
    const int64_t batch = std::stoll(argValue(args, "--batch", "32"));
    double t0 = nowSeconds();
    const data::DatasetSplits s = data::loadImageFolder(dir, o);
    const double scan = nowSeconds() - t0;
    data::BatchIterator it(s.train, {batch, true, false, 0, o.threads, 4});
    Tensor x = it.makeXBatch(), y = it.makeYBatch();
    t0 = nowSeconds();
    it.beginEpoch(0);
    int64_t seen = 0;
    double checksum = 0;
    while (const int64_t rows = it.next(x, y)) {
        seen += rows;
        checksum += double(x.f32()[0]);
    }
    const double feed = nowSeconds() - t0;
    std::cout << nlohmann::json{{"bench", "image-folder"}, {"dir", dir}, {"images", seen}, {"threads", o.threads},
                                {"batch", batch}, {"scan_s", scan}, {"feed_s", feed},
                                {"images_per_second", double(seen) / feed}, {"peak_rss_bytes", peakRssBytes()},
                                {"checksum", checksum}}
                     .dump()
              << std::endl;
    return 0;
}

const Register reg("image-folder", "decode and feed an image folder's batches (--dir D/train/CLASS/*)", imageFolderBench);

} // namespace

} // namespace strata::bench
