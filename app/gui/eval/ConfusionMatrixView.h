// A confusion matrix as a QCustomPlot heat map (QCPColorMap): true classes down, predicted classes
// across, each cell's count written in it; the colour is the count or, normalised, the share of
// the true class's samples. A click on a cell emits cellClicked(true, predicted).
//
//   ConfusionMatrixView v;
//   v.setMatrix(report.confusion, report.classNames);
//   v.setNormalised(true);
//   QPoint p = v.cellCenter(3, 5);   // in v.plot()'s coordinates, for a click
#pragma once

#include <QPoint>
#include <QString>
#include <QStringList>
#include <QWidget>

#include <cstdint>
#include <vector>

class QCustomPlot;
class QCPColorMap;

namespace strata::gui {

class ConfusionMatrixView : public QWidget {
    Q_OBJECT
public:
    explicit ConfusionMatrixView(QWidget* parent = nullptr);

    void setMatrix(const std::vector<std::vector<int64_t>>& counts, const std::vector<std::string>& classNames);
    void setNormalised(bool on);
    bool isNormalised() const { return normalised_; }
    int classCount() const { return int(counts_.size()); }
    QCustomPlot* plot() const { return plot_; }
    QCPColorMap* colorMap() const { return map_; }
    // The pixel at the centre of cell (true t, predicted p), in plot()'s coordinates.
    QPoint cellCenter(int t, int p) const;
    // The cell under a pixel of plot(); false outside the matrix.
    bool cellAt(const QPoint& pixel, int* t, int* p) const;
    QString cellText(int t, int p) const; // what the cell shows ("12" or "0.34")
    void selectCell(int t, int p);        // outlines the cell (-1: none)

signals:
    void cellClicked(int trueClass, int predictedClass);

private:
    void redraw();

    QCustomPlot* plot_;
    QCPColorMap* map_;
    std::vector<std::vector<int64_t>> counts_;
    QStringList names_;
    bool normalised_ = false;
    int selectedT_ = -1, selectedP_ = -1;
};

} // namespace strata::gui
