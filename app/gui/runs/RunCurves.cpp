#include "app/gui/runs/RunCurves.h"

#include "app/gui/charts/MetricChart.h"

#include <QCheckBox>
#include <QComboBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QSignalBlocker>
#include <QVBoxLayout>

#include <algorithm>
#include <exception>
#include <set>

namespace strata::gui {

namespace {

const QColor kTrainColor(0x25, 0x63, 0xeb), kValColor(0xf5, 0x9e, 0x0b);

QString q(const std::string& s) { return QString::fromStdString(s); }

QString baseName(const std::string& name) { return q(name.rfind("val_", 0) == 0 ? name.substr(4) : name); }

QString pretty(const QString& name) {
    QString s = name;
    s.replace('_', ' ');
    return s.isEmpty() ? s : s.left(1).toUpper() + s.mid(1);
}

} // namespace

QColor RunCurves::runColor(int index) {
    static const QColor colors[] = {QColor(0x25, 0x63, 0xeb), QColor(0xdc, 0x26, 0x26), QColor(0x16, 0xa3, 0x4a),
                                    QColor(0x93, 0x33, 0xea), QColor(0xea, 0x58, 0x0c), QColor(0x08, 0x91, 0xb2),
                                    QColor(0xdb, 0x27, 0x77), QColor(0x65, 0xa3, 0x0d), QColor(0x78, 0x71, 0x6c)};
    return colors[index % int(std::size(colors))];
}

RunCurves::RunCurves(QWidget* parent) : QWidget(parent) {
    lossChart_ = new MetricChart(tr("Loss"), tr("epoch"), tr("loss"));
    lossChart_->setObjectName("runsLossChart");
    metricChart_ = new MetricChart(tr("Accuracy"), tr("epoch"), tr("accuracy"));
    metricChart_->setObjectName("runsMetricChart");

    metric_ = new QComboBox;
    metric_->setObjectName("runsMetric");
    metric_->setToolTip(tr("The metric of the second chart: every figure the runs recorded per epoch"));
    train_ = new QCheckBox(tr("Train"));
    train_->setObjectName("runsShowTrain");
    train_->setChecked(true);
    train_->setToolTip(tr("Training curves (solid lines)"));
    validation_ = new QCheckBox(tr("Validation"));
    validation_->setObjectName("runsShowValidation");
    validation_->setChecked(true);
    validation_->setToolTip(tr("Validation curves (dashed lines)"));
    x_ = new QComboBox;
    x_->setObjectName("runsX");
    x_->addItem(tr("by epoch"), "epoch");
    x_->addItem(tr("by step"), "step");
    x_->setToolTip(tr("Per epoch: every recorded figure; per step: the training loss of every step"));

    // Two short rows rather than one long one: the Runs panel fits a 1024-pixel window.
    auto* controls = new QHBoxLayout;
    controls->setContentsMargins(0, 0, 0, 0);
    controls->addWidget(new QLabel(tr("Metric:")));
    controls->addWidget(metric_, 1);
    auto* shown = new QHBoxLayout;
    shown->setContentsMargins(0, 0, 0, 0);
    shown->addWidget(train_);
    shown->addWidget(validation_);
    shown->addWidget(x_);
    shown->addStretch(1);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addLayout(controls);
    layout->addLayout(shown);
    layout->addWidget(lossChart_, 1);
    layout->addWidget(metricChart_, 1);

    connect(metric_, &QComboBox::currentIndexChanged, this, [this] {
        redraw();
        metricChart_->fit();
    });
    for (QCheckBox* box : {train_, validation_}) connect(box, &QCheckBox::toggled, this, &RunCurves::redraw);
    connect(x_, &QComboBox::currentIndexChanged, this, [this] {
        fillMetricChooser();
        redraw();
        lossChart_->fit();
        metricChart_->fit();
    });
}

QString RunCurves::metric() const { return metric_->currentData().toString(); }
bool RunCurves::bySteps() const { return x_->currentData().toString() == "step"; }

void RunCurves::setRuns(const std::vector<RunSummary>& runs) {
    std::vector<int64_t> before, after;
    for (const RunSummary& r : runs_) before.push_back(r.id);
    for (const RunSummary& r : runs) after.push_back(r.id);
    runs_ = runs;
    fillMetricChooser();
    redraw();
    if (before != after) { // other runs: show all of their data; the same runs re-read: keep the person's zoom
        lossChart_->fit();
        metricChart_->fit();
    }
}

void RunCurves::fillMetricChooser() {
    std::set<QString> names;
    if (!bySteps())
        for (const RunSummary& r : runs_)
            for (const auto& [name, points] : r.epochMetrics)
                if (baseName(name) != "loss") names.insert(baseName(name));
    QStringList list(names.begin(), names.end());
    QStringList current;
    for (int i = 0; i < metric_->count(); ++i) current << metric_->itemData(i).toString();
    if (list == current) return;
    const QString keep = metric();
    const QSignalBlocker block(metric_);
    metric_->clear();
    for (const QString& n : list) metric_->addItem(pretty(n), n);
    int index = metric_->findData(keep);
    if (index < 0) index = metric_->findData("accuracy");
    metric_->setCurrentIndex(index < 0 ? 0 : index);
    metric_->setEnabled(!list.isEmpty());
}

void RunCurves::redraw() {
    const bool steps = bySteps();
    const QString chosen = metric();
    const QString x = steps ? tr("step") : tr("epoch");
    lossChart_->removeAllSeries();
    metricChart_->removeAllSeries();
    metricChart_->setTitle(chosen.isEmpty() ? (steps ? tr("No other metric per step") : tr("No other metric")) : pretty(chosen));
    metricChart_->setYLabel(chosen.isEmpty() ? QString() : chosen);
    metricChart_->setYRange(chosen.endsWith("accuracy") ? std::optional(std::pair{0.0, 1.0}) : std::nullopt);
    lossChart_->setTitle(steps ? tr("Loss per step") : tr("Loss"));
    double span = 1;
    const bool one = runs_.size() == 1;
    for (int i = 0; i < int(runs_.size()); ++i) {
        const RunSummary& r = runs_[std::size_t(i)];
        std::map<std::string, std::vector<std::pair<double, double>>> stepMetrics;
        if (steps && history_) try {
                stepMetrics = history_->stepMetrics(r.id);
            } catch (const std::exception&) {
                // The file went away or is being rewritten: the next refresh reads it again.
            }
        const auto& metrics = steps ? stepMetrics : r.epochMetrics;
        if (!steps) {
            span = std::max(span, double(r.epochsDone));
            if (r.hyperparameters.contains("epochs") && r.hyperparameters["epochs"].is_number_integer())
                span = std::max(span, r.hyperparameters["epochs"].get<double>());
        }
        for (const auto& [chart, base] : {std::pair{lossChart_, QStringLiteral("loss")}, std::pair{metricChart_, chosen}}) {
            if (base.isEmpty()) continue;
            for (const bool val : {false, true}) {
                if (!(val ? validation_ : train_)->isChecked()) continue;
                const std::string name = ((val ? "val_" : "") + base).toStdString();
                const auto it = metrics.find(name);
                if (it == metrics.end()) continue;
                const QString split = val ? tr("validation") : tr("train");
                const QColor color = one ? (val ? kValColor : kTrainColor) : runColor(i);
                const QString key = seriesKey(r.id, q(name));
                chart->addSeries(key, one ? split : val ? tr("run %1 val.").arg(r.id) : tr("run %1").arg(r.id), color,
                                 steps ? MetricChart::Style::Thin : MetricChart::Style::Markers, val);
                std::vector<QPointF> points;
                points.reserve(it->second.size());
                for (const auto& [px, py] : it->second) points.emplace_back(px, py);
                chart->setPoints(key, points);
            }
        }
    }
    for (MetricChart* c : {lossChart_, metricChart_}) {
        c->setXLabel(x);
        c->setXSpan(0, steps ? 1 : span);
    }
}

} // namespace strata::gui
