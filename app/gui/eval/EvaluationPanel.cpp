#include "app/gui/eval/EvaluationPanel.h"

#include "app/gui/eval/ConfusionMatrixView.h"
#include "app/gui/eval/EvalWidgets.h"
#include "app/gui/eval/SampleView.h"

#include <QCheckBox>
#include <QComboBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QListWidget>
#include <QPixmap>
#include <QProgressBar>
#include <QPushButton>
#include <QSpinBox>
#include <QSplitter>
#include <QTabWidget>
#include <QTableWidget>
#include <QVBoxLayout>

#include <qcustomplot.h>

#include <algorithm>

namespace strata::gui {

namespace {

constexpr int kListLimit = 500;     // samples listed for one cell
constexpr int kTableLimit = 300;    // misclassified rows shown
constexpr int kReconstructions = 24; // worst reconstructions shown
constexpr int kThumb = 48;

QString q(const std::string& s) { return QString::fromStdString(s); }

QTableWidgetItem* cell(const QString& text, bool number = false) {
    auto* item = new QTableWidgetItem(text);
    item->setFlags(Qt::ItemIsSelectable | Qt::ItemIsEnabled);
    if (number) item->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
    return item;
}

QTableWidget* table(const QStringList& headers, const char* name) {
    auto* t = new QTableWidget(0, int(headers.size()));
    t->setObjectName(name);
    t->setHorizontalHeaderLabels(headers);
    t->verticalHeader()->hide();
    t->setSelectionBehavior(QAbstractItemView::SelectRows);
    t->setAlternatingRowColors(true);
    t->horizontalHeader()->setStretchLastSection(true);
    return t;
}

QPixmap scaled(const QImage& img, int size) { return QPixmap::fromImage(img.scaled(size, size, Qt::KeepAspectRatio, Qt::FastTransformation)); }

} // namespace

EvaluationPanel::EvaluationPanel(QWidget* parent) : QWidget(parent) {
    setObjectName("evaluationPanel");
    title_ = new QLabel;
    title_->setObjectName("evaluationTitle");
    status_ = new QLabel;
    status_->setObjectName("evaluationStatus");
    status_->setWordWrap(true);
    status_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    progress_ = new QProgressBar;
    progress_->setObjectName("evaluationProgress");
    cancel_ = new QPushButton(tr("Cancel"));
    connect(cancel_, &QPushButton::clicked, this, [this] {
        if (job_) job_->cancel();
    });
    outputs_ = new QComboBox;
    outputs_->setObjectName("evaluationOutput");
    outputs_->setToolTip(tr("The model has several outputs: the output layer whose report is shown"));
    connect(outputs_, &QComboBox::activated, this, &EvaluationPanel::showOutput);
    outputRow_ = new QWidget;
    auto* outputLayout = new QHBoxLayout(outputRow_);
    outputLayout->setContentsMargins(0, 0, 0, 0);
    outputLayout->addWidget(new QLabel(tr("Output:")));
    outputLayout->addWidget(outputs_);
    outputRow_->hide();
    auto* top = new QHBoxLayout;
    top->addWidget(title_, 1);
    top->addWidget(outputRow_);
    top->addWidget(progress_);
    top->addWidget(cancel_);
    deviceNote_ = new QLabel;
    deviceNote_->setObjectName("evaluationDeviceNote");
    deviceNote_->setWordWrap(true);
    deviceNote_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    deviceNote_->setStyleSheet("QLabel { color: #b45309; }"); // amber: a warning, not a failure
    deviceNote_->hide();

    // Confusion matrix, with the clicked cell's samples below it.
    confusion_ = new ConfusionMatrixView;
    normalise_ = new QCheckBox(tr("Normalise by true class"));
    normalise_->setObjectName("normaliseConfusion");
    normalise_->setToolTip(tr("Colour and label each cell with its share of the true class's samples instead of its count"));
    connect(normalise_, &QCheckBox::toggled, confusion_, &ConfusionMatrixView::setNormalised);
    cellTitle_ = new QLabel(tr("Click a cell to list its samples."));
    cellTitle_->setObjectName("cellTitle");
    cellSamples_ = new QListWidget;
    cellSamples_->setObjectName("cellSamples");
    connect(confusion_, &ConfusionMatrixView::cellClicked, this, &EvaluationPanel::showCell);
    connect(cellSamples_, &QListWidget::itemDoubleClicked, this, [this](QListWidgetItem* item) {
        sampleSpin_->setValue(item->data(Qt::UserRole).toInt());
        tabs_->setCurrentWidget(sampleTab_);
    });
    auto* below = new QWidget;
    auto* belowLayout = new QVBoxLayout(below);
    belowLayout->setContentsMargins(0, 0, 0, 0);
    belowLayout->addWidget(cellTitle_);
    belowLayout->addWidget(cellSamples_, 1);
    auto* split = new QSplitter(Qt::Vertical);
    split->addWidget(confusion_);
    split->addWidget(below);
    split->setStretchFactor(0, 3);
    split->setStretchFactor(1, 1);
    confusionTab_ = new QWidget;
    auto* confusionLayout = new QVBoxLayout(confusionTab_);
    confusionLayout->addWidget(normalise_);
    confusionLayout->addWidget(split, 1);

    perClass_ = table({tr("Class"), tr("Precision"), tr("Recall"), tr("F1"), tr("Support")}, "perClassTable");
    perClassTab_ = perClass_;
    misclassified_ = table({tr("Sample"), tr("True"), tr("Predicted"), tr("Loss"), tr("Probabilities")}, "misclassifiedTable");
    misclassified_->setItemDelegateForColumn(4, new ProbabilityBarsDelegate(misclassified_));
    misclassified_->setIconSize(QSize(kThumb - 16, kThumb - 16));
    connect(misclassified_, &QTableWidget::cellDoubleClicked, this, [this](int row, int) {
        sampleSpin_->setValue(misclassified_->item(row, 0)->data(Qt::UserRole).toInt());
        tabs_->setCurrentWidget(sampleTab_);
    });
    misclassifiedTab_ = misclassified_;
    sampleTab_ = sampleTab();

    tabs_ = new QTabWidget;
    tabs_->setObjectName("evaluationTabs");
    auto* layout = new QVBoxLayout(this);
    layout->addLayout(top);
    layout->addWidget(status_);
    layout->addWidget(deviceNote_);
    layout->addWidget(tabs_, 1);
    resize(1000, 760);
}

EvaluationPanel::~EvaluationPanel() = default;

QWidget* EvaluationPanel::sampleTab() {
    auto* w = new QWidget;
    sampleSpin_ = new QSpinBox;
    sampleSpin_->setObjectName("sampleIndex");
    sampleSpin_->setPrefix(tr("sample "));
    sampleView_ = new SampleView;
    connect(sampleSpin_, &QSpinBox::valueChanged, this, &EvaluationPanel::showSample);
    auto* row = new QHBoxLayout;
    row->addWidget(new QLabel(tr("Sample of the split:")));
    row->addWidget(sampleSpin_);
    row->addStretch(1);
    auto* layout = new QVBoxLayout(w);
    layout->addLayout(row);
    layout->addWidget(sampleView_, 1);
    return w;
}

QLabel* EvaluationPanel::samplePrediction() const { return sampleView_->prediction(); }

void EvaluationPanel::evaluate(const EvaluationRequest& request, const QString& title) {
    job_.reset();
    result_.reset();
    clearTabs();
    outputs_->clear();
    outputRow_->hide();
    deviceNote_->hide();
    output_ = 0;
    title_->setText("<b>" + title.toHtmlEscaped() + "</b> · " + tr("%1 split").arg(request.split));
    setWindowTitle(tr("Evaluation — %1").arg(title));
    status_->setText(tr("Starting…"));
    progress_->setRange(0, 0);
    progress_->show();
    cancel_->show();
    job_ = std::make_unique<EvaluationJob>(request);
    connect(job_.get(), &EvaluationJob::status, status_, &QLabel::setText);
    connect(job_.get(), &EvaluationJob::progress, this, [this](qint64 done, qint64 total) {
        progress_->setRange(0, int(std::min<qint64>(total, INT32_MAX)));
        progress_->setValue(int(std::min<qint64>(done, INT32_MAX)));
    });
    connect(job_.get(), &EvaluationJob::finished, this, &EvaluationPanel::jobFinished);
    running_ = true;
    job_->start();
}

bool EvaluationPanel::isRunning() const { return running_; }

const train::EvalReport* EvaluationPanel::report() const { return result_ && !result_->reports.empty() ? &current() : nullptr; }

QString EvaluationPanel::statusText() const { return status_->text(); }

void EvaluationPanel::jobFinished(bool ok) {
    running_ = false;
    progress_->hide();
    cancel_->hide();
    if (!ok) {
        status_->setText("<span style='color:#dc2626'>" + tr("The evaluation failed: %1").arg(job_->error()).toHtmlEscaped() + "</span>");
        emit finished(false);
        return;
    }
    result_ = job_->takeResult();
    for (const train::EvalReport& r : result_->reports)
        outputs_->addItem(tr("%1 (%2)").arg(q(r.output), q(train::reportKindName(r.kind))), q(r.output));
    outputRow_->setVisible(result_->reports.size() > 1);
    QString note = q(result_->deviceNote);
    if (!note.isEmpty()) note[0] = note[0].toUpper();
    deviceNote_->setText(QStringLiteral("⚠ ") + note);
    deviceNote_->setVisible(!result_->deviceNote.empty());
    showOutput(0);
    emit finished(true);
}

void EvaluationPanel::clearTabs() {
    tabs_->clear();
    for (QWidget* w : ownTabs_) w->deleteLater();
    ownTabs_.clear();
}

void EvaluationPanel::showOutput(int k) {
    if (!result_ || k < 0 || std::size_t(k) >= result_->reports.size()) return;
    output_ = k;
    outputs_->setCurrentIndex(k);
    const bool onSample = tabs_->currentWidget() == sampleTab_; // stays there for the other output
    clearTabs();
    cellSamples_->clear();
    cellTitle_->setText(tr("Click a cell to list its samples."));
    const train::EvalReport& r = current();
    QString summary = tr("%n sample(s) of %1 · weights: %2 · computed on %3", nullptr, int(r.samples))
                          .arg(q(result_->dataName), q(result_->source), q(result_->device));
    if (result_->reports.size() > 1) summary += tr(" · output %1").arg(q(r.output));
    summary += tr(" · mean loss %1").arg(r.meanLoss, 0, 'g', 4);
    if (r.kind == train::ReportKind::Classification) summary += tr(" · accuracy %1%").arg(100 * r.accuracy, 0, 'f', 1);
    if (r.kind == train::ReportKind::Regression) summary += tr(" · MAE %1 · R² %2").arg(r.mae, 0, 'g', 4).arg(r.r2, 0, 'g', 4);
    status_->setText(summary);
    if (r.kind == train::ReportKind::Classification) showClassification();
    else if (r.kind == train::ReportKind::Regression) showRegression();
    else showReconstruction();
    tabs_->addTab(sampleTab_, tr("Sample"));
    sampleSpin_->setRange(0, int(std::max<int64_t>(0, r.samples - 1)));
    showSample(sampleSpin_->value());
    tabs_->setCurrentWidget(onSample ? sampleTab_ : tabs_->widget(0));
}

QIcon EvaluationPanel::thumbnail(int64_t, const Tensor& features, int64_t row) const {
    const auto img = sampleImage(features, row);
    return img ? QIcon(scaled(*img, kThumb)) : QIcon();
}

void EvaluationPanel::showClassification() {
    const train::EvalReport& r = current();
    confusion_->setMatrix(r.confusion, r.classNames);
    confusion_->setNormalised(normalise_->isChecked());
    tabs_->addTab(confusionTab_, tr("Confusion matrix"));

    perClass_->setRowCount(0);
    auto addRow = [this](const QString& name, const train::ClassScores& s) {
        const int row = perClass_->rowCount();
        perClass_->insertRow(row);
        perClass_->setItem(row, 0, cell(name));
        perClass_->setItem(row, 1, cell(QString::number(s.precision, 'f', 3), true));
        perClass_->setItem(row, 2, cell(QString::number(s.recall, 'f', 3), true));
        perClass_->setItem(row, 3, cell(QString::number(s.f1, 'f', 3), true));
        perClass_->setItem(row, 4, cell(QString::number(s.support), true));
    };
    for (int c = 0; c < r.classCount(); ++c) addRow(q(r.classNames[std::size_t(c)]), r.perClass[std::size_t(c)]);
    addRow(tr("macro average"), r.macro);
    addRow(tr("weighted average"), r.weighted);
    addRow(tr("accuracy"), {r.accuracy, r.accuracy, r.accuracy, r.samples});
    perClass_->resizeColumnsToContents();
    tabs_->addTab(perClassTab_, tr("Per class"));

    const int shown = int(std::min<std::size_t>(r.misclassified.size(), kTableLimit));
    std::vector<int64_t> indices;
    for (int i = 0; i < shown; ++i) indices.push_back(r.misclassified[std::size_t(i)].index);
    const data::Batch samples = train::gatherSamples(result_->split, indices);
    misclassified_->setRowCount(shown);
    for (int i = 0; i < shown; ++i) {
        const train::Misclassified& m = r.misclassified[std::size_t(i)];
        auto* id = cell(QString::number(m.index), true);
        id->setData(Qt::UserRole, qlonglong(m.index));
        id->setIcon(thumbnail(m.index, samples.x, i));
        misclassified_->setItem(i, 0, id);
        misclassified_->setItem(i, 1, cell(q(r.classNames[std::size_t(m.trueLabel)])));
        misclassified_->setItem(i, 2, cell(q(r.classNames[std::size_t(m.predicted)])));
        misclassified_->setItem(i, 3, cell(QString::number(m.loss, 'f', 3), true));
        auto* bars = cell({});
        QVariantList probs;
        for (float p : m.probabilities) probs << double(p);
        bars->setData(Qt::UserRole, probs);
        bars->setData(Qt::UserRole + 1, m.trueLabel);
        bars->setData(Qt::UserRole + 2, m.predicted);
        bars->setToolTip(tr("true %1: %2 · predicted %3: %4")
                             .arg(q(r.classNames[std::size_t(m.trueLabel)]))
                             .arg(double(m.probabilities[std::size_t(m.trueLabel)]), 0, 'f', 3)
                             .arg(q(r.classNames[std::size_t(m.predicted)]))
                             .arg(double(m.probabilities[std::size_t(m.predicted)]), 0, 'f', 3));
        misclassified_->setItem(i, 4, bars);
        misclassified_->setRowHeight(i, kThumb - 12);
    }
    misclassified_->resizeColumnsToContents();
    misclassified_->setColumnWidth(4, std::max(160, r.classCount() * 14));
    tabs_->addTab(misclassifiedTab_, tr("Misclassified (%1)").arg(r.misclassified.size()));
}

void EvaluationPanel::showCell(int t, int p) {
    cellSamples_->clear();
    if (!result_ || current().kind != train::ReportKind::Classification) return;
    const train::EvalReport& r = current();
    if (t < 0 || p < 0 || t >= r.classCount() || p >= r.classCount()) return;
    confusion_->selectCell(t, p);
    const std::vector<int64_t> all = r.samplesOf(t, p);
    const std::vector<int64_t> indices(all.begin(), all.begin() + std::min<std::ptrdiff_t>(std::ptrdiff_t(all.size()), kListLimit));
    cellTitle_->setText(tr("True <b>%1</b>, predicted <b>%2</b>: %n sample(s)%3", nullptr, int(all.size()))
                            .arg(q(r.classNames[std::size_t(t)]).toHtmlEscaped(), q(r.classNames[std::size_t(p)]).toHtmlEscaped())
                            .arg(all.size() > indices.size() ? tr(" (the first %1 listed)").arg(indices.size()) : QString()));
    const data::Batch samples = train::gatherSamples(result_->split, indices);
    const bool images = !indices.empty() && sampleImage(samples.x, 0).has_value();
    cellSamples_->setViewMode(images ? QListView::IconMode : QListView::ListMode);
    cellSamples_->setIconSize(QSize(kThumb, kThumb));
    cellSamples_->setGridSize(images ? QSize(kThumb + 24, kThumb + 24) : QSize());
    cellSamples_->setResizeMode(QListView::Adjust);
    for (std::size_t i = 0; i < indices.size(); ++i) {
        const int64_t index = indices[i];
        auto* item = new QListWidgetItem(images ? QString::number(index)
                                                : tr("#%1 (loss %2): %3").arg(index).arg(r.losses[std::size_t(index)], 0, 'f', 3).arg(featureText(samples.x, int64_t(i))));
        item->setData(Qt::UserRole, qlonglong(index));
        if (images) item->setIcon(thumbnail(index, samples.x, int64_t(i)));
        item->setToolTip(tr("sample %1, loss %2 (double-click: its prediction)").arg(index).arg(r.losses[std::size_t(index)], 0, 'f', 3));
        cellSamples_->addItem(item);
    }
}

void EvaluationPanel::showRegression() {
    ownTabs_ = {regressionScatter(current()), residualHistogram(current())};
    tabs_->addTab(ownTabs_[0], tr("Predicted vs true"));
    tabs_->addTab(ownTabs_[1], tr("Residuals"));
}

void EvaluationPanel::showReconstruction() {
    const train::EvalReport& r = current();
    const int shown = int(std::min<std::size_t>(r.reconstruction.size(), kReconstructions));
    std::vector<int64_t> indices;
    for (int i = 0; i < shown; ++i) indices.push_back(r.reconstruction[std::size_t(i)].index);
    const data::Batch originals = train::gatherSamples(result_->split, indices);
    const Tensor outputs = train::predictSamples(*result_->model, *result_->backend, result_->split, indices, false, r.outputPosition);
    auto* t = table({tr("Sample"), tr("Error"), tr("Original"), tr("Reconstruction")}, "reconstructionTable");
    t->setRowCount(shown);
    t->setIconSize(QSize(kThumb * 2, kThumb * 2));
    for (int i = 0; i < shown; ++i) {
        t->setItem(i, 0, cell(QString::number(indices[std::size_t(i)]), true));
        t->setItem(i, 1, cell(QString::number(r.reconstruction[std::size_t(i)].error, 'g', 4), true));
        // One grey scale for the pair, as on the Sample tab: a faint reconstruction looks faint.
        const int64_t n = outputs.size() / std::max<int64_t>(1, outputs.shape()[0]);
        const auto [lo, hi] = std::minmax_element(outputs.f32() + i * n, outputs.f32() + (i + 1) * n);
        std::pair<double, double> range{*lo, *hi};
        if (originals.x.size() == outputs.size()) {
            const auto [olo, ohi] = std::minmax_element(originals.x.f32() + i * n, originals.x.f32() + (i + 1) * n);
            range = {std::min<double>(*lo, *olo), std::max<double>(*hi, *ohi)};
        }
        for (int c = 0; c < 2; ++c) {
            const Tensor& from = c == 0 ? originals.x : outputs;
            auto* item = cell({});
            if (const auto img = sampleImage(from, i, range)) item->setIcon(QIcon(scaled(*img, kThumb * 2)));
            else item->setText(featureText(from, i, 8));
            t->setItem(i, 2 + c, item);
        }
        t->setRowHeight(i, kThumb * 2 + 8);
    }
    t->resizeColumnsToContents();
    ownTabs_.push_back(t);
    tabs_->addTab(t, tr("Worst reconstructions"));
}

void EvaluationPanel::showSample(int index) {
    if (result_ && index >= 0 && index < current().samples) sampleView_->showSample(*result_, current(), index);
}

EvaluationPanel* openEvaluationPanel(QWidget* parent, const EvaluationRequest& request, const QString& title) {
    auto* panel = new EvaluationPanel(parent);
    panel->setWindowFlag(Qt::Window);
    panel->setAttribute(Qt::WA_DeleteOnClose);
    panel->evaluate(request, title);
    panel->show();
    panel->raise();
    return panel;
}

} // namespace strata::gui
