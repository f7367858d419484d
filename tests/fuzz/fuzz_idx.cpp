// Fuzz target: IDX files (MNIST's format, plain or gzip), read as `--data mnist:DIR` reads them:
// images scaled to [0, 1], labels as integers, and the general reader with float elements.
#include "engine/data/IdxLoader.h"
#include "tests/fuzz/FuzzSupport.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace strata;
    const std::filesystem::path file = fuzz::scratch() / "data.idx";
    fuzz::writeFile(file, fuzz::asText(data, size));
    try {
        data::loadIdxImages(file);
    } catch (const StrataError&) {
    }
    try {
        data::loadIdxLabels(file);
    } catch (const StrataError&) {
    }
    try {
        data::loadIdx(file, data::IdxConversion::Float);
    } catch (const StrataError&) {
    }
    return 0;
}
