// What the dataset view shows of a dataset, gathered off the GUI thread by loadDatasetOverview:
// class counts, a few samples (thumbnails with their labels, or a table's first rows), image sizes
// and the files that cannot be read. The engine reads and decodes (ImageFolderScan, CsvLoader,
// BuiltinDatasets); this only arranges what comes back for the widgets.
#pragma once

#include "engine/Tensor.h"

#include <QImage>
#include <QString>
#include <QStringList>

#include <atomic>
#include <cstdint>
#include <utility>
#include <vector>

namespace strata::gui {

struct DatasetRequest {
    QString source;   // "images:DIR", "csv:PATH" or a built-in dataset's name
    QString csvLabel; // CSV only: the label column's header name or 0-based index; empty: the last
};

struct DatasetSample {
    QImage thumbnail;   // RGB888 (images)
    QString label, file;
    Tensor pixels;      // float32 HWC in [0, 1] (built-in image datasets; image files are read again)
};

// Shared with the worker: the scan's progress and the request to stop.
struct DatasetProgress {
    std::atomic<int64_t> done{0}, total{0};
    std::atomic<bool> cancel{false};
};

struct DatasetOverview {
    enum class Kind { None, Images, Table };
    Kind kind = Kind::None;
    QString source, name, error; // error: why nothing could be read
    bool cancelled = false;
    int64_t samples = 0;
    std::vector<std::pair<QString, int64_t>> classCounts;
    std::vector<DatasetSample> grid;   // images: up to kGridSamples, classes interleaved
    QString sizesText;                 // images: "28×28 (all 10)" or min / most common / max
    QStringList badFiles;              // "FILE: why"
    QStringList columns;               // tables
    std::vector<QStringList> rows;     // tables: the first kTableRows rows
    int labelColumn = -1;              // tables: which column the counts are of
    QString labelNote;                 // tables: why a column gives no class counts
};

inline constexpr int kGridSamples = 48;
inline constexpr int kTableRows = 50;
inline constexpr int kThumbnailSize = 72;

// Reads the dataset; never throws (error set instead). Cancelling returns early with cancelled set.
DatasetOverview loadDatasetOverview(const DatasetRequest& request, DatasetProgress& progress);

} // namespace strata::gui
