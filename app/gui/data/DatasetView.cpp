#include "app/gui/data/DatasetView.h"

#include "app/gui/data/AugmentPreview.h"
#include "app/gui/data/BarChart.h"
#include "app/gui/project/Document.h"

#include "engine/data/ImageDecode.h"

#include <QComboBox>
#include <QFileDialog>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QListWidget>
#include <QPainter>
#include <QProgressBar>
#include <QPushButton>
#include <QSplitter>
#include <QStackedWidget>
#include <QStandardItemModel>
#include <QTableView>
#include <QThread>
#include <QTimer>
#include <QVBoxLayout>

#include <algorithm>
#include <array>
#include <climits>
#include <optional>

namespace strata::gui {

namespace {

constexpr int kPollMs = 50;
constexpr int kPreviewSide = 96; // an image file's sample for the preview, when the model input is not an image

// The model input's (H, W, C) when it is an image of known size.
std::optional<std::array<int, 3>> modelImageInput(const ModelSpec& spec) {
    for (const LayerSpec& l : spec.layers) {
        if (l.type != "Input" || (!spec.inputs.empty() && l.name != spec.inputs[0])) continue;
        const auto shape = l.config.find("shape");
        if (shape == l.config.end() || !shape->is_array() || shape->size() != 3) return std::nullopt;
        std::array<int, 3> hwc{};
        for (std::size_t i = 0; i < 3; ++i) {
            if (!(*shape)[i].is_number_integer()) return std::nullopt;
            hwc[i] = (*shape)[i].get<int>();
        }
        if (hwc[0] < 1 || hwc[1] < 1 || hwc[0] > 1024 || hwc[1] > 1024 || (hwc[2] != 1 && hwc[2] != 3)) return std::nullopt;
        return hwc;
    }
    return std::nullopt;
}

// A thumbnail centred on a transparent square, so every grid cell lays out alike.
QPixmap squareThumbnail(const QImage& image) {
    QPixmap square(kThumbnailSize, kThumbnailSize);
    square.fill(Qt::transparent);
    QPainter p(&square);
    p.drawImage((kThumbnailSize - image.width()) / 2, (kThumbnailSize - image.height()) / 2, image);
    return square;
}

} // namespace

DatasetView::DatasetView(Document* doc, QWidget* parent) : QWidget(parent), doc_(doc) {
    title_ = new QLabel(tr("No dataset open"));
    title_->setObjectName("dataTitle");
    title_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    folder_ = new QPushButton(tr("Image folder…"));
    folder_->setObjectName("dataOpenFolder");
    folder_->setToolTip(tr("A folder with one sub-folder of PNG, JPEG or BMP images per class (or a labels.csv, or train/, val/, test/)"));
    csv_ = new QPushButton(tr("CSV file…"));
    csv_->setObjectName("dataOpenCsv");
    csv_->setToolTip(tr("A table of numbers, one sample per row, with a column of class labels"));
    progressBar_ = new QProgressBar;
    progressBar_->setObjectName("dataProgress");
    progressBar_->setMaximumWidth(260);
    progressBar_->setVisible(false);
    cancel_ = new QPushButton(tr("Cancel"));
    cancel_->setObjectName("dataCancel");
    cancel_->setVisible(false);
    status_ = new QLabel(tr("Open an image folder or a CSV file, or view the Train panel's dataset from there."));
    status_->setObjectName("dataStatus");
    status_->setWordWrap(true);
    status_->setTextInteractionFlags(Qt::TextSelectableByMouse);

    grid_ = new QListWidget;
    grid_->setObjectName("dataGrid");
    grid_->setViewMode(QListView::IconMode);
    grid_->setIconSize(QSize(kThumbnailSize, kThumbnailSize));
    grid_->setGridSize(QSize(kThumbnailSize + 24, kThumbnailSize + 16 + grid_->fontMetrics().height()));
    grid_->setResizeMode(QListView::Adjust);
    grid_->setMovement(QListView::Static);
    rows_ = new QStandardItemModel(this);
    table_ = new QTableView;
    table_->setObjectName("dataTable");
    table_->setModel(rows_);
    table_->setEditTriggers(QAbstractItemView::NoEditTriggers);
    table_->setAlternatingRowColors(true);
    table_->verticalHeader()->setDefaultSectionSize(table_->fontMetrics().height() + 6);
    labelColumn_ = new QComboBox;
    labelColumn_->setObjectName("dataLabelColumn");
    labelColumn_->setToolTip(tr("The column that holds each row's class: its counts draw beside the table"));
    labelCaption_ = new QLabel(tr("Label column"));
    auto* tablePage = new QWidget;
    auto* tableLayout = new QVBoxLayout(tablePage);
    tableLayout->setContentsMargins(0, 0, 0, 0);
    auto* labelRow = new QHBoxLayout;
    labelRow->addWidget(labelCaption_);
    labelRow->addWidget(labelColumn_);
    labelRow->addStretch(1);
    tableLayout->addLayout(labelRow);
    tableLayout->addWidget(table_, 1);
    pages_ = new QStackedWidget;
    pages_->addWidget(grid_);
    pages_->addWidget(tablePage);

    chart_ = new BarChart(tr("Class counts"));
    chart_->setObjectName("dataClassChart");
    sizes_ = new QLabel;
    sizes_->setObjectName("dataSizes");
    sizes_->setWordWrap(true);
    problems_ = new QLabel;
    problems_->setObjectName("dataProblems");
    problems_->setWordWrap(true);
    problems_->setStyleSheet("color: #e5484d;");
    problems_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    problems_->setVisible(false);
    preview_ = new AugmentPreview([this]() -> const ModelSpec& { return doc_->model()->state().spec; });
    preview_->setObjectName("dataAugmentPreview");
    auto* side = new QWidget;
    auto* sideLayout = new QVBoxLayout(side);
    sideLayout->setContentsMargins(0, 0, 0, 0);
    sideLayout->addWidget(chart_, 1);
    sideLayout->addWidget(sizes_);
    sideLayout->addWidget(problems_);
    sideLayout->addWidget(preview_);

    auto* splitter = new QSplitter(Qt::Horizontal);
    splitter->addWidget(pages_);
    splitter->addWidget(side);
    splitter->setStretchFactor(0, 3);
    splitter->setStretchFactor(1, 2);
    splitter->setChildrenCollapsible(false);

    auto* top = new QHBoxLayout;
    top->addWidget(title_, 1);
    top->addWidget(progressBar_);
    top->addWidget(cancel_);
    top->addWidget(folder_);
    top->addWidget(csv_);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(6, 6, 6, 6);
    layout->addLayout(top);
    layout->addWidget(status_);
    layout->addWidget(splitter, 1);

    poll_ = new QTimer(this);
    poll_->setInterval(kPollMs);
    connect(poll_, &QTimer::timeout, this, &DatasetView::pollProgress);
    connect(cancel_, &QPushButton::clicked, this, &DatasetView::cancel);
    connect(folder_, &QPushButton::clicked, this, &DatasetView::pickFolder);
    connect(csv_, &QPushButton::clicked, this, &DatasetView::pickCsv);
    connect(grid_, &QListWidget::currentRowChanged, this, &DatasetView::showSample);
    connect(labelColumn_, &QComboBox::currentIndexChanged, this, [this] {
        if (settingColumns_ || shown_.kind != DatasetOverview::Kind::Table || labelColumn_->currentIndex() < 0) return;
        start({shown_.source, labelColumn_->currentData().toString()});
    });
    connect(doc_->model(), &GraphModel::changed, preview_, &AugmentPreview::refresh);
    connect(doc_, &Document::titleChanged, preview_, &AugmentPreview::refresh);
}

DatasetView::~DatasetView() {
    poll_->stop();
    if (progress_) progress_->cancel = true;
    if (thread_) retiring_.push_back(thread_);
    for (QThread* t : retiring_) {
        t->wait();
        delete t;
    }
}

void DatasetView::openSource(const QString& source, const QString& csvLabel) {
    QString s = source;
    if (!s.startsWith("images:") && !s.startsWith("csv:") && QFileInfo::exists(s))
        s = (QFileInfo(s).isDir() ? "images:" : "csv:") + QFileInfo(s).absoluteFilePath();
    start({s, csvLabel});
}

void DatasetView::start(const DatasetRequest& request) {
    if (thread_) cancel();
    request_ = request;
    progress_ = std::make_shared<DatasetProgress>();
    result_ = std::make_shared<DatasetOverview>();
    auto progress = progress_;
    auto result = result_;
    thread_ = QThread::create([request, progress, result] { *result = loadDatasetOverview(request, *progress); });
    QThread* thread = thread_;
    connect(thread_, &QThread::finished, this, [this, thread] { finished(thread); });
    progressBar_->setRange(0, 0);
    progressBar_->setFormat(tr("reading"));
    progressBar_->setVisible(true);
    cancel_->setVisible(true);
    cancel_->setEnabled(true);
    const QString what = request.source.section(':', request.source.startsWith("images:") || request.source.startsWith("csv:") ? 1 : 0);
    setStatus(tr("Reading %1…").arg(what));
    poll_->start();
    thread_->start();
}

void DatasetView::cancel() {
    if (!thread_) return;
    progress_->cancel = true;
    retiring_.push_back(thread_);
    thread_ = nullptr;
    poll_->stop();
    progressBar_->setVisible(false);
    cancel_->setVisible(false);
    restoreLabelChoice();
    setStatus(shown_.source.isEmpty() ? tr("Cancelled.") : tr("Cancelled; showing %1 as before.").arg(shown_.name));
    emit scanFinished(false);
}

void DatasetView::restoreLabelChoice() {
    if (shown_.kind != DatasetOverview::Kind::Table) return;
    settingColumns_ = true;
    labelColumn_->setCurrentIndex(shown_.labelColumn);
    settingColumns_ = false;
}

void DatasetView::pollProgress() {
    if (!progress_) return;
    const int64_t total = progress_->total, done = progress_->done;
    if (total > 0) {
        progressBar_->setRange(0, int(std::min<int64_t>(total, 1 << 30)));
        progressBar_->setValue(int(std::min<int64_t>(done, 1 << 30)));
        progressBar_->setFormat(tr("%v / %m images"));
    }
}

void DatasetView::finished(QThread* thread) {
    if (thread != thread_) { // a cancelled scan has ended
        retiring_.erase(std::remove(retiring_.begin(), retiring_.end(), thread), retiring_.end());
        thread->deleteLater();
        return;
    }
    thread_ = nullptr;
    thread->deleteLater();
    poll_->stop();
    progressBar_->setVisible(false);
    cancel_->setVisible(false);
    DatasetOverview o = std::move(*result_);
    if (!o.error.isEmpty()) {
        restoreLabelChoice();
        setStatus(tr("Cannot read %1: %2").arg(o.source.section(':', o.source.contains(':') ? 1 : 0), o.error), true);
        emit scanFinished(false);
        return;
    }
    display(o);
    emit scanFinished(!o.cancelled);
}

void DatasetView::display(const DatasetOverview& o) {
    shown_ = o;
    const bool table = o.kind == DatasetOverview::Kind::Table;
    QString kind = table ? tr("table") : o.source.startsWith("images:") ? tr("image folder") : tr("built-in dataset");
    title_->setText(tr("<b>%1</b> · %2 · %n sample(s)", nullptr, int(std::min<int64_t>(o.samples, INT_MAX))).arg(o.name.toHtmlEscaped(), kind) +
                    (o.classCounts.empty() ? QString() : tr(" · %n class(es)", nullptr, int(o.classCounts.size()))));
    title_->setToolTip(o.source);
    chart_->setBars(o.classCounts);
    chart_->setTitle(table && o.labelColumn >= 0 && o.labelColumn < o.columns.size()
                         ? tr("Class counts of '%1'").arg(o.columns[o.labelColumn])
                         : tr("Class counts"));
    sizes_->setText(o.sizesText);
    sizes_->setVisible(!o.sizesText.isEmpty());
    QString problems;
    if (!o.badFiles.isEmpty()) {
        problems = tr("%n file(s) cannot be read: training stops at them (strata-cli train --skip-bad-files skips them):", nullptr,
                      int(o.badFiles.size()));
        for (int i = 0; i < std::min<int>(int(o.badFiles.size()), 8); ++i) problems += "\n• " + o.badFiles[i];
        if (o.badFiles.size() > 8) problems += "\n" + tr("… and %1 more").arg(o.badFiles.size() - 8);
    }
    problems_->setText(problems);
    problems_->setVisible(!problems.isEmpty());
    setStatus(table ? (o.labelNote.isEmpty() ? tr("The first %1 rows; choose the column of class labels above the table.")
                                                   .arg(std::min<int64_t>(o.samples, kTableRows))
                                             : tr("Column '%1' gives no class counts: %2")
                                                   .arg(o.columns.value(o.labelColumn), o.labelNote))
                    : tr("%n sample(s) shown, classes in turn; pick one to see the model's augmentations of it.", nullptr,
                         int(o.grid.size())),
              table && !o.labelNote.isEmpty());

    grid_->clear();
    rows_->clear();
    pages_->setCurrentIndex(table ? 1 : 0);
    if (table) {
        rows_->setHorizontalHeaderLabels(o.columns);
        for (const QStringList& row : o.rows) {
            QList<QStandardItem*> items;
            for (const QString& cell : row) items << new QStandardItem(cell);
            rows_->appendRow(items);
        }
        if (o.labelColumn >= 0 && o.labelColumn < rows_->columnCount()) {
            QFont bold = table_->font();
            bold.setBold(true);
            rows_->horizontalHeaderItem(o.labelColumn)->setFont(bold);
        }
        table_->resizeColumnsToContents();
        settingColumns_ = true;
        labelColumn_->clear();
        for (int c = 0; c < o.columns.size(); ++c) labelColumn_->addItem(o.columns[c], o.columns[c]);
        labelColumn_->setCurrentIndex(o.labelColumn);
        settingColumns_ = false;
        preview_->clearSample();
        return;
    }
    for (const DatasetSample& s : o.grid) {
        auto* item = new QListWidgetItem(QIcon(squareThumbnail(s.thumbnail)), s.label, grid_);
        item->setToolTip(s.file.isEmpty() ? s.label : s.file);
        item->setTextAlignment(Qt::AlignHCenter);
    }
    if (grid_->count() > 0) grid_->setCurrentRow(0);
    else preview_->clearSample();
}

void DatasetView::showSample(int row) {
    if (row < 0 || std::size_t(row) >= shown_.grid.size()) return;
    const DatasetSample& s = shown_.grid[std::size_t(row)];
    if (s.file.isEmpty()) return preview_->setSample(s.pixels, s.label);
    // An image file, read as training reads it: at the model input's size when it is an image.
    const auto hwc = modelImageInput(doc_->model()->state().spec);
    const int h = hwc ? (*hwc)[0] : kPreviewSide, w = hwc ? (*hwc)[1] : kPreviewSide, c = hwc ? (*hwc)[2] : 3;
    try {
        Tensor pixels(Shape{h, w, c});
        data::imageToFloat(data::readImage(s.file.toStdString()), h, w, c == 1 ? data::ImageColor::Grayscale : data::ImageColor::Rgb,
                           pixels.f32());
        preview_->setSample(pixels, s.label);
    } catch (const std::exception& e) {
        preview_->clearSample();
        setStatus(QString::fromUtf8(e.what()), true);
    }
}

const std::vector<std::pair<QString, int64_t>>& DatasetView::classCounts() const { return chart_->bars(); }
int DatasetView::gridCount() const { return grid_->count(); }
int DatasetView::tableRowCount() const { return rows_->rowCount(); }
QString DatasetView::statusText() const { return status_->text(); }
QString DatasetView::problemsText() const { return problems_->isHidden() ? QString() : problems_->text(); }

bool DatasetView::setLabelColumn(const QString& column) {
    const int i = labelColumn_->findData(column);
    if (i < 0) return false;
    labelColumn_->setCurrentIndex(i);
    return true;
}

void DatasetView::setStatus(const QString& text, bool error) {
    status_->setText(text);
    status_->setStyleSheet(error ? "color: #e5484d;" : QString());
}

void DatasetView::pickFolder() {
    const QString dir = QFileDialog::getExistingDirectory(this, tr("View a folder of images"));
    if (!dir.isEmpty()) openFolder(dir);
}

void DatasetView::pickCsv() {
    const QString path = QFileDialog::getOpenFileName(this, tr("View a CSV file"), QString(), tr("CSV tables (*.csv *.csv.gz *.txt);;All files (*)"));
    if (!path.isEmpty()) openCsv(path);
}

} // namespace strata::gui
