// Which columns of a CSV table feed which Input of a model, and which column is the target of
// which output: how a model with several inputs or outputs trains from one table (Keras' dict of
// inputs and targets, by name).
//
//   ColumnMapping m;
//   m.inputs = {parseInputColumns("pixels=p0..p63"), parseInputColumns("meta=age,height")};
//   m.outputs = {parseOutputColumn("digit=label"), parseOutputColumn("size=area:regression")};
//   Dataset d = loadMappedCsv("table.csv", m);   // x, moreX: the inputs; y, moreY: the outputs
#pragma once

#include "engine/data/Dataset.h"

#include <filesystem>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>

namespace strata::data {

struct InputColumns {
    std::string input;                // the model Input's layer name
    std::vector<std::string> columns; // header names or 0-based indices; "first..last" is a range
};

struct OutputColumn {
    std::string output;      // the output layer's name
    std::string column;      // header name or 0-based index
    bool regression = false; // a real value (y (N, 1)); else class labels
};

struct ColumnMapping {
    std::vector<InputColumns> inputs;
    std::vector<OutputColumn> outputs;

    bool empty() const { return inputs.empty() && outputs.empty(); }
    // {"inputs": {"a": ["c1", "c2"]}, "outputs": {"y": {"column": "c3", "regression": false}}},
    // in order (arrays of objects, so the order survives).
    nlohmann::json toJson() const;
    static ColumnMapping fromJson(const nlohmann::json& j); // throws StrataError naming the bad key
    // "a: c1, c2; b: c3 | y: c4 (class); z: c5 (regression)" for a person.
    std::string summary() const;
};

// "NAME=COL[,COL...]" (a COL may be "first..last"); throws StrataError saying the form.
InputColumns parseInputColumns(const std::string& text);
// "NAME=COL" or "NAME=COL:regression" / "NAME=COL:class"; throws StrataError saying the form.
OutputColumn parseOutputColumn(const std::string& text);

// Puts the mapping in the model's order (`inputs` and `outputs` are its Input and output layer
// names) and checks it: every Input and output mapped once, no name the model lacks. Throws
// StrataError naming the input or output and what to give.
ColumnMapping orderedFor(const ColumnMapping& mapping, const std::vector<std::string>& inputs,
                         const std::vector<std::string>& outputs);

// Checks the columns `mapping` names against the table's header without reading its rows, and
// returns how many columns feed each input (the mapping's order); outputs may be left out. Throws as loadMappedCsv does for
// a column the table lacks, a backwards range, or a column that is both a feature and a target.
std::vector<int64_t> mappedInputWidths(const std::filesystem::path& file, const ColumnMapping& mapping);

// The table read with `mapping`, in its order: x and moreX the inputs' columns, y and moreY the
// outputs' targets; inputSources / outputSources say which columns. Columns the mapping does not
// name are left out. Throws StrataError naming the file, line or column (a column that is both a
// feature and a target, a column the table lacks, a ragged row, ...).
Dataset loadMappedCsv(const std::filesystem::path& file, const ColumnMapping& mapping);

} // namespace strata::data
