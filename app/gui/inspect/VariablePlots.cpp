#include "app/gui/inspect/VariablePlots.h"

#include "engine/Summary.h"
#include "engine/train/Histogram.h"
#include "storage/VariableSource.h"

#include <QComboBox>
#include <QHBoxLayout>
#include <QImage>
#include <QLabel>
#include <QPixmap>
#include <QScrollArea>
#include <QStandardItemModel>
#include <QVBoxLayout>

#include <qcustomplot.h>

#include <algorithm>
#include <array>
#include <cmath>

namespace strata::gui {

namespace {
QString q(const std::string& s) { return QString::fromStdString(s); }
QString num(double v) { return QString::number(v, 'g', 4); }

// TensorBoard's distribution percentiles: the normal's -inf, -1.5, -1, -0.5, 0, 0.5, 1, 1.5, +inf sigma.
constexpr std::array<double, 9> kPercentiles = {0, 6.68, 15.87, 30.85, 50, 69.15, 84.13, 93.32, 100};
const QColor kAccent(0x25, 0x63, 0xeb);

QCustomPlot* newPlot() {
    auto* p = new QCustomPlot;
    p->setInteractions(QCP::iRangeDrag | QCP::iRangeZoom);
    p->setMinimumHeight(180);
    return p;
}

QWidget* column(std::initializer_list<QWidget*> widgets, QWidget* stretch) {
    auto* w = new QWidget;
    auto* l = new QVBoxLayout(w);
    l->setContentsMargins(4, 4, 4, 4);
    for (QWidget* c : widgets) l->addWidget(c, c == stretch ? 1 : 0);
    return w;
}

QLabel* noteLabel() {
    auto* l = new QLabel;
    l->setWordWrap(true);
    l->setTextInteractionFlags(Qt::TextSelectableByMouse);
    return l;
}

// Blue for negative, white for 0, red for positive; t in [-1, 1].
QRgb diverging(double t) {
    t = std::clamp(t, -1.0, 1.0);
    const int fade = int(std::lround(255 * (1 - std::fabs(t))));
    return t >= 0 ? qRgb(255, fade, fade) : qRgb(fade, fade, 255);
}

double maxAbs(const Tensor& t) {
    double m = 0;
    for (float v : t.values())
        if (std::isfinite(v)) m = std::max(m, double(std::fabs(v)));
    return m > 0 ? m : 1;
}
} // namespace

VariablePlots::VariablePlots(QWidget* parent) : QTabWidget(parent) {
    histPlot_ = newPlot();
    bars_ = new QCPBars(histPlot_->xAxis, histPlot_->yAxis);
    bars_->setPen(QPen(kAccent.darker(130)));
    bars_->setBrush(QColor(kAccent.red(), kAccent.green(), kAccent.blue(), 150));
    histPlot_->xAxis->setLabel(tr("value"));
    histPlot_->yAxis->setLabel(tr("elements"));
    histNote_ = noteLabel();
    histogramTab_ = column({histNote_, histPlot_}, histPlot_);
    addTab(histogramTab_, tr("Histogram"));

    heatPlot_ = newPlot();
    heatMap_ = new QCPColorMap(heatPlot_->xAxis, heatPlot_->yAxis);
    auto* scale = new QCPColorScale(heatPlot_);
    heatPlot_->plotLayout()->addElement(0, 1, scale);
    heatMap_->setColorScale(scale);
    QCPColorGradient diverging; // the filter tiles' colours: blue below 0, white at 0, red above
    diverging.clearColorStops();
    diverging.setColorStopAt(0, QColor(0, 0, 255));
    diverging.setColorStopAt(0.5, QColor(255, 255, 255));
    diverging.setColorStopAt(1, QColor(255, 0, 0));
    heatMap_->setGradient(diverging);
    heatMap_->setInterpolate(false);
    heatPlot_->xAxis->setLabel(tr("unit (column)"));
    heatPlot_->yAxis->setLabel(tr("input (row)"));
    heatPlot_->yAxis->setRangeReversed(true);
    heatNote_ = noteLabel();
    heatTab_ = column({heatNote_, heatPlot_}, heatPlot_);
    addTab(heatTab_, tr("Heat map"));

    filters_ = new QLabel;
    filters_->setAlignment(Qt::AlignLeft | Qt::AlignTop);
    auto* scroll = new QScrollArea;
    scroll->setWidget(filters_);
    scroll->setWidgetResizable(true);
    filtersNote_ = noteLabel();
    filtersTab_ = column({filtersNote_, scroll}, scroll);
    addTab(filtersTab_, tr("Filters"));

    timePlot_ = newPlot();
    timePlot_->xAxis->setLabel(tr("epoch"));
    kind_ = new QComboBox;
    kind_->addItem(tr("Value"), QStringLiteral("value"));
    kind_->addItem(tr("Gradient (last step of each epoch)"), QStringLiteral("gradient"));
    connect(kind_, &QComboBox::currentIndexChanged, this, [this] { showOverTime(); });
    timeNote_ = noteLabel();
    auto* bar = new QWidget;
    auto* barLayout = new QHBoxLayout(bar);
    barLayout->setContentsMargins(0, 0, 0, 0);
    barLayout->addWidget(kind_);
    barLayout->addWidget(timeNote_, 1);
    timeTab_ = column({bar, timePlot_}, timePlot_);
    addTab(timeTab_, tr("Over time"));
    setVariable({}, nullptr);
}

void VariablePlots::setRunHistograms(std::vector<storage::VariableHistogram> histograms, const QString& source) {
    byKey_.clear();
    for (storage::VariableHistogram& h : histograms) byKey_[h.key][h.kind].push_back(std::move(h));
    for (auto& [key, kinds] : byKey_)
        for (auto& [kind, list] : kinds)
            std::sort(list.begin(), list.end(), [](const auto& a, const auto& b) { return a.epoch < b.epoch; });
    source_ = source;
    showOverTime();
}

void VariablePlots::setVariable(const QString& path, const Tensor* value) {
    path_ = path;
    const int rank = value ? int(value->shape().rank()) : 0;
    const bool floats = value && value->dtype() == DType::F32 && value->size() > 0;
    setTabVisible(indexOf(histogramTab_), floats);
    setTabVisible(indexOf(heatTab_), floats && rank == 2);
    setTabVisible(indexOf(filtersTab_), floats && (rank == 3 || rank == 4));
    if (floats) {
        showHistogram(*value);
        if (rank == 2) showHeatMap(*value);
        if (rank == 3 || rank == 4) showFilters(*value);
    } else {
        bars_->data()->clear();
        histPlot_->replot();
    }
    showOverTime();
}

void VariablePlots::showHistogram(const Tensor& value) {
    const train::Histogram h = train::histogramOf(value);
    const std::vector<double> edges = train::histogramEdges(h.min, h.max, h.bins.size());
    QVector<double> keys, counts;
    for (std::size_t i = 0; i < h.bins.size(); ++i) {
        keys << (edges[i] + edges[i + 1]) / 2;
        counts << double(h.bins[i]);
    }
    bars_->setData(keys, counts);
    bars_->setWidth(edges[1] - edges[0]);
    histPlot_->rescaleAxes();
    histPlot_->xAxis->setRange(edges.front(), edges.back());
    histPlot_->yAxis->setRange(0, histPlot_->yAxis->range().upper * 1.08);
    QString note = tr("%1 elements in %2 bins · min %3 · max %4 · mean %5 · std %6")
                       .arg(q(withThousands(h.count)))
                       .arg(h.bins.size())
                       .arg(num(h.min), num(h.max), num(h.mean), num(h.std));
    if (h.nonFinite) note += tr(" · <span style='color:#c62828'>%1 NaN or infinite</span>").arg(h.nonFinite);
    histNote_->setText(note);
    histPlot_->replot();
}

void VariablePlots::showHeatMap(const Tensor& value) {
    // At most kMaxCells cells a side: a larger kernel shows every k-th row or column.
    constexpr int64_t kMaxCells = 1024;
    const int64_t rows = value.shape()[0], cols = value.shape()[1];
    const int64_t rowStep = (rows + kMaxCells - 1) / kMaxCells, colStep = (cols + kMaxCells - 1) / kMaxCells;
    const int shownRows = int((rows + rowStep - 1) / rowStep), shownCols = int((cols + colStep - 1) / colStep);
    heatMap_->data()->setSize(shownCols, shownRows);
    heatMap_->data()->setRange(QCPRange(0, double(std::max<int64_t>((shownCols - 1) * colStep, 1))),
                               QCPRange(0, double(std::max<int64_t>((shownRows - 1) * rowStep, 1))));
    const float* v = value.f32();
    for (int r = 0; r < shownRows; ++r)
        for (int c = 0; c < shownCols; ++c) heatMap_->data()->setCell(c, r, double(v[r * rowStep * cols + c * colStep]));
    const double m = maxAbs(value);
    heatMap_->setDataRange(QCPRange(-m, m));
    heatPlot_->xAxis->setRange(-0.5 * double(colStep), double(cols) - 0.5 * double(colStep));
    heatPlot_->yAxis->setRange(-0.5 * double(rowStep), double(rows) - 0.5 * double(rowStep));
    heatNote_->setText(tr("%1 inputs × %2 units; blue negative, white 0, red positive (±%3).").arg(rows).arg(cols).arg(num(m)) +
                       (rowStep > 1 || colStep > 1 ? tr(" Showing every %1th row and %2th column.").arg(rowStep).arg(colStep) : QString()));
    heatPlot_->replot();
}

void VariablePlots::showFilters(const Tensor& value) {
    // HWIO (Conv2D, DepthwiseConv2D: H, W, C, multiplier) or WIO (Conv1D, one row high).
    const auto& d = value.shape().dims();
    const bool one = d.size() == 3;
    const int64_t H = one ? 1 : d[0], W = one ? d[0] : d[1], I = d[d.size() - 2], O = d.back();
    constexpr int64_t kMaxCols = 64, kMaxRows = 16;
    const int64_t cols = std::min(O, kMaxCols), rows = std::min(I, kMaxRows);
    const int64_t tileW = W + 1, tileH = H + 1; // a one-pixel gap
    QImage img(int(cols * tileW + 1), int(rows * tileH + 1), QImage::Format_RGB32);
    img.fill(QColor(0x9e, 0x9e, 0x9e));
    const double m = maxAbs(value);
    const float* v = value.f32();
    for (int64_t i = 0; i < rows; ++i)
        for (int64_t o = 0; o < cols; ++o)
            for (int64_t y = 0; y < H; ++y)
                for (int64_t x = 0; x < W; ++x) {
                    const float e = v[((y * W + x) * I + i) * O + o];
                    img.setPixel(int(1 + o * tileW + x), int(1 + i * tileH + y), diverging(double(e) / m));
                }
    const int scale = int(std::clamp<int64_t>(720 / std::max<int64_t>(img.width(), 1), 1, 24));
    filters_->setPixmap(QPixmap::fromImage(img.scaled(img.width() * scale, img.height() * scale, Qt::IgnoreAspectRatio,
                                                      Qt::FastTransformation)));
    QString note = tr("%1 × %2 filters: one column per output filter, one row per input channel; blue negative, "
                      "white 0, red positive (±%3).")
                       .arg(H)
                       .arg(W)
                       .arg(num(m));
    if (cols < O || rows < I) note += tr(" Showing %1 of %2 filters and %3 of %4 input channels.").arg(cols).arg(O).arg(rows).arg(I);
    filtersNote_->setText(note);
}

void VariablePlots::showOverTime() {
    shownEpochs_.clear();
    timePlot_->clearGraphs();
    const auto key = byKey_.find(storage::keyOfPath(path_.toStdString()));
    const bool any = !path_.isEmpty() && key != byKey_.end();
    setTabVisible(indexOf(timeTab_), any);
    if (!any) {
        timePlot_->replot();
        return;
    }
    const auto& kinds = key->second;
    for (int i = 0; i < kind_->count(); ++i) {
        auto* model = qobject_cast<QStandardItemModel*>(kind_->model());
        if (model) model->item(i)->setEnabled(kinds.count(kind_->itemData(i).toString().toStdString()) > 0);
    }
    auto list = kinds.find(kind_->currentData().toString().toStdString());
    if (list == kinds.end()) list = kinds.begin(); // the other kind: the only one recorded
    const std::vector<storage::VariableHistogram>& hs = list->second;
    std::array<QVector<double>, kPercentiles.size()> ys;
    QVector<double> xs;
    for (const storage::VariableHistogram& h : hs) {
        shownEpochs_.push_back(h.epoch);
        xs << double(h.epoch);
        for (std::size_t p = 0; p < kPercentiles.size(); ++p)
            ys[p] << train::histogramQuantile(h.bins, h.min, h.max, kPercentiles[p] / 100.0);
    }
    std::array<QCPGraph*, kPercentiles.size()> g{};
    for (std::size_t p = 0; p < kPercentiles.size(); ++p) {
        g[p] = timePlot_->addGraph();
        g[p]->setData(xs, ys[p], true);
        g[p]->setPen(p == 4 ? QPen(kAccent.darker(140), 2) : QPen(QColor(kAccent.red(), kAccent.green(), kAccent.blue(), 90)));
        g[p]->setName(QStringLiteral("p%1").arg(kPercentiles[p]));
        if (hs.size() == 1) g[p]->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssDisc, p == 4 ? 7 : 4));
    }
    // Bands: outermost first, each filled between its pair; the overlaps darken toward the median.
    for (std::size_t b = 0; b < 4; ++b) {
        g[kPercentiles.size() - 1 - b]->setChannelFillGraph(g[b]);
        g[kPercentiles.size() - 1 - b]->setBrush(QColor(kAccent.red(), kAccent.green(), kAccent.blue(), 45));
    }
    const bool gradient = list->first == "gradient";
    timePlot_->yAxis->setLabel(gradient ? tr("gradient") : tr("value"));
    timePlot_->rescaleAxes();
    const QCPRange x = timePlot_->xAxis->range();
    timePlot_->xAxis->setRange(x.lower - 0.5, x.upper + 0.5);
    timePlot_->yAxis->scaleRange(1.1, timePlot_->yAxis->range().center());
    timePlot_->xAxis->ticker()->setTickCount(std::min<int>(int(hs.size()), 10));
    timeNote_->setText(tr("%1: %2 epochs · percentiles 0, 6.7, 15.9, 30.9, 50 (line), 69.1, 84.1, 93.3, 100 of the "
                          "recorded histograms")
                           .arg(source_.toHtmlEscaped())
                           .arg(hs.size()));
    timePlot_->replot();
}

} // namespace strata::gui
