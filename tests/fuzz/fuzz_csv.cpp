// Fuzz target: CSV tables as strata-cli reads them. The input is the file (plain or gzip): loaded
// as a training table (engine/data/CsvLoader: header detection, class labels by number or name,
// a regression target), its column layout read, and read as predict's input tensors
// (engine/data/CsvTensors) with as many features per sample as the first line has cells; and read
// as a text table (its first column, or the one named "text"), whose texts are vectorized by
// words and by UTF-8 characters (engine/data/TextVectorization).
#include "engine/data/CsvLoader.h"
#include "engine/data/CsvTensors.h"
#include "engine/data/TextVectorization.h"
#include "tests/fuzz/FuzzSupport.h"

#include <algorithm>

#include <nlohmann/json.hpp>

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
    for (const char* column : {"0", "text"}) {
        try {
            const data::CsvText table = data::loadCsvText(file, column);
            for (const char* split : {"word", "character"}) {
                data::TextVectorizationOptions o;
                o.split = split;
                o.maxTokens = 50;
                data::TextVectorization tv(o);
                tv.adapt(table.texts);
                (void)data::TextVectorization::fromJson(tv.toJson()).vectorizeAll(table.texts);
            }
        } catch (const StrataError&) {
        }
    }
    const std::string_view firstLine = text.substr(0, text.find('\n'));
    const int64_t cells = std::min<int64_t>(4096, 1 + std::count(firstLine.begin(), firstLine.end(), ','));
    try {
        data::readCsvTensor(file.string(), Shape({cells}), "input");
    } catch (const StrataError&) {
    }
    return 0;
}
