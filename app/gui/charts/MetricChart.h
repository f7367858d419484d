// A line chart of training metrics on QCustomPlot: named series of (x, y) points (an epoch or a
// step and a figure), each with a colour, a line style and a legend entry. The mouse drags
// (pans) and wheels (zooms) the axes; "Fit" shows all the data again; "Log y" puts the y axis on a
// logarithmic scale. While the person has not zoomed or panned, the axes follow the data as it
// grows (Train panel, a running run). Markers are drawn only while the points are sparse enough
// to tell apart, and the x ticks of epochs are whole numbers, so thousands of epochs stay readable.
//
//   MetricChart c(tr("Loss"), tr("epoch"), tr("loss"));
//   c.addSeries("loss", tr("train"), Qt::blue, MetricChart::Style::Markers);
//   c.append("loss", {1, 0.83});                   // a non-finite y is skipped
//   c.setLogY(true);                                // the "Log y" box follows
//   c.pointCount("loss"); c.xRange(); c.seriesCount();
#pragma once

#include <QColor>
#include <QPointF>
#include <QString>
#include <QStringList>
#include <QWidget>

#include <optional>
#include <utility>
#include <vector>

class QCheckBox;
class QCustomPlot;
class QCPGraph;
class QLabel;
class QToolButton;

namespace strata::gui {

class MetricChart : public QWidget {
    Q_OBJECT
public:
    enum class Style { Markers, Thin }; // a line with a dot per point (while sparse); a thin translucent line

    MetricChart(const QString& title, const QString& xLabel, const QString& yLabel, QWidget* parent = nullptr);

    void setTitle(const QString& title);
    QString title() const { return titleText_; }
    void setXLabel(const QString& label);
    void setYLabel(const QString& label);

    // A series; `dashed` draws its line dashed (validation curves beside solid training ones).
    void addSeries(const QString& key, const QString& label, const QColor& color, Style style, bool dashed = false);
    void removeAllSeries();
    void append(const QString& key, QPointF p); // a non-finite x or y is skipped
    void setPoints(const QString& key, const std::vector<QPointF>& points);
    void clearPoints(); // every series' points; the series stay
    // The x span shown at least (e.g. 0..epochs, so curves grow into a fixed frame).
    void setXSpan(double min, double max);
    // A fixed y range on the linear scale (e.g. 0..1 for accuracy); without one it follows the data.
    void setYRange(std::optional<std::pair<double, double>> range);
    // Whole-number x ticks (epochs) or free ones (steps, fractions of epochs).
    void setIntegerX(bool on);

    void setLogY(bool on);
    bool logY() const;
    // Shows all the data (and the x span) again and follows new data; the "Fit" button.
    void fit();

    bool hasSeries(const QString& key) const { return graph(key) != nullptr; }
    int seriesCount() const { return int(series_.size()); }
    QStringList seriesKeys() const;
    QString seriesLabel(const QString& key) const;
    QColor seriesColor(const QString& key) const;
    int pointCount(const QString& key) const;
    std::vector<QPointF> points(const QString& key) const;
    // Whether `key`'s points are drawn with markers now (sparse) or as a plain line (dense).
    bool markersShown(const QString& key) const;
    // The axes' ranges as drawn (pending data applied first).
    std::pair<double, double> xRange() const;
    std::pair<double, double> yRange() const;
    bool following() const { return follow_; } // false once the person zoomed or panned
    QCustomPlot* plot() const { return plot_; }

    QSize sizeHint() const override { return {380, 240}; }
    QSize minimumSizeHint() const override { return {130, 110}; }

signals:
    void logYChanged(bool on);

protected:
    void resizeEvent(QResizeEvent* e) override;

private:
    struct Series {
        QString key, label;
        QColor color;
        Style style;
        bool dashed;
        QCPGraph* graph;
    };
    QCPGraph* graph(const QString& key) const;
    const Series* find(const QString& key) const;
    void changed();          // data changed: restyle, refit (while following) and replot, queued
    void update_() const;    // applies what changed() queued, at once
    void restyle() const;    // markers by density, legend entries for series with points
    void rescale() const;    // the axes to the data, the x span and the fixed y range

    QCustomPlot* plot_;
    QLabel* title_;
    QCheckBox* log_;
    QToolButton* fit_;
    std::vector<Series> series_;
    double xMin_ = 0, xMax_ = 1;
    std::optional<std::pair<double, double>> yRange_;
    QString titleText_;
    bool follow_ = true;
    mutable bool pending_ = false;
};

} // namespace strata::gui
