#include "engine/data/CsvTensors.h"
#include "engine/InputFiles.h"

#include <charconv>
#include <cstdio>
#include <fstream>
#include <ostream>
#include <vector>

namespace strata::data {

Tensor readCsvTensor(const std::string& file, const Shape& sample, const std::string& inputName) {
    if (const std::string why = inputFileProblem(file, kMaxDataFileBytes); !why.empty() && std::filesystem::exists(file))
        throw UnreadableFileError(why);
    std::ifstream in(file, std::ios::binary);
    if (!in) throw UnreadableFileError(file + ": cannot be read");
    std::vector<float> values;
    const int64_t perRow = sample.numElements();
    std::string line;
    int64_t rows = 0;
    for (int lineNo = 1; std::getline(in, line); ++lineNo) {
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (line.find_first_not_of(" \t") == std::string::npos) continue;
        int64_t count = 0;
        std::size_t pos = 0;
        while (true) {
            const std::size_t comma = line.find(',', pos);
            std::string cell = line.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
            const auto first = cell.find_first_not_of(" \t"), last = cell.find_last_not_of(" \t");
            cell = first == std::string::npos ? std::string() : cell.substr(first, last - first + 1);
            float v = 0;
            const auto [end, ec] = std::from_chars(cell.data(), cell.data() + cell.size(), v);
            if (cell.empty() || ec != std::errc() || end != cell.data() + cell.size())
                throw StrataError(file + ":" + std::to_string(lineNo) + ": value " + std::to_string(count + 1) + " '" + cell +
                                  "' is not a number");
            values.push_back(v);
            ++count;
            if (comma == std::string::npos) break;
            pos = comma + 1;
        }
        if (count != perRow)
            throw StrataError(file + ":" + std::to_string(lineNo) + ": expected " + std::to_string(perRow) + " values for input '" +
                              inputName + "' of shape " + sample.prepended(kUnknownDim).toString() + ", found " + std::to_string(count));
        ++rows;
    }
    if (rows == 0) throw StrataError(file + ": no samples");
    return Tensor::fromVector(sample.prepended(rows), values);
}

void writeCsvTensor(std::ostream& out, const Tensor& t) {
    const int64_t rows = t.shape()[0], perRow = t.shape().numElementsFrom(1);
    char buf[64];
    std::string line;
    for (int64_t r = 0; r < rows; ++r) {
        line.clear();
        for (int64_t c = 0; c < perRow; ++c) {
            std::snprintf(buf, sizeof buf, "%.9g", double(t.f32()[r * perRow + c]));
            if (c) line += ',';
            line += buf;
        }
        line += '\n';
        out << line;
    }
}

} // namespace strata::data
