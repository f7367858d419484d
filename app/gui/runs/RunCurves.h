// The curves of the runs selected in the Runs panel, overlaid: a loss chart and a chart of the
// metric the person chooses (accuracy, a head's loss or accuracy, seconds per epoch: every name
// the runs recorded), each run in its own colour, training solid and validation dashed. Toggles
// show or hide the training and validation curves and switch x between epochs and steps (the
// per-step training loss); each chart has its own log scale and fit.
//
//   RunCurves curves;
//   curves.setHistory(&history);        // where step metrics are read from
//   curves.setRuns({runA, runB});       // 2 runs: series "12/loss", "12/val_loss", "13/loss", ...
//   curves.lossChart()->pointCount(RunCurves::seriesKey(12, "loss"));
#pragma once

#include "app/gui/runs/RunHistory.h"

#include <QWidget>

#include <vector>

class QCheckBox;
class QComboBox;

namespace strata::gui {

class MetricChart;

class RunCurves : public QWidget {
    Q_OBJECT
public:
    explicit RunCurves(QWidget* parent = nullptr);

    void setHistory(const RunHistory* history) { history_ = history; }
    void setRuns(const std::vector<RunSummary>& runs);

    static QString seriesKey(int64_t runId, const QString& metric) { return QStringLiteral("%1/%2").arg(runId).arg(metric); }

    MetricChart* lossChart() const { return lossChart_; }
    MetricChart* metricChart() const { return metricChart_; }
    QComboBox* metricChooser() const { return metric_; }
    QCheckBox* trainToggle() const { return train_; }
    QCheckBox* validationToggle() const { return validation_; }
    QComboBox* xChooser() const { return x_; }
    // The chosen metric's name ("accuracy"); empty when the runs recorded none besides the loss.
    QString metric() const;
    bool bySteps() const;
    // The colour of a run's curves (by its place among the runs shown).
    static QColor runColor(int index);

private:
    void redraw();
    void fillMetricChooser();

    const RunHistory* history_ = nullptr;
    std::vector<RunSummary> runs_;
    MetricChart *lossChart_, *metricChart_;
    QComboBox *metric_, *x_;
    QCheckBox *train_, *validation_;
};

} // namespace strata::gui
