// A small horizontal bar chart drawn with QPainter (as CurveChart draws curves): one bar per
// named count, the count written at its end, a title above. The dataset view draws class counts
// with it; its bars are readable by tests.
#pragma once

#include <QString>
#include <QWidget>

#include <cstdint>
#include <utility>
#include <vector>

namespace strata::gui {

class BarChart : public QWidget {
    Q_OBJECT
public:
    explicit BarChart(const QString& title, QWidget* parent = nullptr);

    void setBars(std::vector<std::pair<QString, int64_t>> bars);
    const std::vector<std::pair<QString, int64_t>>& bars() const { return bars_; }
    void setTitle(const QString& title);

    QSize sizeHint() const override;
    QSize minimumSizeHint() const override { return {220, 120}; }

protected:
    void paintEvent(QPaintEvent*) override;

private:
    QString title_;
    std::vector<std::pair<QString, int64_t>> bars_;
};

} // namespace strata::gui
