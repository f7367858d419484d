#include "engine/data/ImageFolderScan.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <map>
#include <thread>

namespace strata::data {

ImageFolderScan scanImageFolder(const std::filesystem::path& root, const ImageScanOptions& options) {
    std::vector<ImageFolderEntry> entries = listImageFolder(root);
    const std::size_t total = entries.size();
    std::vector<std::pair<int, int>> sizes(total);
    std::vector<std::string> problem(total);
    std::vector<char> decoded(total, 0);
    std::atomic<std::size_t> nextIndex{0}, done{0};
    std::atomic<bool> stop{false};
    auto work = [&] {
        for (std::size_t i; !stop && (i = nextIndex++) < total;) {
            try {
                const RgbImage image = readImage(entries[i].file);
                sizes[i] = {image.height, image.width};
            } catch (const StrataError& e) {
                problem[i] = e.what();
            }
            decoded[i] = 1;
            ++done;
        }
    };
    std::vector<std::thread> threads;
    for (int t = 0; t < std::clamp(options.threads, 1, 64); ++t) threads.emplace_back(work);
    ImageFolderScan scan;
    scan.listed = int64_t(total);
    while (done < total && !stop) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        if (options.progress && !options.progress(int64_t(done.load()), int64_t(total))) stop = true;
    }
    for (std::thread& t : threads) t.join();
    if (!stop && options.progress && !options.progress(int64_t(total), int64_t(total))) stop = true;
    scan.cancelled = stop;
    std::map<std::string, int64_t> counts;
    for (std::size_t i = 0; i < total; ++i) {
        if (!decoded[i]) continue;
        if (!problem[i].empty()) {
            scan.badFiles.push_back(problem[i]);
            continue;
        }
        ++counts[entries[i].className];
        scan.images.push_back({std::move(entries[i]), sizes[i].first, sizes[i].second});
    }
    scan.classCounts.assign(counts.begin(), counts.end());
    return scan;
}

ImageSizeSummary summarizeImageSizes(const std::vector<ScannedImage>& images) {
    ImageSizeSummary s;
    if (images.empty()) return s;
    std::map<std::pair<int, int>, int64_t> bySize;
    const ScannedImage *small = &images.front(), *large = &images.front();
    for (const ScannedImage& im : images) {
        ++bySize[{im.height, im.width}];
        if (int64_t(im.height) * im.width < int64_t(small->height) * small->width) small = &im;
        if (int64_t(im.height) * im.width > int64_t(large->height) * large->width) large = &im;
    }
    for (const auto& [size, n] : bySize)
        if (n > s.commonCount) s.commonHeight = size.first, s.commonWidth = size.second, s.commonCount = n;
    s.minHeight = small->height, s.minWidth = small->width, s.maxHeight = large->height, s.maxWidth = large->width;
    s.distinct = int64_t(bySize.size());
    return s;
}

} // namespace strata::data
