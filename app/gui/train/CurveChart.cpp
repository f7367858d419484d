#include "app/gui/train/CurveChart.h"

#include <QPainter>
#include <QPainterPath>

#include <algorithm>
#include <cmath>
#include <tuple>

namespace strata::gui {

namespace {

// A round step (1, 2 or 5 times a power of ten) giving about `ticks` intervals over `span`.
double niceStep(double span, int ticks) {
    if (!(span > 0)) return 1;
    const double raw = span / ticks;
    const double mag = std::pow(10.0, std::floor(std::log10(raw)));
    const double f = raw / mag;
    return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * mag;
}

QString tickText(double v, double step) {
    if (std::abs(v) < step * 1e-6) v = 0;
    const int decimals = step >= 1 ? 0 : int(std::ceil(-std::log10(step)));
    return QString::number(v, 'f', std::min(decimals, 6));
}

} // namespace

CurveChart::CurveChart(const QString& title, const QString& xLabel, const QString& yLabel, QWidget* parent)
    : QWidget(parent), title_(title), xLabel_(xLabel), yLabel_(yLabel) {
    setMinimumSize(minimumSizeHint());
    setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Expanding);
}

void CurveChart::addSeries(const QString& key, const QString& label, const QColor& color, Style style) {
    series_.push_back({key, label, color, style, {}});
    update();
}

void CurveChart::append(const QString& key, QPointF p) {
    if (!std::isfinite(p.x()) || !std::isfinite(p.y())) return;
    for (Series& s : series_)
        if (s.key == key) {
            s.points.push_back(p);
            update();
            return;
        }
}

void CurveChart::clearPoints() {
    for (Series& s : series_) s.points.clear();
    update();
}

void CurveChart::setXSpan(double min, double max) {
    xMin_ = min;
    xMax_ = std::max(max, min + 1e-9);
    update();
}

const CurveChart::Series* CurveChart::find(const QString& key) const {
    for (const Series& s : series_)
        if (s.key == key) return &s;
    return nullptr;
}

int CurveChart::pointCount(const QString& key) const {
    const Series* s = find(key);
    return s ? int(s->points.size()) : 0;
}

std::vector<QPointF> CurveChart::points(const QString& key) const {
    const Series* s = find(key);
    return s ? s->points : std::vector<QPointF>{};
}

void CurveChart::paintEvent(QPaintEvent*) {
    QPainter p(this);
    p.setRenderHint(QPainter::Antialiasing);
    const QPalette pal = palette();
    p.fillRect(rect(), pal.base());
    const QFontMetrics fm(font());
    const QColor text = pal.color(QPalette::Text);
    QColor grid = pal.color(QPalette::Mid);
    grid.setAlpha(90);

    // Ranges: x at least the span asked for; y the fixed range, or 0 .. the largest value.
    double x0 = xMin_, x1 = xMax_, y0 = 0, y1 = 0;
    bool any = false;
    for (const Series& s : series_)
        for (const QPointF& pt : s.points) {
            any = true;
            x0 = std::min(x0, pt.x());
            x1 = std::max(x1, pt.x());
            y0 = std::min(y0, pt.y());
            y1 = std::max(y1, pt.y());
        }
    if (yRange_) std::tie(y0, y1) = *yRange_;
    if (!(y1 > y0)) y1 = y0 + 1;
    const double yStep = niceStep(y1 - y0, 4);
    if (!yRange_) y1 = std::ceil(y1 / yStep - 1e-9) * yStep;
    const double xStep = std::max(niceStep(x1 - x0, 6), x1 - x0 >= 2 ? 1.0 : 0.0); // whole epochs

    // Plot area: room for the title and the legend (one row when they fit side by side, else two),
    // tick labels and axis labels.
    const int line = fm.height();
    const int left = line + 6 + fm.horizontalAdvance(tickText(y1, yStep) + "0");
    QFont bold = font();
    bold.setBold(true);
    int legendWidth = 0;
    for (const Series& s : series_) legendWidth += 30 + fm.horizontalAdvance(s.label);
    const int titleWidth = QFontMetrics(bold).horizontalAdvance(title_) + 16;
    const bool twoRows = left + titleWidth + legendWidth > width() - 12;
    const QRect plot = rect().adjusted(left, (twoRows ? 2 * line : line) + 10, -12, -(2 * line + 10));
    if (plot.width() < 40 || plot.height() < 30) return;
    auto X = [&](double x) { return plot.left() + (x - x0) / (x1 - x0) * plot.width(); };
    auto Y = [&](double y) { return plot.bottom() - (y - y0) / (y1 - y0) * plot.height(); };

    p.setFont(bold);
    p.setPen(text);
    p.drawText(QRect(plot.left(), 2, plot.width(), line + 4), Qt::AlignLeft | Qt::AlignVCenter, title_);
    p.setFont(font());

    // Grid and ticks.
    for (double y = y0; y <= y1 + yStep * 1e-6; y += yStep) {
        const double py = Y(y);
        p.setPen(grid);
        p.drawLine(QPointF(plot.left(), py), QPointF(plot.right(), py));
        p.setPen(text);
        p.drawText(QRectF(0, py - line, plot.left() - 4, 2 * line), Qt::AlignRight | Qt::AlignVCenter, tickText(y, yStep));
    }
    for (double x = std::ceil(x0 / xStep - 1e-9) * xStep; x <= x1 + xStep * 1e-6; x += xStep) {
        const double px = X(x);
        p.setPen(grid);
        p.drawLine(QPointF(px, plot.top()), QPointF(px, plot.bottom()));
        p.setPen(text);
        p.drawText(QRectF(px - 40, plot.bottom() + 2, 80, line), Qt::AlignHCenter | Qt::AlignTop, tickText(x, xStep));
    }
    p.setPen(pal.color(QPalette::Mid));
    p.drawRect(plot);
    p.setPen(text);
    p.drawText(QRect(plot.left(), plot.bottom() + line + 2, plot.width(), line + 4), Qt::AlignHCenter | Qt::AlignVCenter, xLabel_);
    p.save();
    p.translate(2, plot.center().y());
    p.rotate(-90);
    p.drawText(QRect(-plot.height() / 2, 0, plot.height(), line), Qt::AlignCenter, yLabel_);
    p.restore();

    if (!any) {
        QColor hint = text;
        hint.setAlpha(120);
        p.setPen(hint);
        p.drawText(plot, Qt::AlignCenter, tr("No data yet: press Train"));
    }

    // Curves: the thin ones first, under the epoch lines. A long thin series is averaged per pixel.
    p.setClipRect(plot.adjusted(-4, -4, 4, 4));
    for (Style pass : {Style::Thin, Style::Markers})
        for (const Series& s : series_) {
            if (s.style != pass || s.points.empty()) continue;
            QColor c = s.color;
            QPainterPath path;
            if (s.style == Style::Thin) {
                c.setAlpha(110);
                const std::size_t per = std::max<std::size_t>(1, s.points.size() / std::size_t(std::max(plot.width(), 1)));
                for (std::size_t i = 0; i < s.points.size(); i += per) {
                    double sx = 0, sy = 0;
                    const std::size_t n = std::min(per, s.points.size() - i);
                    for (std::size_t j = 0; j < n; ++j) sx += s.points[i + j].x(), sy += s.points[i + j].y();
                    const QPointF q(X(sx / double(n)), Y(sy / double(n)));
                    i == 0 ? path.moveTo(q) : path.lineTo(q);
                }
                p.setPen(QPen(c, 1.2));
            } else {
                for (std::size_t i = 0; i < s.points.size(); ++i) {
                    const QPointF q(X(s.points[i].x()), Y(s.points[i].y()));
                    i == 0 ? path.moveTo(q) : path.lineTo(q);
                }
                p.setPen(QPen(c, 2.2));
            }
            p.setBrush(Qt::NoBrush);
            p.drawPath(path);
            if (s.style == Style::Markers) {
                p.setBrush(c);
                p.setPen(QPen(pal.color(QPalette::Base), 1));
                for (const QPointF& pt : s.points) p.drawEllipse(QPointF(X(pt.x()), Y(pt.y())), 3.5, 3.5);
            }
        }
    p.setClipping(false);

    // Legend, right-aligned above the plot (under the title when the row is too narrow for both).
    int x = std::max(plot.left(), plot.right() - legendWidth);
    const int top = twoRows ? line + 4 : 2;
    for (const Series& s : series_) {
        QColor c = s.color;
        if (s.style == Style::Thin) c.setAlpha(150);
        p.setPen(QPen(c, s.style == Style::Thin ? 1.5 : 2.5));
        p.drawLine(x + 4, top + line / 2 + 2, x + 20, top + line / 2 + 2);
        if (s.style == Style::Markers) {
            p.setBrush(c);
            p.drawEllipse(QPointF(x + 12, top + line / 2 + 2), 2.5, 2.5);
        }
        p.setPen(text);
        const int w = fm.horizontalAdvance(s.label);
        p.drawText(QRect(x + 24, top, w + 4, line + 4), Qt::AlignLeft | Qt::AlignVCenter, s.label);
        x += 30 + w;
    }
}

} // namespace strata::gui
