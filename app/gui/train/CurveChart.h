// A small line chart drawn with QPainter (no Qt Charts): named series of (x, y) points, a title,
// axis labels with rounded ticks and a legend. The training panel draws loss and accuracy with it,
// per epoch (lines with markers) and per step (a thin line).
#pragma once

#include <QColor>
#include <QPointF>
#include <QString>
#include <QWidget>

#include <optional>
#include <vector>

namespace strata::gui {

class CurveChart : public QWidget {
    Q_OBJECT
public:
    enum class Style { Markers, Thin }; // a line with a dot per point; a thin translucent line

    CurveChart(const QString& title, const QString& xLabel, const QString& yLabel, QWidget* parent = nullptr);

    void addSeries(const QString& key, const QString& label, const QColor& color, Style style);
    void append(const QString& key, QPointF p); // a non-finite y is skipped
    void clearPoints();
    // The x span drawn at least (e.g. 0..epochs, so curves grow into a fixed frame).
    void setXSpan(double min, double max);
    // A fixed y range (e.g. 0..1 for accuracy); without one the range follows the data from 0.
    void setYRange(std::optional<std::pair<double, double>> range) { yRange_ = range; update(); }

    bool hasSeries(const QString& key) const { return find(key) != nullptr; }
    int pointCount(const QString& key) const;
    std::vector<QPointF> points(const QString& key) const;
    QSize sizeHint() const override { return {360, 220}; }
    QSize minimumSizeHint() const override { return {200, 140}; }

protected:
    void paintEvent(QPaintEvent*) override;

private:
    struct Series {
        QString key, label;
        QColor color;
        Style style;
        std::vector<QPointF> points;
    };
    const Series* find(const QString& key) const;

    QString title_, xLabel_, yLabel_;
    std::vector<Series> series_;
    double xMin_ = 0, xMax_ = 1;
    std::optional<std::pair<double, double>> yRange_;
};

} // namespace strata::gui
