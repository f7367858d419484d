// Fuzz target: NumPy .npy files (engine/data/NpyLoader), read from a file as the data layer does
// (plain or gzip).
#include "engine/data/NpyLoader.h"
#include "tests/fuzz/FuzzSupport.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace strata;
    const std::filesystem::path file = fuzz::scratch() / "array.npy";
    fuzz::writeFile(file, fuzz::asText(data, size));
    try {
        data::loadNpy(file);
    } catch (const StrataError&) {
    }
    return 0;
}
