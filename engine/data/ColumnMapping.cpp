#include "engine/data/ColumnMapping.h"

#include "engine/Error.h"
#include "engine/data/CsvLoader.h"

#include <algorithm>
#include <charconv>
#include <cstring>
#include <nlohmann/json.hpp>
#include <set>

namespace strata::data {

namespace {

std::string trimmed(const std::string& s) {
    const auto b = s.find_first_not_of(" \t");
    if (b == std::string::npos) return {};
    return s.substr(b, s.find_last_not_of(" \t") - b + 1);
}

std::vector<std::string> splitList(const std::string& s) {
    std::vector<std::string> out;
    std::size_t pos = 0;
    while (pos <= s.size()) {
        const std::size_t comma = std::min(s.find(',', pos), s.size());
        if (std::string t = trimmed(s.substr(pos, comma - pos)); !t.empty()) out.push_back(t);
        pos = comma + 1;
    }
    return out;
}

// A column of `layout` by header name or 0-based index (negative: from the end).
int columnIndex(const std::string& ref, const CsvLayout& layout, const std::string& file, const std::string& who) {
    const int columns = int(layout.columns.size());
    if (layout.hasHeader)
        for (int c = 0; c < columns; ++c)
            if (layout.columns[std::size_t(c)] == ref) return c;
    int index = 0;
    const auto [end, ec] = std::from_chars(ref.data(), ref.data() + ref.size(), index);
    if (ec != std::errc() || end != ref.data() + ref.size()) {
        std::string names;
        for (const std::string& n : layout.columns) names += (names.empty() ? "" : ", ") + n;
        throw StrataError(file + ": " + who + ": no column named '" + ref + "'" +
                          (layout.hasHeader ? " (columns: " + names + ")" : " (the table has no header row: use 0-based indices)"));
    }
    const int resolved = index < 0 ? columns + index : index;
    if (resolved < 0 || resolved >= columns)
        throw StrataError(file + ": " + who + ": column " + ref + " is out of range: the table has " + std::to_string(columns) +
                          " columns");
    return resolved;
}

std::vector<int> inputColumnIndices(const InputColumns& in, const CsvLayout& layout, const std::string& file) {
    std::vector<int> out;
    const std::string who = "input '" + in.input + "'";
    for (const std::string& ref : in.columns) {
        const std::size_t dots = ref.find("..");
        if (dots == std::string::npos) {
            out.push_back(columnIndex(ref, layout, file, who));
            continue;
        }
        const int first = columnIndex(trimmed(ref.substr(0, dots)), layout, file, who);
        const int last = columnIndex(trimmed(ref.substr(dots + 2)), layout, file, who);
        if (last < first)
            throw StrataError(file + ": " + who + ": the range '" + ref + "' runs backwards (column " + std::to_string(first + 1) +
                              " to " + std::to_string(last + 1) + ")");
        for (int c = first; c <= last; ++c) out.push_back(c);
    }
    if (out.empty()) throw StrataError(file + ": " + who + " is given no columns");
    return out;
}

std::string nameList(const std::vector<std::string>& names) {
    std::string out;
    for (const std::string& n : names) out += (out.empty() ? "'" : ", '") + n + "'";
    return out;
}

} // namespace

nlohmann::json ColumnMapping::toJson() const {
    nlohmann::json j = {{"inputs", nlohmann::json::array()}, {"outputs", nlohmann::json::array()}};
    for (const InputColumns& in : inputs) j["inputs"].push_back({{"input", in.input}, {"columns", in.columns}});
    for (const OutputColumn& out : outputs)
        j["outputs"].push_back({{"output", out.output}, {"column", out.column}, {"regression", out.regression}});
    return j;
}

ColumnMapping ColumnMapping::fromJson(const nlohmann::json& j) {
    ColumnMapping m;
    try {
        if (!j.is_object()) throw StrataError("the column mapping must be an object with inputs and outputs");
        for (const auto& in : j.value("inputs", nlohmann::json::array()))
            m.inputs.push_back({in.at("input").get<std::string>(), in.at("columns").get<std::vector<std::string>>()});
        for (const auto& out : j.value("outputs", nlohmann::json::array()))
            m.outputs.push_back({out.at("output").get<std::string>(), out.at("column").get<std::string>(),
                                 out.value("regression", false)});
    } catch (const nlohmann::json::exception& e) {
        throw StrataError(std::string("the column mapping is malformed: ") + e.what());
    }
    return m;
}

std::string ColumnMapping::summary() const {
    std::string s;
    for (const InputColumns& in : inputs) {
        std::string cols;
        for (const std::string& c : in.columns) cols += (cols.empty() ? "" : ", ") + c;
        s += (s.empty() ? "" : "; ") + in.input + ": " + cols;
    }
    std::string t;
    for (const OutputColumn& out : outputs)
        t += (t.empty() ? "" : "; ") + out.output + ": " + out.column + (out.regression ? " (regression)" : " (class)");
    return s + " | " + t;
}

InputColumns parseInputColumns(const std::string& text) {
    const std::size_t eq = text.find('=');
    InputColumns in;
    if (eq != std::string::npos) {
        in.input = trimmed(text.substr(0, eq));
        in.columns = splitList(text.substr(eq + 1));
    }
    if (in.input.empty() || in.columns.empty())
        throw StrataError("'" + text + "' is not an input's columns: give INPUT=COLUMN[,COLUMN...] (a header name or a "
                          "0-based index; first..last for a range)");
    return in;
}

OutputColumn parseOutputColumn(const std::string& text) {
    const std::size_t eq = text.find('=');
    OutputColumn out;
    if (eq != std::string::npos) {
        out.output = trimmed(text.substr(0, eq));
        out.column = trimmed(text.substr(eq + 1));
        const std::size_t colon = out.column.rfind(':');
        if (colon != std::string::npos) {
            const std::string kind = trimmed(out.column.substr(colon + 1));
            if (kind != "regression" && kind != "class")
                throw StrataError("'" + text + "': the kind of a target is 'class' or 'regression', got '" + kind + "'");
            out.regression = kind == "regression";
            out.column = trimmed(out.column.substr(0, colon));
        }
    }
    if (out.output.empty() || out.column.empty())
        throw StrataError("'" + text + "' is not an output's target: give OUTPUT=COLUMN[:class|:regression]");
    return out;
}

ColumnMapping orderedFor(const ColumnMapping& mapping, const std::vector<std::string>& inputs,
                         const std::vector<std::string>& outputs) {
    ColumnMapping ordered;
    for (const InputColumns& in : mapping.inputs)
        if (std::find(inputs.begin(), inputs.end(), in.input) == inputs.end())
            throw StrataError("the columns are mapped to input '" + in.input + "', but the model's inputs are " + nameList(inputs));
    for (const OutputColumn& out : mapping.outputs)
        if (std::find(outputs.begin(), outputs.end(), out.output) == outputs.end())
            throw StrataError("a target column is mapped to output '" + out.output + "', but the model's outputs are " +
                              nameList(outputs));
    for (const std::string& name : inputs) {
        const auto n = std::count_if(mapping.inputs.begin(), mapping.inputs.end(), [&](const InputColumns& i) { return i.input == name; });
        if (n != 1)
            throw StrataError("input '" + name + "' is " + (n ? "given columns twice" : "given no columns") +
                              ": map each of the model's inputs (" + nameList(inputs) + ") once, as INPUT=COLUMNS");
        ordered.inputs.push_back(*std::find_if(mapping.inputs.begin(), mapping.inputs.end(), [&](const InputColumns& i) { return i.input == name; }));
    }
    for (const std::string& name : outputs) {
        const auto n = std::count_if(mapping.outputs.begin(), mapping.outputs.end(), [&](const OutputColumn& o) { return o.output == name; });
        if (n != 1)
            throw StrataError("output '" + name + "' is " + (n ? "given two target columns" : "given no target column") +
                              ": map each of the model's outputs (" + nameList(outputs) + ") once, as OUTPUT=COLUMN");
        ordered.outputs.push_back(*std::find_if(mapping.outputs.begin(), mapping.outputs.end(), [&](const OutputColumn& o) { return o.output == name; }));
    }
    return ordered;
}

namespace {
// The mapping resolved against a table's header: the target columns, the CSV options that read
// them, each feature column's place among the parsed features and each input's columns.
struct Resolved {
    CsvLayout layout;
    CsvOptions options;
    std::vector<int> targetColumns, featureOf;
    std::vector<std::vector<int>> inputColumns;
};

Resolved resolve(const std::filesystem::path& file, const ColumnMapping& mapping) {
    if (mapping.inputs.empty()) throw StrataError(file.string() + ": a column mapping needs at least one input");
    const std::string name = file.string();
    Resolved r;
    r.layout = csvLayout(file);
    for (std::size_t k = 0; k < mapping.outputs.size(); ++k) {
        const OutputColumn& out = mapping.outputs[k];
        const int c = columnIndex(out.column, r.layout, name, "output '" + out.output + "'");
        if (std::find(r.targetColumns.begin(), r.targetColumns.end(), c) != r.targetColumns.end())
            throw StrataError(name + ": column '" + r.layout.columns[std::size_t(c)] + "' is given as the target of two outputs");
        r.targetColumns.push_back(c);
        const CsvTarget kind = out.regression ? CsvTarget::Regression : CsvTarget::ClassLabel;
        if (k == 0) {
            r.options.targetColumn = c;
            r.options.target = kind;
        } else {
            r.options.moreTargets.push_back({std::to_string(c), kind});
        }
    }
    // The features of the parsed table are the other columns, in file order.
    r.featureOf.assign(r.layout.columns.size(), -1);
    for (int c = 0, f = 0; c < int(r.layout.columns.size()); ++c)
        if (std::find(r.targetColumns.begin(), r.targetColumns.end(), c) == r.targetColumns.end()) r.featureOf[std::size_t(c)] = f++;
    for (const InputColumns& in : mapping.inputs) {
        r.inputColumns.push_back(inputColumnIndices(in, r.layout, name));
        for (int c : r.inputColumns.back())
            if (r.featureOf[std::size_t(c)] < 0) {
                const auto k = std::find(r.targetColumns.begin(), r.targetColumns.end(), c) - r.targetColumns.begin();
                throw StrataError(name + ": column '" + r.layout.columns[std::size_t(c)] + "' is the target of output '" +
                                  mapping.outputs[std::size_t(k)].output + "' and cannot also feed input '" + in.input + "'");
            }
    }
    return r;
}
} // namespace

std::vector<int64_t> mappedInputWidths(const std::filesystem::path& file, const ColumnMapping& mapping) {
    std::vector<int64_t> widths;
    for (const std::vector<int>& cols : resolve(file, mapping).inputColumns) widths.push_back(int64_t(cols.size()));
    return widths;
}

Dataset loadMappedCsv(const std::filesystem::path& file, const ColumnMapping& mapping) {
    if (mapping.outputs.empty()) throw StrataError(file.string() + ": a column mapping needs at least one output");
    const Resolved r = resolve(file, mapping);
    const CsvLayout& layout = r.layout;
    const CsvOptions& options = r.options;
    const std::vector<int>& targetColumns = r.targetColumns;
    const std::vector<int>& featureOf = r.featureOf;
    const std::vector<std::vector<int>>& inputColumns = r.inputColumns;
    Dataset table = loadCsv(file, options);
    const int64_t rows = table.size(), features = table.x.shape()[1];
    Dataset d;
    d.name = table.name;
    for (std::size_t i = 0; i < inputColumns.size(); ++i) {
        const std::vector<int>& cols = inputColumns[i];
        Tensor x(Shape{rows, int64_t(cols.size())});
        for (int64_t r = 0; r < rows; ++r)
            for (std::size_t j = 0; j < cols.size(); ++j)
                x.f32()[r * int64_t(cols.size()) + int64_t(j)] = table.x.f32()[r * features + featureOf[std::size_t(cols[j])]];
        if (i == 0) d.x = std::move(x);
        else d.moreX.push_back(std::move(x));
        std::string names;
        for (int c : cols) names += (names.empty() ? "" : ", ") + layout.columns[std::size_t(c)];
        d.inputSources.push_back("columns " + names);
    }
    d.y = std::move(table.y);
    d.numClasses = table.numClasses;
    d.classNames = std::move(table.classNames);
    d.moreY = std::move(table.moreY);
    for (std::size_t k = 0; k < mapping.outputs.size(); ++k)
        d.outputSources.push_back("column " + layout.columns[std::size_t(targetColumns[k])]);
    d.validate();
    return d;
}

} // namespace strata::data
