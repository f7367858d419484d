#include "app/gui/charts/MetricChart.h"

#include <QCheckBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QTimer>
#include <QToolButton>
#include <QVBoxLayout>

#include <qcustomplot.h>

#include <algorithm>
#include <cmath>
#include <limits>

namespace strata::gui {

namespace {

// Whole-number ticks (epochs): QCustomPlot's readable step, rounded up to an integer.
class IntegerTicker : public QCPAxisTicker {
protected:
    double getTickStep(const QCPRange& range) override { return std::max(1.0, std::ceil(QCPAxisTicker::getTickStep(range))); }
    int getSubTickCount(double step) override { return step >= 5 ? QCPAxisTicker::getSubTickCount(step) : 0; }
};

// A point is drawn with a marker only while markers this far apart (in pixels) still fit.
constexpr double kMarkerSpacing = 9;

} // namespace

MetricChart::MetricChart(const QString& title, const QString& xLabel, const QString& yLabel, QWidget* parent) : QWidget(parent) {
    title_ = new QLabel;
    title_->setObjectName("chartTitle");
    setTitle(title);
    log_ = new QCheckBox(tr("Log y"));
    log_->setObjectName("chartLogY");
    log_->setToolTip(tr("A logarithmic y axis: small losses late in training stay apart"));
    fit_ = new QToolButton;
    fit_->setObjectName("chartFit");
    fit_->setText(tr("Fit"));
    fit_->setToolTip(tr("Show all the data again (also a double click on the chart); drag to pan, wheel to zoom"));
    auto* header = new QHBoxLayout;
    header->setContentsMargins(4, 0, 4, 0);
    header->addWidget(title_, 1);
    header->addWidget(log_);
    header->addWidget(fit_);

    plot_ = new QCustomPlot;
    plot_->setObjectName("chartPlot");
    plot_->setInteractions(QCP::iRangeDrag | QCP::iRangeZoom);
    plot_->axisRect()->setRangeDrag(Qt::Horizontal | Qt::Vertical);
    plot_->axisRect()->setRangeZoom(Qt::Horizontal | Qt::Vertical);
    plot_->setNoAntialiasingOnDrag(true);
    const QPalette pal = palette();
    plot_->setBackground(pal.base());
    for (QCPAxis* axis : {plot_->xAxis, plot_->yAxis}) {
        axis->setBasePen(QPen(pal.color(QPalette::Mid)));
        axis->setTickPen(QPen(pal.color(QPalette::Mid)));
        axis->setSubTickPen(QPen(pal.color(QPalette::Mid)));
        axis->setTickLabelColor(pal.color(QPalette::Text));
        axis->setLabelColor(pal.color(QPalette::Text));
        axis->grid()->setPen(QPen(pal.color(QPalette::Midlight), 0, Qt::DotLine));
        axis->setNumberFormat("g");
        axis->setNumberPrecision(6);
    }
    plot_->xAxis->setLabel(xLabel);
    plot_->yAxis->setLabel(yLabel);
    plot_->xAxis->setTicker(QSharedPointer<QCPAxisTicker>(new IntegerTicker));
    plot_->xAxis->ticker()->setTickCount(6);
    plot_->yAxis->ticker()->setTickCount(5);
    QFont small = font();
    small.setPointSizeF(small.pointSizeF() * 0.9);
    plot_->legend->setFont(small);
    plot_->legend->setTextColor(pal.color(QPalette::Text));
    plot_->legend->setRowSpacing(0);
    plot_->legend->setColumnSpacing(12);
    // The legend goes in a row under the axes, wrapped in columns, so it never hides a curve.
    auto* legendRow = new QCPLayoutGrid;
    plot_->plotLayout()->addElement(1, 0, legendRow);
    plot_->plotLayout()->setRowStretchFactor(1, 0.001);
    plot_->plotLayout()->setRowSpacing(0);
    legendRow->setMargins(QMargins(4, 0, 4, 2));
    legendRow->addElement(0, 0, plot_->legend); // out of the axis rect's inset layout
    plot_->legend->setFillOrder(QCPLegend::foColumnsFirst);
    plot_->legend->setWrap(4);
    plot_->legend->setBorderPen(Qt::NoPen);
    plot_->legend->setBrush(Qt::NoBrush);
    plot_->legend->setMargins(QMargins(2, 0, 2, 0));
    plot_->legend->setVisible(false);
    plot_->xAxis->setRange(0, 1);
    plot_->yAxis->setRange(0, 1);

    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(2);
    layout->addLayout(header);
    layout->addWidget(plot_, 1);
    setMinimumSize(minimumSizeHint());
    setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Expanding);

    // Once the person pans or zooms, new data no longer moves the axes (until Fit).
    connect(plot_, &QCustomPlot::mouseWheel, this, [this] { follow_ = false; });
    connect(plot_, &QCustomPlot::mouseMove, this, [this](QMouseEvent* e) {
        if (e->buttons() & Qt::LeftButton) follow_ = false;
    });
    connect(plot_, &QCustomPlot::mouseDoubleClick, this, &MetricChart::fit);
    connect(plot_->xAxis, qOverload<const QCPRange&>(&QCPAxis::rangeChanged), this, [this] { restyle(); });
    connect(fit_, &QToolButton::clicked, this, &MetricChart::fit);
    connect(log_, &QCheckBox::toggled, this, [this](bool on) {
        plot_->yAxis->setScaleType(on ? QCPAxis::stLogarithmic : QCPAxis::stLinear);
        if (on) {
            auto ticker = QSharedPointer<QCPAxisTickerLog>(new QCPAxisTickerLog);
            ticker->setLogBase(10);
            ticker->setSubTickCount(8);
            plot_->yAxis->setTicker(ticker);
        } else {
            plot_->yAxis->setTicker(QSharedPointer<QCPAxisTicker>(new QCPAxisTicker));
            plot_->yAxis->ticker()->setTickCount(5);
        }
        const QCPRange x = plot_->xAxis->range(); // y is refitted to the new scale; x stays where the person put it
        rescale();
        if (!follow_) plot_->xAxis->setRange(x);
        plot_->replot();
        emit logYChanged(on);
    });
}

void MetricChart::setTitle(const QString& title) {
    titleText_ = title;
    title_->setText(QStringLiteral("<b>%1</b>").arg(title.toHtmlEscaped()));
}
void MetricChart::setXLabel(const QString& label) {
    plot_->xAxis->setLabel(label);
    changed();
}
void MetricChart::setYLabel(const QString& label) {
    plot_->yAxis->setLabel(label);
    changed();
}

void MetricChart::addSeries(const QString& key, const QString& label, const QColor& color, Style style, bool dashed) {
    QCPGraph* g = plot_->addGraph();
    g->setName(label);
    g->setAdaptiveSampling(true);
    g->removeFromLegend();
    series_.push_back({key, label, color, style, dashed, g});
    changed();
}

void MetricChart::removeAllSeries() {
    plot_->clearGraphs();
    series_.clear();
    changed();
}

QCPGraph* MetricChart::graph(const QString& key) const {
    const Series* s = find(key);
    return s ? s->graph : nullptr;
}

const MetricChart::Series* MetricChart::find(const QString& key) const {
    for (const Series& s : series_)
        if (s.key == key) return &s;
    return nullptr;
}

void MetricChart::append(const QString& key, QPointF p) {
    if (!std::isfinite(p.x()) || !std::isfinite(p.y())) return;
    if (QCPGraph* g = graph(key)) {
        g->addData(p.x(), p.y());
        changed();
    }
}

void MetricChart::setPoints(const QString& key, const std::vector<QPointF>& points) {
    QCPGraph* g = graph(key);
    if (!g) return;
    QVector<double> xs, ys;
    xs.reserve(qsizetype(points.size()));
    ys.reserve(qsizetype(points.size()));
    for (const QPointF& p : points)
        if (std::isfinite(p.x()) && std::isfinite(p.y())) {
            xs << p.x();
            ys << p.y();
        }
    g->setData(xs, ys);
    changed();
}

void MetricChart::clearPoints() {
    for (const Series& s : series_) s.graph->data()->clear();
    changed();
}

void MetricChart::setXSpan(double min, double max) {
    xMin_ = min;
    xMax_ = std::max(max, min + 1e-9);
    changed();
}

void MetricChart::setYRange(std::optional<std::pair<double, double>> range) {
    yRange_ = range;
    changed();
}

void MetricChart::setIntegerX(bool on) {
    plot_->xAxis->setTicker(on ? QSharedPointer<QCPAxisTicker>(new IntegerTicker) : QSharedPointer<QCPAxisTicker>(new QCPAxisTicker));
    plot_->xAxis->ticker()->setTickCount(6);
    changed();
}

void MetricChart::setLogY(bool on) { log_->setChecked(on); }
bool MetricChart::logY() const { return plot_->yAxis->scaleType() == QCPAxis::stLogarithmic; }

void MetricChart::fit() {
    follow_ = true;
    update_();
    plot_->replot();
}

QStringList MetricChart::seriesKeys() const {
    QStringList keys;
    for (const Series& s : series_) keys << s.key;
    return keys;
}

QString MetricChart::seriesLabel(const QString& key) const {
    const Series* s = find(key);
    return s ? s->label : QString();
}

QColor MetricChart::seriesColor(const QString& key) const {
    const Series* s = find(key);
    return s ? s->color : QColor();
}

int MetricChart::pointCount(const QString& key) const {
    const QCPGraph* g = graph(key);
    return g ? g->dataCount() : 0;
}

std::vector<QPointF> MetricChart::points(const QString& key) const {
    std::vector<QPointF> out;
    if (const QCPGraph* g = graph(key))
        for (auto it = g->data()->constBegin(); it != g->data()->constEnd(); ++it) out.emplace_back(it->key, it->value);
    return out;
}

bool MetricChart::markersShown(const QString& key) const {
    if (pending_) update_();
    const QCPGraph* g = graph(key);
    return g && g->scatterStyle().shape() != QCPScatterStyle::ssNone;
}

std::pair<double, double> MetricChart::xRange() const {
    if (pending_) update_();
    return {plot_->xAxis->range().lower, plot_->xAxis->range().upper};
}

std::pair<double, double> MetricChart::yRange() const {
    if (pending_) update_();
    return {plot_->yAxis->range().lower, plot_->yAxis->range().upper};
}

void MetricChart::resizeEvent(QResizeEvent* e) {
    QWidget::resizeEvent(e);
    changed();
}

void MetricChart::changed() {
    if (pending_) return;
    pending_ = true;
    QTimer::singleShot(0, this, [this] {
        if (!pending_) return;
        update_();
        plot_->replot(QCustomPlot::rpQueuedReplot);
    });
}

void MetricChart::update_() const {
    pending_ = false;
    if (follow_) rescale();
    restyle();
}

void MetricChart::restyle() const {
    const QCPRange x = plot_->xAxis->range();
    // The room for the axis: the plot less its tick labels (the axis rect is laid out only at a replot).
    const double width = std::max(50, plot_->width() - 70);
    bool anyInLegend = false;
    for (const Series& s : series_) {
        QCPGraph* g = s.graph;
        QColor c = s.color;
        if (s.style == Style::Thin) c.setAlpha(110);
        QPen pen(c, s.style == Style::Thin ? 1.0 : 1.8);
        if (s.dashed) pen.setStyle(Qt::DashLine);
        g->setPen(pen);
        bool markers = false;
        if (s.style == Style::Markers) {
            // The points in view, against the room the axis has for them.
            int inView = 0;
            for (auto it = g->data()->findBegin(x.lower); it != g->data()->constEnd() && it->key <= x.upper; ++it) ++inView;
            markers = inView > 0 && inView * kMarkerSpacing <= width;
        }
        g->setScatterStyle(markers ? QCPScatterStyle(s.dashed ? QCPScatterStyle::ssSquare : QCPScatterStyle::ssCircle, c,
                                                     palette().color(QPalette::Base), 5)
                                   : QCPScatterStyle(QCPScatterStyle::ssNone));
        const bool shown = !g->data()->isEmpty();
        if (shown) g->addToLegend();
        else g->removeFromLegend();
        anyInLegend = anyInLegend || shown;
    }
    plot_->legend->setVisible(anyInLegend);
    // As many legend columns as fit the width (each column as wide as its widest entry), so no
    // entry is cut.
    const QFontMetrics metrics(plot_->legend->font());
    std::vector<int> widths;
    for (const Series& s : series_)
        if (!s.graph->data()->isEmpty())
            widths.push_back(metrics.horizontalAdvance(s.label) + plot_->legend->iconSize().width() +
                             plot_->legend->iconTextPadding() + plot_->legend->columnSpacing());
    int columns = std::max<int>(1, int(widths.size()));
    for (; columns > 1; --columns) {
        int total = 0;
        for (int c = 0; c < columns; ++c) {
            int widest = 0;
            for (std::size_t i = std::size_t(c); i < widths.size(); i += std::size_t(columns)) widest = std::max(widest, widths[i]);
            total += widest;
        }
        if (total <= plot_->width() - 12) break;
    }
    if (columns != plot_->legend->wrap()) {
        plot_->legend->setWrap(columns);
        plot_->legend->setFillOrder(QCPLegend::foColumnsFirst, true);
    }
}

void MetricChart::rescale() const {
    const bool log = logY();
    double x0 = std::numeric_limits<double>::infinity(), x1 = -x0, y0 = x0, y1 = -x0;
    for (const Series& s : series_)
        for (auto it = s.graph->data()->constBegin(); it != s.graph->data()->constEnd(); ++it) {
            x0 = std::min(x0, it->key);
            x1 = std::max(x1, it->key);
            if (log && it->value <= 0) continue;
            y0 = std::min(y0, it->value);
            y1 = std::max(y1, it->value);
        }
    double lo = std::min(xMin_, std::isfinite(x0) ? x0 : xMin_), hi = std::max(xMax_, std::isfinite(x1) ? x1 : xMax_);
    if (hi <= lo) hi = lo + 1;
    plot_->xAxis->setRange(lo, hi);
    if (log) {
        if (!std::isfinite(y0)) plot_->yAxis->setRange(0.01, 1);
        else plot_->yAxis->setRange(y0 / 1.3, y1 * 1.3 > y0 / 1.3 ? y1 * 1.3 : y0 * 10);
        return;
    }
    if (yRange_) {
        lo = std::isfinite(y0) ? std::min(yRange_->first, y0) : yRange_->first;
        hi = std::isfinite(y1) ? std::max(yRange_->second, y1) : yRange_->second;
        const double pad = 0.03 * (hi - lo);
        plot_->yAxis->setRange(lo - pad, hi + pad);
        return;
    }
    if (!std::isfinite(y0)) {
        plot_->yAxis->setRange(0, 1);
        return;
    }
    lo = std::min(0.0, y0);
    hi = y1 > lo ? y1 : lo + 1;
    const double pad = 0.06 * (hi - lo);
    plot_->yAxis->setRange(lo - (lo < 0 ? pad : 0), hi + pad);
}

} // namespace strata::gui
