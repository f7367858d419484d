// Fuzz target: CSV tables as strata-cli reads them. The input is the file (plain or gzip): loaded
// as a training table (engine/data/CsvLoader: header detection, class labels by number or name,
// a regression target), its column layout read, and read as predict's input tensors
// (engine/data/CsvTensors) with as many features per sample as the first line has cells.
#include "engine/data/CsvLoader.h"
#include "engine/data/CsvTensors.h"
#include "tests/fuzz/FuzzSupport.h"

#include <algorithm>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace strata;
    const std::string_view text = fuzz::asText(data, size);
    const std::filesystem::path file = fuzz::scratch() / "table.csv";
    fuzz::writeFile(file, text);

    data::CsvOptions regression;
    regression.target = data::CsvTarget::Regression;
    regression.targetColumn = 0;
    data::CsvOptions named;
    named.header = data::CsvHeader::Present;
    named.targetName = "label";
    for (const data::CsvOptions& options : {data::CsvOptions{}, regression, named}) {
        try {
            data::loadCsv(file, options);
        } catch (const StrataError&) {
        }
    }
    try {
        data::csvLayout(file);
    } catch (const StrataError&) {
    }
    const std::string_view firstLine = text.substr(0, text.find('\n'));
    const int64_t cells = std::min<int64_t>(4096, 1 + std::count(firstLine.begin(), firstLine.end(), ','));
    try {
        data::readCsvTensor(file.string(), Shape({cells}), "input");
    } catch (const StrataError&) {
    }
    return 0;
}
