// The dataset view (Data ▸ View Data, Ctrl+Shift+D; the Train panel's "View data…"): a folder of
// images, a CSV table or a built-in dataset, seen before training on it. Images show as a grid of
// samples with their labels, with the sizes of the files and the files that cannot be read; tables
// show their first rows, with the label column chosen above them. Class counts draw as a bar chart,
// and the model's preprocessing layers act on the chosen sample live (AugmentPreview).
//
// Loading runs on a worker thread (loadDatasetOverview): a progress bar follows the scan and
// Cancel stops it, leaving the view as it was before.
#pragma once

#include "app/gui/data/DatasetOverview.h"

#include <QWidget>

#include <memory>
#include <vector>

class QComboBox;
class QLabel;
class QListWidget;
class QProgressBar;
class QPushButton;
class QStackedWidget;
class QStandardItemModel;
class QTableView;
class QThread;
class QTimer;

namespace strata::gui {

class AugmentPreview;
class BarChart;
class Document;

class DatasetView : public QWidget {
    Q_OBJECT
public:
    explicit DatasetView(Document* doc, QWidget* parent = nullptr);
    ~DatasetView() override; // cancels a scan in progress and waits for it

    // "images:DIR", "csv:PATH", a built-in dataset's name, or a path (a folder: images, a file: CSV).
    // `csvLabel`: a table's label column by header name or index (empty: the last column).
    void openSource(const QString& source, const QString& csvLabel = {});
    void openFolder(const QString& dir) { openSource("images:" + dir); }
    void openCsv(const QString& path, const QString& label = {}) { openSource("csv:" + path, label); }
    void cancel();
    bool isScanning() const { return thread_ != nullptr; }

    QString source() const { return shown_.source; }
    const DatasetOverview& overview() const { return shown_; }
    // What the chart draws: (class, count) in the dataset's class order.
    const std::vector<std::pair<QString, int64_t>>& classCounts() const;
    BarChart* classChart() const { return chart_; }
    int gridCount() const; // samples shown in the grid
    int tableRowCount() const;
    QListWidget* grid() const { return grid_; }
    QTableView* table() const { return table_; }
    QComboBox* labelColumnBox() const { return labelColumn_; }
    bool setLabelColumn(const QString& column); // a table's label column by name; false when none has it
    QString statusText() const;
    QString problemsText() const; // the files that cannot be read, as shown
    AugmentPreview* augmentPreview() const { return preview_; }
    QPushButton* cancelButton() const { return cancel_; }

signals:
    void scanFinished(bool ok); // ok: read (possibly with bad files); false: an error or cancelled

private:
    void start(const DatasetRequest& request);
    void pollProgress();
    void finished(QThread* thread);
    void display(const DatasetOverview& o);
    void showSample(int row);
    void restoreLabelChoice(); // the label column of the table shown, after a relabel fails or is cancelled
    void setStatus(const QString& text, bool error = false);
    void pickFolder();
    void pickCsv();

    Document* doc_;
    DatasetOverview shown_;
    DatasetRequest request_;                     // of the scan in progress
    QThread* thread_ = nullptr;                  // the scan in progress
    std::shared_ptr<DatasetProgress> progress_;  // its progress
    std::shared_ptr<DatasetOverview> result_;    // filled by it
    std::vector<QThread*> retiring_;             // cancelled scans still ending
    QTimer* poll_;
    QLabel *title_, *status_, *sizes_, *problems_, *labelCaption_;
    QPushButton *folder_, *csv_, *cancel_;
    QProgressBar* progressBar_;
    QStackedWidget* pages_;
    QListWidget* grid_;
    QTableView* table_;
    QStandardItemModel* rows_;
    QComboBox* labelColumn_;
    BarChart* chart_;
    AugmentPreview* preview_;
    bool settingColumns_ = false;
};

} // namespace strata::gui
