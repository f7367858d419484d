// The plots of the variable selected in the variables view, as tabs beside its table of values:
//   Histogram  its values in 30 equal-width bins (engine/train/Histogram.h, NumPy's semantics);
//   Heat map   a 2-D kernel, rows (inputs) by columns (units), on a diverging scale around 0
//              (every k-th row or column of one larger than 1024 a side);
//   Filters    a convolution kernel (HWIO, or WIO for 1-D): one tile per output filter (columns)
//              and input channel (rows), each H x W pixels, on one diverging scale;
//   Over time  for a run that recorded histograms, the distribution over the epochs as
//              TensorBoard's distributions view draws it: bands between the percentiles
//              0-100, 6.68-93.32, 15.87-84.13 and 30.85-69.15 (the normal's sigma points),
//              darker toward the median line; a switch between the value and the gradient.
// Tabs that do not apply to the variable are hidden.
#pragma once

#include "engine/Tensor.h"
#include "storage/Project.h"

#include <QTabWidget>

#include <map>
#include <vector>

class QCheckBox;
class QComboBox;
class QCPBars;
class QCPColorMap;
class QCustomPlot;
class QLabel;

namespace strata::gui {

class VariablePlots : public QTabWidget {
    Q_OBJECT
public:
    explicit VariablePlots(QWidget* parent = nullptr);

    // Shows the variable at object path `path` ("model/dense_1/kernel") with value `value`;
    // null clears every plot.
    void setVariable(const QString& path, const Tensor* value);
    // The histograms a run recorded (Project::histograms); `source` names it in the plot's title.
    void setRunHistograms(std::vector<storage::VariableHistogram> histograms, const QString& source);
    bool hasRunHistograms() const { return !byKey_.empty(); }

    QWidget* histogramTab() const { return histogramTab_; }
    QWidget* heatMapTab() const { return heatTab_; }
    QWidget* filtersTab() const { return filtersTab_; }
    QWidget* overTimeTab() const { return timeTab_; }
    QCPBars* histogramBars() const { return bars_; }
    QCPColorMap* heatMap() const { return heatMap_; }
    QLabel* filtersImage() const { return filters_; }
    QCustomPlot* overTimePlot() const { return timePlot_; }
    QComboBox* kindBox() const { return kind_; }
    // The epochs the over-time view shows for the selected variable and kind.
    std::vector<int64_t> overTimeEpochs() const { return shownEpochs_; }

private:
    void showHistogram(const Tensor& value);
    void showHeatMap(const Tensor& value);
    void showFilters(const Tensor& value);
    void showOverTime();

    QString path_;
    QWidget* histogramTab_;
    QCustomPlot* histPlot_;
    QCPBars* bars_;
    QLabel* histNote_;
    QWidget* heatTab_;
    QCustomPlot* heatPlot_;
    QCPColorMap* heatMap_;
    QLabel* heatNote_;
    QWidget* filtersTab_;
    QLabel* filters_;
    QLabel* filtersNote_;
    QWidget* timeTab_;
    QCustomPlot* timePlot_;
    QComboBox* kind_;
    QLabel* timeNote_;
    QString source_;
    // checkpoint key -> kind -> the epochs' histograms, ascending
    std::map<std::string, std::map<std::string, std::vector<storage::VariableHistogram>>> byKey_;
    std::vector<int64_t> shownEpochs_;
};

} // namespace strata::gui
