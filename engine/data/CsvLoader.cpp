#include "engine/data/CsvLoader.h"

#include "engine/Error.h"
#include "engine/data/FileInput.h"

#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>
#include <map>
#include <vector>

namespace strata::data {

namespace {

struct Line {
    std::string_view text;
    int64_t number; // 1-based, counting every physical line of the file
};

class CsvParser {
  public:
    CsvParser(std::string_view text, const std::string& source, const CsvOptions& options)
        : text_(text), source_(source), options_(options) {}

    Dataset parse();
    std::vector<std::string> textColumn(const std::string& column) const;
    // parse(), with column `textColumn` read into `out` as text (see CsvText).
    void parseText(const std::string& textColumn, CsvText& out) {
        textColumn_ = &textColumn;
        textOut_ = &out;
        out.rows = parse();
    }
    CsvLayout layout() const;

  private:
    bool looksLikeHeader(const std::vector<std::string_view>& first) const;
    [[noreturn]] void fail(int64_t line, const std::string& why) const {
        throw StrataError(source_ + ":" + std::to_string(line) + ": " + why);
    }
    [[noreturn]] void fail(const std::string& why) const {
        throw StrataError(source_ + ": " + why);
    }

    std::vector<Line> splitLines() const;
    std::string_view trim(std::string_view s) const;
    void splitCells(std::string_view line, std::vector<std::string_view>& cells) const;
    int resolveTarget(const std::vector<std::string_view>& header, bool hasHeader,
                      int columns) const;
    // A column by header name or 0-based index (negative: from the end).
    int resolveColumn(const std::string& ref, const std::vector<std::string_view>& header, bool hasHeader,
                      int columns) const;
    std::string badNumber(std::string_view cell, std::size_t column) const;

    std::string_view text_;
    const std::string& source_;
    const CsvOptions& options_;
    const std::string* textColumn_ = nullptr;
    CsvText* textOut_ = nullptr;
};

// A quoted cell's text: "" stands for one quote.
std::string unquoted(std::string_view cell) {
    std::string out;
    out.reserve(cell.size());
    for (std::size_t i = 0; i < cell.size(); ++i) {
        out += cell[i];
        if (cell[i] == '"' && i + 1 < cell.size() && cell[i + 1] == '"') ++i;
    }
    return out;
}

std::vector<Line> CsvParser::splitLines() const {
    std::vector<Line> lines;
    std::size_t pos = 0;
    int64_t number = 0;
    while (pos < text_.size()) {
        const void* found = std::memchr(text_.data() + pos, '\n', text_.size() - pos);
        const std::size_t end =
            found ? std::size_t(static_cast<const char*>(found) - text_.data()) : text_.size();
        ++number;
        const std::string_view line = text_.substr(pos, end - pos);
        if (number > options_.skipLines && !trim(line).empty()) lines.push_back({line, number});
        pos = end + 1;
    }
    return lines;
}

std::string_view CsvParser::trim(std::string_view s) const {
    auto blank = [&](char c) {
        return c == ' ' || c == '\r' || (c == '\t' && options_.delimiter != '\t');
    };
    while (!s.empty() && blank(s.front()))
        s.remove_prefix(1);
    while (!s.empty() && blank(s.back()))
        s.remove_suffix(1);
    return s;
}

// Cells are trimmed; a cell in double quotes loses its quotes and may contain the delimiter.
void CsvParser::splitCells(std::string_view line, std::vector<std::string_view>& cells) const {
    cells.clear();
    const char delimiter = options_.delimiter;
    std::size_t pos = 0;
    for (;;) {
        const std::string_view rest = trim(line.substr(pos));
        if (!rest.empty() && rest.front() == '"') {
            std::size_t close = rest.find('"', 1);
            while (close != std::string_view::npos && close + 1 < rest.size() &&
                   rest[close + 1] == '"')
                close = rest.find('"', close + 2); // "" is an escaped quote
            if (close != std::string_view::npos) {
                cells.push_back(rest.substr(1, close - 1));
                const std::size_t next = rest.find(delimiter, close + 1);
                if (next == std::string_view::npos) return;
                pos = std::size_t(rest.data() - line.data()) + next + 1;
                continue;
            }
        }
        const std::size_t next = line.find(delimiter, pos);
        cells.push_back(trim(line.substr(
            pos, next == std::string_view::npos ? std::string_view::npos : next - pos)));
        if (next == std::string_view::npos) return;
        pos = next + 1;
    }
}

std::string labelText(std::string_view cell, int column) {
    return "column " + std::to_string(column + 1) + ": class label '" + std::string(cell) + "'";
}

bool parseDouble(std::string_view cell, double& out) {
    if (!cell.empty() && cell.front() == '+') cell.remove_prefix(1);
    const auto [end, ec] = std::from_chars(cell.data(), cell.data() + cell.size(), out);
    return !cell.empty() && ec == std::errc() && end == cell.data() + cell.size() &&
           std::isfinite(out);
}

bool parseFloat(std::string_view cell, float& out) {
    if (!cell.empty() && cell.front() == '+') cell.remove_prefix(1);
    const auto [end, ec] = std::from_chars(cell.data(), cell.data() + cell.size(), out);
    return !cell.empty() && ec == std::errc() && end == cell.data() + cell.size() &&
           std::isfinite(out);
}

std::string CsvParser::badNumber(std::string_view cell, std::size_t column) const {
    const std::string where = "column " + std::to_string(column + 1);
    if (cell.empty()) return where + " is empty";
    return where + ": '" + std::string(cell.substr(0, 40)) + (cell.size() > 40 ? "...'" : "'") +
           " is not a number";
}

int CsvParser::resolveTarget(const std::vector<std::string_view>& header, bool hasHeader,
                             int columns) const {
    if (!options_.targetName.empty()) {
        if (!hasHeader)
            fail("the target column '" + options_.targetName +
                 "' is given by name but there is no header row");
        std::string names;
        for (std::size_t c = 0; c < header.size(); ++c) {
            if (header[c] == options_.targetName) return int(c);
            names += (c ? ", " : "") + std::string(header[c]);
        }
        fail("no column named '" + options_.targetName + "' in the header (columns: " + names +
             ")");
    }
    const int index =
        options_.targetColumn < 0 ? columns + options_.targetColumn : options_.targetColumn;
    if (index < 0 || index >= columns)
        fail("target column " + std::to_string(options_.targetColumn) +
             " is out of range: the table has " + std::to_string(columns) + " columns");
    return index;
}

int CsvParser::resolveColumn(const std::string& ref, const std::vector<std::string_view>& header, bool hasHeader,
                             int columns) const {
    std::string names;
    for (std::size_t c = 0; hasHeader && c < header.size(); ++c) {
        if (header[c] == ref) return int(c);
        names += (c ? ", " : "") + std::string(header[c]);
    }
    int index = 0;
    const auto [end, ec] = std::from_chars(ref.data(), ref.data() + ref.size(), index);
    if (ec != std::errc() || end != ref.data() + ref.size())
        fail(hasHeader ? "no column named '" + ref + "' in the header (columns: " + names + ")"
                       : "column '" + ref + "' is given by name but there is no header row");
    const int resolved = index < 0 ? columns + index : index;
    if (resolved < 0 || resolved >= columns)
        fail("column " + ref + " is out of range: the table has " + std::to_string(columns) + " columns");
    return resolved;
}

bool CsvParser::looksLikeHeader(const std::vector<std::string_view>& first) const {
    if (options_.header != CsvHeader::Auto) return options_.header == CsvHeader::Present;
    double unused = 0;
    for (std::string_view cell : first)
        if (!cell.empty() && !parseDouble(cell, unused)) return true;
    return false;
}

CsvLayout CsvParser::layout() const {
    const std::vector<Line> lines = splitLines();
    if (lines.empty()) fail("no data rows");
    std::vector<std::string_view> cells;
    splitCells(lines[0].text, cells);
    CsvLayout out;
    out.hasHeader = looksLikeHeader(cells);
    for (std::size_t c = 0; c < cells.size(); ++c)
        out.columns.push_back(out.hasHeader ? std::string(cells[c]) : "column " + std::to_string(c + 1));
    return out;
}

std::vector<std::string> CsvParser::textColumn(const std::string& column) const {
    const std::vector<Line> lines = splitLines();
    if (lines.empty()) fail("no data rows");
    std::vector<std::string_view> cells;
    splitCells(lines[0].text, cells);
    const std::vector<std::string_view> first = cells;
    const bool hasHeader = looksLikeHeader(first);
    const int columns = int(first.size());
    const int index = resolveColumn(column, first, hasHeader, columns);
    std::vector<std::string> texts;
    for (std::size_t r = hasHeader ? 1 : 0; r < lines.size(); ++r) {
        splitCells(lines[r].text, cells);
        if (int(cells.size()) != columns)
            fail(lines[r].number, "expected " + std::to_string(columns) + " columns, found " + std::to_string(cells.size()));
        if (cells[std::size_t(index)].empty()) fail(lines[r].number, "column " + std::to_string(index + 1) + ": the text is empty");
        texts.push_back(unquoted(cells[std::size_t(index)]));
    }
    if (texts.empty()) fail("no data rows after the header");
    return texts;
}

// One target column as it is read: class labels (integers, or names numbered in sorted order as
// scikit-learn's LabelEncoder does, the names kept) or regression values.
struct TargetColumn {
    int index = 0;
    bool labels = true;
    bool named = false;
    std::map<std::string, int32_t, std::less<>> classIndex;
    int64_t firstLabelLine = 0;
    std::string firstLabel;
    int32_t maxLabel = -1;
    Tensor y;
};

Dataset CsvParser::parse() {
    const std::vector<Line> lines = splitLines();
    if (lines.empty()) fail("no data rows");
    std::vector<std::string_view> cells;
    splitCells(lines[0].text, cells);
    const std::vector<std::string_view> first = cells;
    const bool hasHeader = looksLikeHeader(first);
    const int columns = int(first.size());
    const std::size_t begin = hasHeader ? 1 : 0;
    const int64_t rows = int64_t(lines.size() - begin);

    std::vector<TargetColumn> targets(1 + options_.moreTargets.size());
    targets[0].index = resolveTarget(first, hasHeader, columns);
    targets[0].labels = options_.target == CsvTarget::ClassLabel;
    for (std::size_t t = 1; t < targets.size(); ++t) {
        const CsvTargetColumn& more = options_.moreTargets[t - 1];
        targets[t].index = resolveColumn(more.column, first, hasHeader, columns);
        targets[t].labels = more.target == CsvTarget::ClassLabel;
    }
    std::vector<int> role(std::size_t(columns), -1); // the target a column feeds, or -1 for a feature
    for (std::size_t t = 0; t < targets.size(); ++t) {
        if (role[std::size_t(targets[t].index)] >= 0)
            fail("column " + std::to_string(targets[t].index + 1) + " is given as the target of two outputs");
        role[std::size_t(targets[t].index)] = int(t);
    }
    int textIndex = -1;
    if (textColumn_) {
        textIndex = resolveColumn(*textColumn_, first, hasHeader, columns);
        if (role[std::size_t(textIndex)] >= 0)
            fail("column " + std::to_string(textIndex + 1) + " is given as the text and as a target");
        for (int c = 0; c < columns; ++c)
            if (c != textIndex && role[std::size_t(c)] < 0)
                textOut_->ignoredColumns.push_back(hasHeader ? std::string(first[std::size_t(c)]) : "column " + std::to_string(c + 1));
        if (rows > (int64_t(1) << 24)) fail("more than 16777216 rows of text");
    }
    const int features = textColumn_ ? 1 : columns - int(targets.size());
    if (features < 1)
        fail(lines[0].number, "expected at least " + std::to_string(targets.size() + 1) + " columns (features and " +
                                  (targets.size() == 1 ? "a target" : "the targets") + "), found " + std::to_string(columns));
    if (rows == 0) fail("no data rows after the header");

    auto mixedLabels = [&](const TargetColumn& tc, const Line& line, std::string_view cell, int c) {
        fail(line.number, "column " + std::to_string(c + 1) + ": class label '" + std::string(cell) + "' is a " +
                              (tc.named ? "number" : "name") + " but line " + std::to_string(tc.firstLabelLine) + " has the " +
                              (tc.named ? "name" : "number") + " '" + tc.firstLabel + "': use class names or integers throughout");
    };
    for (TargetColumn& tc : targets) {
        tc.y = tc.labels ? Tensor(Shape{rows}, DType::I32) : Tensor(Shape{rows, 1}, DType::F32);
        if (!tc.labels) continue;
        const std::size_t target = std::size_t(tc.index);
        // The first label decides: names or integers. A label of the other kind later (a typo
        // such as "1O") is an error, never a silent renumbering of every class.
        for (int64_t r = 0; r < rows && !tc.firstLabelLine; ++r) {
            const Line& line = lines[begin + std::size_t(r)];
            splitCells(line.text, cells);
            if (cells.size() <= target || cells[target].empty()) continue;
            double v = 0;
            tc.firstLabelLine = line.number;
            tc.firstLabel = std::string(cells[target]);
            tc.named = !parseDouble(cells[target], v);
        }
        for (int64_t r = 0; r < rows && tc.named; ++r) {
            splitCells(lines[begin + std::size_t(r)].text, cells);
            if (cells.size() > target) tc.classIndex.emplace(std::string(cells[target]), 0);
        }
        int32_t next = 0;
        for (auto& [name, index] : tc.classIndex) index = next++;
        if (tc.classIndex.size() > 100000)
            fail("column " + std::to_string(tc.index + 1) + " has " + std::to_string(tc.classIndex.size()) +
                 " distinct class names: is it a regression target?");
    }
    Tensor x(Shape{rows, features}, DType::F32);
    float* xOut = x.f32();
    for (int64_t r = 0; r < rows; ++r) {
        const Line& line = lines[begin + std::size_t(r)];
        splitCells(line.text, cells);
        if (int(cells.size()) != columns)
            fail(line.number, "expected " + std::to_string(columns) + " columns, found " +
                                  std::to_string(cells.size()));
        for (int c = 0; c < columns; ++c) {
            const std::string_view cell = cells[std::size_t(c)];
            if (role[std::size_t(c)] < 0 && textColumn_) {
                if (c != textIndex) continue;
                if (cell.empty()) fail(line.number, "column " + std::to_string(c + 1) + ": the text is empty");
                textOut_->texts.push_back(unquoted(cell));
                *xOut++ = float(r);
                continue;
            }
            if (role[std::size_t(c)] < 0) {
                if (!parseFloat(cell, *xOut++)) fail(line.number, badNumber(cell, std::size_t(c)));
                continue;
            }
            TargetColumn& tc = targets[std::size_t(role[std::size_t(c)])];
            if (tc.named) {
                if (cell.empty()) fail(line.number, "column " + std::to_string(c + 1) + ": the class label is empty");
                double v = 0;
                if (parseDouble(cell, v)) mixedLabels(tc, line, cell, c);
                tc.y.i32()[r] = tc.classIndex.find(cell)->second;
                tc.maxLabel = std::max(tc.maxLabel, tc.y.i32()[r]);
                continue;
            }
            double v = 0;
            if (!parseDouble(cell, v)) {
                if (tc.labels && !cell.empty() && tc.firstLabelLine && tc.firstLabelLine != line.number)
                    mixedLabels(tc, line, cell, c);
                fail(line.number, badNumber(cell, std::size_t(c)));
            }
            if (!tc.labels) {
                tc.y.f32()[r] = float(v);
                continue;
            }
            if (v != std::floor(v))
                fail(line.number, labelText(cell, c) + " is not an integer (load the column as a "
                                                       "regression target for real values)");
            if (v > double(std::numeric_limits<int32_t>::max() - 1))
                fail(line.number, labelText(cell, c) + " is too large for a class label");
            if (v < 0)
                fail(line.number, labelText(cell, c) + " is negative: labels must be 0, 1, 2, ...");
            tc.y.i32()[r] = int32_t(v);
            tc.maxLabel = std::max(tc.maxLabel, tc.y.i32()[r]);
        }
    }

    Dataset data;
    data.x = std::move(x);
    for (std::size_t t = 0; t < targets.size(); ++t) {
        TargetColumn& tc = targets[t];
        Targets out{std::move(tc.y), tc.labels ? tc.maxLabel + 1 : 0, {}};
        for (const auto& [name, index] : tc.classIndex) out.classNames.push_back(name); // in index order
        if (t == 0) {
            data.y = std::move(out.y);
            data.numClasses = out.numClasses;
            data.classNames = std::move(out.classNames);
        } else {
            data.moreY.push_back(std::move(out));
        }
    }
    if (!options_.datasetName.empty()) {
        data.name = options_.datasetName;
    } else {
        const std::string file = std::filesystem::path(source_).filename().string();
        data.name = file.substr(0, file.find('.'));
    }
    return data;
}

} // namespace

Dataset parseCsv(std::string_view text, const std::string& sourceName, const CsvOptions& options) {
    return CsvParser(text, sourceName, options).parse();
}

Dataset loadCsv(const std::filesystem::path& path, const CsvOptions& options) {
    return parseCsv(internal::readWholeFile(path), path.string(), options);
}

CsvText parseCsvText(std::string_view text, const std::string& sourceName, const std::string& textColumn,
                     const CsvOptions& options) {
    CsvText out;
    CsvParser(text, sourceName, options).parseText(textColumn, out);
    return out;
}

CsvText loadCsvText(const std::filesystem::path& path, const std::string& textColumn, const CsvOptions& options) {
    return parseCsvText(internal::readWholeFile(path), path.string(), textColumn, options);
}

std::vector<std::string> loadCsvTextColumn(const std::filesystem::path& path, const std::string& textColumn,
                                           const CsvOptions& options) {
    const std::string text = internal::readWholeFile(path);
    return CsvParser(text, path.string(), options).textColumn(textColumn);
}

CsvLayout csvLayout(const std::filesystem::path& path, const CsvOptions& options) {
    const std::string text = internal::readWholeFile(path);
    return CsvParser(text, path.string(), options).layout();
}

} // namespace strata::data
