// Fuzz target: one image file of an image folder (engine/data/ImageDecode: stb_image's PNG, JPEG
// and BMP decoders with Strata's size and truncation checks), read from a file as the folder's
// scan and training do, then converted and resized both ways.
#include "engine/data/ImageDecode.h"
#include "tests/fuzz/FuzzSupport.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace strata;
    const std::filesystem::path file = fuzz::scratch() / "image.png";
    fuzz::writeFile(file, fuzz::asText(data, size));
    try {
        const data::RgbImage image = data::readImage(file);
        std::vector<float> out(7 * 5 * 3);
        data::imageToFloat(image, 7, 5, data::ImageColor::Rgb, out.data());
        data::imageToFloat(image, 7, 5, data::ImageColor::Grayscale, out.data());
    } catch (const StrataError&) {
    }
    return 0;
}
