// Comma-separated tables of numbers as datasets: one sample per row, one column is the target
// (a class label or a regression value), the other columns are the features.
#pragma once

#include "engine/data/Dataset.h"

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace strata::data {

enum class CsvHeader {
    Auto, // the first row is a header when any of its cells is not a number
    Present,
    Absent,
};

enum class CsvTarget {
    ClassLabel, // non-negative integers, kept as they are: numClasses = largest label + 1
    Regression, // float values, y of shape (N, 1)
};

// A further target column, for a model with several outputs: by header name or 0-based index.
struct CsvTargetColumn {
    std::string column;
    CsvTarget target = CsvTarget::ClassLabel;
};

struct CsvOptions {
    CsvHeader header = CsvHeader::Auto;
    int skipLines = 0; // lines dropped before the header or the first row (e.g. a count line)
    char delimiter = ',';
    int targetColumn = -1;  // 0-based; negative counts from the end (-1: the last column)
    // A class-label column holding names ("setosa", ...) numbers them in sorted order and keeps
    // the names as the dataset's classNames.
    std::string targetName; // when set, the header column of this name (overrides targetColumn)
    CsvTarget target = CsvTarget::ClassLabel;
    // Further target columns (Dataset::moreY, in this order); like the target, they are not features.
    std::vector<CsvTargetColumn> moreTargets;
    std::string datasetName; // empty: the file name without its extensions
};

// The columns of a table as a person picks the target among them: the header's names, or
// "column 1", "column 2", ... when the first row holds numbers.
struct CsvLayout {
    std::vector<std::string> columns;
    bool hasHeader = false;
};

// A table whose features are one column of text (TextVectorization.h): the texts in row order,
// and a dataset whose x is each row's 0-based index as float32 (N, 1), so that splitting it
// (DatasetSplits.h) tells which texts each split holds; y and the class names as loadCsv's.
struct CsvText {
    Dataset rows;
    std::vector<std::string> texts;
    std::vector<std::string> ignoredColumns; // the header names (or "column K") neither text nor target
};

// Reads a file (plain or gzip-compressed). x holds the columns that are not targets, in file order. Errors name the file and line, e.g.
// "iris.csv:12: expected 5 columns, found 4" or "iris.csv:7: column 3: 'abc' is not a number".
Dataset loadCsv(const std::filesystem::path& path, const CsvOptions& options = {});
// The same from text already in memory; `sourceName` stands for the file in errors.
Dataset parseCsv(std::string_view text, const std::string& sourceName,
                 const CsvOptions& options = {});
// The column `textColumn` (a header name or a 0-based index, negative from the end) as raw text,
// with the targets as loadCsv reads them; the other columns are ignored. A quoted cell may hold
// the delimiter and "" for a quote. Errors as loadCsv's, and "FILE:LINE: column K: the text is empty".
CsvText loadCsvText(const std::filesystem::path& path, const std::string& textColumn, const CsvOptions& options = {});
CsvText parseCsvText(std::string_view text, const std::string& sourceName, const std::string& textColumn,
                     const CsvOptions& options = {});
// Only the texts of column `textColumn` (no target), e.g. to predict from: errors as loadCsvText's.
std::vector<std::string> loadCsvTextColumn(const std::filesystem::path& path, const std::string& textColumn,
                                           const CsvOptions& options = {});
// The header (or the first row) of a file; errors as loadCsv's.
CsvLayout csvLayout(const std::filesystem::path& path, const CsvOptions& options = {});

} // namespace strata::data
