#include "app/cli/ImageOptions.h"

#include <filesystem>

namespace strata::cli {

const std::vector<std::string> kImageFlags = {"--skip-bad-files", "--cache-images"};
const std::vector<std::string> kImageOptions = {"--image-size", "--color", "--validation-split", "--data-threads"};
const char* const kImageUsage =
    "  --data images:DIR   a folder of images (PNG, JPEG, BMP): DIR/CLASS/*.png, or DIR/labels.csv of\n"
    "                      file,label rows, or DIR/train, DIR/val, DIR/test each with class folders.\n"
    "                      Decoded from disk on worker threads as it trains; 20% held out for test\n"
    "                      (unless DIR/test), --validation-split of the rest for validation\n"
    "  --image-size H W    images are resized (bilinear) to H x W (default: the model input's)\n"
    "  --color C           rgb | grayscale (default: from the model input's channels, 3 or 1)\n"
    "  --validation-split F  images: the fraction of training images held out, stratified (default 0.1)\n"
    "  --skip-bad-files    images: skip corrupt, truncated or unsupported files (reported) instead of stopping\n"
    "  --data-threads N    images: threads decoding images (default 2)\n"
    "  --cache-images      images: keep each image once decoded, as 8-bit values at the sample size,\n"
    "                      so later epochs skip decoding (off when it would take over half the memory)\n";

std::vector<std::string> joinImageSize(const std::vector<std::string>& args) {
    std::vector<std::string> out;
    for (std::size_t i = 0; i < args.size(); ++i) {
        const bool digits = i + 2 < args.size() && !args[i + 2].empty() &&
                            args[i + 2].find_first_not_of("0123456789") == std::string::npos;
        if (args[i] == "--image-size" && digits) {
            out.push_back(args[i]);
            out.push_back(args[i + 1] + "x" + args[i + 2]);
            i += 2;
        } else {
            out.push_back(args[i]);
        }
    }
    return out;
}

namespace {
bool parseInt(const std::string& text, int min, int max, int& out) {
    try {
        std::size_t used = 0;
        const long v = std::stol(text, &used);
        if (used != text.size() || v < min || v > max) return false;
        out = int(v);
        return true;
    } catch (const std::exception&) {
        return false;
    }
}
} // namespace

bool parseImageOptions(const Args& a, data::DataSource& source, const std::string& command, std::ostream& err) {
    const std::string who = "strata-cli " + command + ": ";
    const bool images = data::isImageSource(source.name);
    if (!images) {
        for (const std::string& o : kImageOptions)
            if (a.hasValue(o)) {
                err << who << o << " applies to image folders (--data images:DIR), not to '" << source.name << "'\n";
                return false;
            }
        for (const char* f : {"--skip-bad-files", "--cache-images"})
            if (a.has(f)) {
                err << who << f << " applies to image folders (--data images:DIR), not to '" << source.name << "'\n";
                return false;
            }
        return true;
    }
    std::error_code ec; // recorded by absolute path, so --resume works from anywhere
    const auto full = std::filesystem::absolute(data::imageFolderOf(source.name), ec);
    if (!ec) source.name = "images:" + full.lexically_normal().string();
    if (a.hasValue("--image-size")) {
        const std::string v = a.value("--image-size");
        const auto x = v.find('x');
        if (x == std::string::npos || !parseInt(v.substr(0, x), 1, 8192, source.imageHeight) ||
            !parseInt(v.substr(x + 1), 1, 8192, source.imageWidth)) {
            err << who << "--image-size takes a height and a width from 1 to 8192 (--image-size 28 28), got '" << v << "'\n";
            return false;
        }
    }
    if (a.hasValue("--color")) {
        source.color = a.value("--color");
        if (source.color == "gray") source.color = "grayscale";
        if (source.color != "rgb" && source.color != "grayscale") {
            err << who << "--color is rgb or grayscale, got '" << a.value("--color") << "'\n";
            return false;
        }
    }
    if (a.hasValue("--validation-split")) {
        const std::string v = a.value("--validation-split");
        try {
            std::size_t used = 0;
            source.validationSplit = std::stod(v, &used);
            if (used != v.size()) throw std::invalid_argument(v);
        } catch (const std::exception&) {
            source.validationSplit = -1;
        }
        if (!(source.validationSplit >= 0 && source.validationSplit < 1)) {
            err << who << "--validation-split is a fraction in [0, 1), got '" << v << "'\n";
            return false;
        }
    }
    if (a.hasValue("--data-threads") && !parseInt(a.value("--data-threads"), 1, 256, source.dataThreads)) {
        err << who << "--data-threads must be an integer from 1 to 256, got '" << a.value("--data-threads") << "'\n";
        return false;
    }
    source.skipBadFiles = a.has("--skip-bad-files");
    source.cacheImages = a.has("--cache-images");
    return true;
}

} // namespace strata::cli
