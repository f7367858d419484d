#include "app/gui/train/TrainPanel.h"

#include "app/gui/project/Document.h"
#include "app/gui/project/VersionWeights.h"
#include "app/gui/train/CurveChart.h"

#include "engine/data/BuiltinDatasets.h"
#include "engine/data/CsvLoader.h"
#include "engine/ir/Optimizers.h"
#include "gpu/DeviceInfo.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFileDialog>
#include <QFileInfo>
#include <QGridLayout>
#include <QLabel>
#include <QProgressBar>
#include <QPushButton>
#include <QSpinBox>
#include <QStyle>
#include <QThread>
#include <QTimer>

#include <algorithm>
#include <cmath>
#include <limits>

namespace strata::gui {

namespace {

constexpr int kPollMs = 40;
const QString kPickCsv = QStringLiteral("pick-csv");
const QColor kTrainColor(0x25, 0x63, 0xeb), kValColor(0xf5, 0x9e, 0x0b), kStepColor(0x60, 0xa5, 0xfa);

QString q(const std::string& s) { return QString::fromStdString(s); }

QString percent(double v) { return QString::number(100.0 * v, 'f', 1) + "%"; }

double defaultLearningRate(const std::string& optimizer) {
    const nlohmann::json j = ir::OptimizerConfig::defaults(optimizer).toJson();
    const auto lr = j.find("learning_rate");
    return lr != j.end() && lr->is_number() ? lr->get<double>() : 1e-3;
}

// The built-in dataset whose samples fit an input of `elements` values, if one does.
QString datasetForInput(int64_t elements) {
    switch (elements) {
    case 64: return "digits";
    case 4: return "iris";
    case 13: return "wine";
    case 784: return "fashion-mnist";
    default: return {};
    }
}

} // namespace

TrainPanel::TrainPanel(Document* doc, QWidget* parent) : QWidget(parent), doc_(doc) {
    dataset_ = new QComboBox;
    dataset_->setObjectName("trainDataset");
    for (const auto& d : data::listBuiltinDatasets()) {
        if (d.name.find(':') != std::string::npos) continue; // mnist:DIR needs a folder
        dataset_->addItem(q(d.name), q(d.name));
        dataset_->setItemData(dataset_->count() - 1, q(d.description), Qt::ToolTipRole);
    }
    dataset_->addItem(tr("CSV file…"), kPickCsv);
    dataset_->setItemData(dataset_->count() - 1,
                          tr("A table of numbers, one sample per row, with a column of class labels (names or 0, 1, …; "
                             "chosen under Label); split 70/10/20 into train, validation and test, features standardized"),
                          Qt::ToolTipRole);
    label_ = new QComboBox;
    label_->setObjectName("trainLabel");
    label_->setToolTip(tr("The CSV column that holds the class of each row; the other columns are the features"));
    labelCaption_ = new QLabel(tr("Label"));
    device_ = new QComboBox;
    device_->setObjectName("trainDevice");
    device_->addItem(tr("CPU"), "cpu");
    epochs_ = new QSpinBox;
    epochs_->setObjectName("trainEpochs");
    epochs_->setRange(1, 100000);
    epochs_->setValue(10);
    batch_ = new QSpinBox;
    batch_->setObjectName("trainBatch");
    batch_->setRange(1, 1 << 16);
    batch_->setValue(32);
    optimizer_ = new QComboBox;
    optimizer_->setObjectName("trainOptimizer");
    optimizer_->addItems({"sgd", "adam", "adamw", "rmsprop"});
    optimizer_->setCurrentText("adam");
    loss_ = new QComboBox;
    loss_->setObjectName("trainLoss");
    for (const char* name : {"sparse_categorical_crossentropy", "categorical_crossentropy", "binary_crossentropy", "mean_squared_error",
                             "mean_absolute_error"})
        loss_->addItem(QString(name).replace('_', ' '), QString(name));
    loss_->setToolTip(tr("The loss to minimize: class labels take sparse categorical cross-entropy (as Keras), or "
                         "categorical cross-entropy on one-hot labels; binary cross-entropy for one sigmoid unit"));
    lr_ = new QDoubleSpinBox;
    lr_->setObjectName("trainLearningRate");
    lr_->setDecimals(5);
    lr_->setRange(1e-5, 10);
    lr_->setStepType(QAbstractSpinBox::AdaptiveDecimalStepType);
    lr_->setValue(defaultLearningRate("adam"));
    lr_->setToolTip(tr("Learning rate (choosing an optimizer sets its Keras default)"));
    seed_ = new QSpinBox;
    seed_->setObjectName("trainSeed");
    seed_->setRange(0, std::numeric_limits<int>::max());
    seed_->setToolTip(tr("Initial weights, data order and dropout"));
    record_ = new QCheckBox(tr("Record in project"));
    record_->setObjectName("trainRecord");
    record_->setChecked(true);
    record_->setToolTip(tr("Store the run, its metrics and a checkpoint per epoch in the project file"));
    train_ = new QPushButton(style()->standardIcon(QStyle::SP_MediaPlay), tr("Train"));
    train_->setObjectName("trainButton");
    stop_ = new QPushButton(style()->standardIcon(QStyle::SP_MediaStop), tr("Stop"));
    stop_->setObjectName("stopButton");
    stop_->setEnabled(false);
    progress_ = new QProgressBar;
    progress_->setObjectName("trainProgress");
    progress_->setRange(0, 1);
    progress_->setValue(0);
    progress_->setFormat(tr("idle"));
    status_ = new QLabel(tr("Pick a dataset and press Train."));
    status_->setObjectName("trainStatus");
    status_->setWordWrap(true);
    status_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    result_ = new QLabel;
    result_->setObjectName("trainResult");
    QFont big = result_->font();
    big.setBold(true);
    big.setPointSizeF(big.pointSizeF() * 1.25);
    result_->setFont(big);

    auto* form = new QGridLayout;
    form->setContentsMargins(0, 0, 0, 0);
    form->setVerticalSpacing(4);
    int row = 0;
    auto label = [](const QString& t) { return new QLabel(t); };
    form->addWidget(label(tr("Dataset")), row, 0);
    form->addWidget(dataset_, row++, 1, 1, 3);
    form->addWidget(labelCaption_, row, 0);
    form->addWidget(label_, row++, 1, 1, 3);
    form->addWidget(label(tr("Device")), row, 0);
    form->addWidget(device_, row++, 1, 1, 3);
    form->addWidget(label(tr("Epochs")), row, 0);
    form->addWidget(epochs_, row, 1);
    form->addWidget(label(tr("Batch")), row, 2);
    form->addWidget(batch_, row++, 3);
    form->addWidget(label(tr("Optimizer")), row, 0);
    form->addWidget(optimizer_, row, 1);
    form->addWidget(label(tr("LR")), row, 2);
    form->addWidget(lr_, row++, 3);
    form->addWidget(label(tr("Loss")), row, 0);
    form->addWidget(loss_, row++, 1, 1, 3);
    form->addWidget(label(tr("Seed")), row, 0);
    form->addWidget(seed_, row, 1);
    form->addWidget(record_, row++, 2, 1, 2);
    auto* buttons = new QHBoxLayout;
    buttons->addWidget(train_);
    buttons->addWidget(stop_);
    form->addLayout(buttons, row++, 0, 1, 4);
    form->addWidget(progress_, row++, 0, 1, 4);
    form->addWidget(status_, row++, 0, 1, 4);
    form->addWidget(result_, row++, 0, 1, 4);
    form->setRowStretch(row, 1);
    form->setColumnStretch(1, 1);
    form->setColumnStretch(3, 1);
    auto* settings = new QWidget;
    settings->setLayout(form);
    settings->setFixedWidth(300);

    lossChart_ = new CurveChart(tr("Loss"), tr("epoch"), tr("loss"));
    lossChart_->setObjectName("lossChart");
    lossChart_->addSeries("step", tr("step loss"), kStepColor, CurveChart::Style::Thin);
    lossChart_->addSeries("loss", tr("train"), kTrainColor, CurveChart::Style::Markers);
    lossChart_->addSeries("val_loss", tr("validation"), kValColor, CurveChart::Style::Markers);
    accuracyChart_ = new CurveChart(tr("Accuracy"), tr("epoch"), tr("accuracy"));
    accuracyChart_->setObjectName("accuracyChart");
    accuracyChart_->addSeries("accuracy", tr("train"), kTrainColor, CurveChart::Style::Markers);
    accuracyChart_->addSeries("val_accuracy", tr("validation"), kValColor, CurveChart::Style::Markers);
    accuracyChart_->setYRange(std::pair{0.0, 1.0});
    for (CurveChart* c : {lossChart_, accuracyChart_}) c->setXSpan(0, epochs_->value());

    auto* layout = new QHBoxLayout(this);
    layout->setContentsMargins(6, 6, 6, 6);
    layout->addWidget(settings);
    layout->addWidget(lossChart_, 1);
    layout->addWidget(accuracyChart_, 1);

    poll_ = new QTimer(this);
    poll_->setInterval(kPollMs);
    connect(poll_, &QTimer::timeout, this, &TrainPanel::poll);
    connect(train_, &QPushButton::clicked, this, &TrainPanel::train);
    connect(stop_, &QPushButton::clicked, this, &TrainPanel::stop);
    connect(optimizer_, &QComboBox::currentTextChanged, this,
            [this](const QString& name) { lr_->setValue(defaultLearningRate(name.toStdString())); });
    connect(epochs_, &QSpinBox::valueChanged, this, [this](int n) {
        if (isTraining()) return;
        for (CurveChart* c : {lossChart_, accuracyChart_}) c->setXSpan(0, n);
    });
    connect(dataset_, &QComboBox::activated, this, [this](int i) {
        if (dataset_->itemData(i).toString() != kPickCsv) {
            lastDataset_ = i;
            return;
        }
        dataset_->setCurrentIndex(lastDataset_);
        const QString path = QFileDialog::getOpenFileName(this, tr("Train on a CSV file"), QString(),
                                                          tr("CSV tables (*.csv *.csv.gz *.txt);;All files (*)"));
        if (!path.isEmpty()) setCsvFile(path);
    });
    connect(dataset_, &QComboBox::currentIndexChanged, this, &TrainPanel::refreshLabelColumns);
    refreshLabelColumns();
    auto documentChanged = [this] {
        suggestDataset();
        if (!isTraining()) record_->setEnabled(doc_->store() != nullptr);
    };
    connect(doc_, &Document::titleChanged, this, documentChanged);
    documentChanged();
}

TrainPanel::~TrainPanel() {
    poll_->stop();
    job_.reset(); // stops the run and joins its thread
}

void TrainPanel::setDataset(const QString& builtinName) {
    const int i = dataset_->findData(builtinName);
    if (i < 0 || builtinName == kPickCsv) return;
    dataset_->setCurrentIndex(i);
    lastDataset_ = i;
}

void TrainPanel::setCsvFile(const QString& path) {
    const QString key = "csv:" + QFileInfo(path).absoluteFilePath();
    int i = dataset_->findData(key);
    if (i < 0) {
        i = dataset_->findData(kPickCsv);
        dataset_->insertItem(i, QFileInfo(path).fileName(), key);
        dataset_->setItemData(i, QFileInfo(path).absoluteFilePath(), Qt::ToolTipRole);
    }
    dataset_->setCurrentIndex(i);
    lastDataset_ = i;
}

QString TrainPanel::dataset() const { return dataset_->currentData().toString(); }

void TrainPanel::refreshLabelColumns() {
    const QString d = dataset();
    label_->clear();
    const bool csv = d.startsWith("csv:");
    label_->setVisible(csv);
    labelCaption_->setVisible(csv);
    if (!csv) return;
    try {
        const data::CsvLayout layout = data::csvLayout(d.mid(4).toStdString());
        for (std::size_t c = 0; c < layout.columns.size(); ++c)
            label_->addItem(q(layout.columns[c]), layout.hasHeader ? q(layout.columns[c]) : QString::number(c));
        label_->setCurrentIndex(label_->count() - 1);
    } catch (const std::exception& e) {
        setStatus(q(e.what()), true);
    }
}

bool TrainPanel::setCsvLabel(const QString& column) {
    const int i = label_->findText(column);
    if (i < 0) return false;
    label_->setCurrentIndex(i);
    return true;
}

QString TrainPanel::csvLabel() const { return dataset().startsWith("csv:") ? label_->currentData().toString() : QString(); }

void TrainPanel::ensureDevices() {
    if (devicesListed_) return;
    devicesListed_ = true;
    const gpu::DeviceList list = gpu::listVulkanDevices();
    for (const auto& d : list.devices) {
        device_->addItem(tr("Vulkan: %1").arg(q(d.name)), QString("vulkan:%1").arg(d.index));
        device_->setItemData(device_->count() - 1, q(d.summary()), Qt::ToolTipRole);
    }
    device_->setToolTip(list.devices.empty() ? tr("Vulkan is not available: %1").arg(q(list.error))
                                             : tr("The CPU backend, or a Vulkan device"));
    // As the CLI chooses by default: a real GPU when there is one, else the CPU.
    if (const int best = gpu::chooseDevice(list.devices, false); best >= 0)
        setDevice(QString("vulkan:%1").arg(list.devices[std::size_t(best)].index));
}

QStringList TrainPanel::devices() {
    ensureDevices();
    QStringList out;
    for (int i = 0; i < device_->count(); ++i) out << device_->itemData(i).toString();
    return out;
}

namespace {
// Selects the item whose data is `value`; false (selection unchanged) when there is none.
bool selectByData(QComboBox* box, const QString& value) {
    const int i = box->findData(value);
    if (i >= 0) box->setCurrentIndex(i);
    return i >= 0;
}
} // namespace

bool TrainPanel::setDevice(const QString& id) {
    ensureDevices();
    return selectByData(device_, id);
}

QString TrainPanel::device() const { return device_->currentData().toString(); }
void TrainPanel::setEpochs(int n) { epochs_->setValue(n); }
void TrainPanel::setBatchSize(int n) { batch_->setValue(n); }
void TrainPanel::setOptimizer(const QString& name) { optimizer_->setCurrentText(name); }
void TrainPanel::setLearningRate(double lr) { lr_->setValue(lr); }
bool TrainPanel::setLoss(const QString& name) { return selectByData(loss_, name); }
QString TrainPanel::loss() const { return loss_->currentData().toString(); }
void TrainPanel::setSeed(int seed) { seed_->setValue(seed); }
void TrainPanel::setRecordInProject(bool on) { record_->setChecked(on); }
QString TrainPanel::statusText() const { return status_->text(); }
QString TrainPanel::resultText() const { return result_->text(); }

void TrainPanel::showEvent(QShowEvent* e) {
    QWidget::showEvent(e);
    // Listing Vulkan devices starts a Vulkan instance: only once the panel is seen.
    QTimer::singleShot(0, this, &TrainPanel::ensureDevices);
}

void TrainPanel::suggestDataset() {
    const ModelSpec& spec = doc_->model()->state().spec;
    if (isTraining() || spec.name == suggestedFor_) return;
    suggestedFor_ = spec.name;
    for (const LayerSpec& l : spec.layers) {
        if (l.type != "Input" || (!spec.inputs.empty() && l.name != spec.inputs[0])) continue;
        int64_t n = 1;
        const auto shape = l.config.find("shape");
        if (shape == l.config.end() || !shape->is_array()) return;
        for (const auto& d : *shape) n = d.is_number_integer() ? n * d.get<int64_t>() : -1;
        if (const QString name = datasetForInput(n); !name.isEmpty() && !dataset().startsWith("csv:")) setDataset(name);
        return;
    }
}

TrainSettings TrainPanel::settings() const {
    TrainSettings s;
    const QString d = dataset();
    if (d.startsWith("csv:")) s.csvFile = d.mid(4).toStdString(), s.csvLabel = csvLabel().toStdString();
    else s.dataset = d.toStdString();
    s.device = device().toStdString();
    s.threads = std::clamp(QThread::idealThreadCount(), 1, 8);
    s.options.epochs = epochs_->value();
    s.options.batchSize = batch_->value();
    s.options.seed = uint64_t(seed_->value());
    s.options.maxSteps = maxSteps_;
    s.options.optimizer = ir::OptimizerConfig::defaults(optimizer_->currentText().toStdString());
    s.options.optimizer.learningRate = ir::LearningRateSchedule::constant(lr_->value());
    s.options.loss = loss().toStdString();
    if (doc_->store() && record_->isChecked()) {
        s.projectFile = doc_->filePath().toStdString();
        s.modelName = doc_->modelName();
        s.layout = doc_->layout();
    }
    return s;
}

void TrainPanel::setStatus(const QString& text, bool error) {
    status_->setText(text);
    status_->setStyleSheet(error ? "color: #e5484d;" : QString());
}

void TrainPanel::setRunning(bool on) {
    for (QWidget* w : std::initializer_list<QWidget*>{dataset_, device_, epochs_, batch_, optimizer_, loss_, lr_, seed_, record_})
        w->setEnabled(!on);
    record_->setEnabled(!on && doc_->store());
    train_->setEnabled(!on);
    stop_->setEnabled(on);
}

void TrainPanel::train() {
    if (job_) return;
    ensureDevices();
    const TrainSettings s = settings();
    lossChart_->clearPoints();
    accuracyChart_->clearPoints();
    for (CurveChart* c : {lossChart_, accuracyChart_}) c->setXSpan(0, s.options.epochs);
    testAccuracy_.reset();
    failed_ = false;
    result_->clear();
    progress_->setRange(0, 1);
    progress_->setValue(0);
    progress_->setFormat(tr("starting"));
    const QString data = s.csvFile.empty() ? q(s.dataset) : QFileInfo(q(s.csvFile)).fileName();
    setStatus(tr("Loading %1 and preparing the model…").arg(data));
    // The run trains a copy: editing the model meanwhile does not touch it.
    job_ = std::make_unique<TrainJob>(doc_->model()->state().spec, s);
    setRunning(true);
    poll_->start();
    emit trainingStarted();
}

void TrainPanel::stop() {
    if (!job_ || job_->stopRequested()) return;
    job_->stop();
    stop_->setEnabled(false);
    setStatus(tr("Stopping after the current step…"));
}

void TrainPanel::stopAndWait() {
    if (!job_) return;
    job_->stop();
    job_->wait();
    poll();
}

void TrainPanel::poll() {
    if (!job_) return;
    const int epochs = job_->settings().options.epochs;
    bool finished = false;
    const train::StepEvent* last = nullptr;
    std::vector<TrainUpdate> updates = job_->takeUpdates();
    for (const TrainUpdate& u : updates) {
        switch (u.kind) {
        case TrainUpdate::Kind::Started: {
            QString line = tr("Training %1 on %2 (%3)")
                               .arg(q(doc_->modelName()), q(job_->outcome().datasetName), q(job_->outcome().backend));
            if (!u.text.empty()) line += "\n" + q(u.text);
            setStatus(line);
            if (const int64_t run = job_->outcome().runId) emit runStarted(run, q(job_->settings().projectFile));
            break;
        }
        case TrainUpdate::Kind::Step: {
            const auto& e = u.step;
            const double x = (e.epoch - 1) + double(e.batch) / double(std::max<int64_t>(e.batchesPerEpoch, 1));
            lossChart_->append("step", {x, e.loss});
            last = &u.step;
            break;
        }
        case TrainUpdate::Kind::Epoch: {
            const auto& e = u.epoch;
            lossChart_->append("loss", {double(e.epoch), e.loss});
            lossChart_->append("val_loss", {double(e.epoch), e.valLoss});
            accuracyChart_->append("accuracy", {double(e.epoch), e.accuracy});
            accuracyChart_->append("val_accuracy", {double(e.epoch), e.valAccuracy});
            emit epochFinished(e.epoch);
            break;
        }
        case TrainUpdate::Kind::Finished: finished = true; break;
        }
    }
    if (last) {
        progress_->setRange(0, int(std::min<int64_t>(last->batchesPerEpoch, 1 << 30)));
        progress_->setValue(int(last->batch));
        progress_->setFormat(tr("epoch %1/%2 · step %v/%m · loss %3").arg(last->epoch).arg(epochs).arg(last->loss, 0, 'f', 4));
    }
    if (finished) finish();
}

const std::map<std::string, Tensor>* TrainPanel::trainedWeights(const ModelSpec& spec) const {
    return !trainedWeights_.empty() && spec.toJson() == trainedSpec_ ? &trainedWeights_ : nullptr;
}

void TrainPanel::adoptWeights(const ModelSpec& spec, std::map<std::string, Tensor> weights, const QString& storedIn,
                              int64_t versionId) {
    trainedSpec_ = spec.toJson();
    trainedWeights_ = std::move(weights);
    setWeightsStoredIn(storedIn, versionId);
}

bool TrainPanel::weightsStoredIn(const QString& file, int64_t versionId) const {
    return !trainedWeights_.empty() && versionId != 0 && weightsVersion_ == versionId && !file.isEmpty() &&
           QFileInfo(weightsFile_) == QFileInfo(file);
}

void TrainPanel::finish() {
    poll_->stop();
    job_->wait();
    const TrainOutcome out = job_->outcome();
    const TrainSettings s = job_->settings();
    if (out.error.empty()) {
        trainedSpec_ = job_->spec().toJson(), trainedWeights_ = out.weights;
        setWeightsStoredIn({}, 0);
        if (out.runId != 0) { // a recorded run: its checkpoints hold them, under the version it trained
            try {
                const QString file = QString::fromStdString(s.projectFile);
                setWeightsStoredIn(file, versionOfRun(file, out.runId));
            } catch (const std::exception&) { // unreadable now: saving the version stores them again
            }
        }
    }
    job_.reset();
    setRunning(false);
    progress_->setFormat(tr("done"));
    if (!out.error.empty()) {
        failed_ = true;
        progress_->setFormat(tr("failed"));
        setStatus(tr("Cannot train: %1").arg(q(out.error)), true);
        emit statusMessage(tr("Training failed: %1").arg(q(out.error)));
        emit trainingFinished(false);
        return;
    }
    const auto& fit = out.fit;
    const int epochs = int(fit.epochs.size());
    const QString done = epochs == 1 ? tr("1 epoch") : tr("%1 epochs").arg(epochs);
    QString line = fit.diverged ? tr("Stopped: %1").arg(q(fit.message))
                   : fit.stopped ? tr("Stopped after %1 and %2 steps on %3 (%4)").arg(done).arg(fit.steps).arg(q(out.backend), q(fit.message))
                                 : tr("Completed %1, %2 steps, in %3 s on %4")
                                       .arg(done)
                                       .arg(fit.steps)
                                       .arg(out.seconds, 0, 'f', out.seconds < 10 ? 2 : 1)
                                       .arg(q(out.backend));
    if (out.runId) {
        line += "\n" + tr("Recorded as run %1 in %2, with its weights as a checkpoint")
                           .arg(out.runId)
                           .arg(QFileInfo(q(s.projectFile)).fileName());
    } else if (!doc_->store()) {
        line += "\n" + tr("Save the model in a project to keep runs and trained weights");
    }
    failed_ = fit.diverged;
    setStatus(line, fit.diverged);
    if (out.tested && std::isfinite(out.test.accuracy)) {
        testAccuracy_ = out.test.accuracy;
        result_->setText(tr("Test accuracy %1  ·  loss %2  (%3 samples)")
                             .arg(percent(out.test.accuracy))
                             .arg(out.test.loss, 0, 'f', 4)
                             .arg(out.test.samples));
    } else if (out.tested) {
        result_->setText(tr("Test loss %1  (%2 samples)").arg(out.test.loss, 0, 'f', 4).arg(out.test.samples));
    }
    if (out.runId) emit runRecorded(out.runId, q(s.projectFile));
    emit statusMessage(result_->text().isEmpty() ? line.section('\n', 0, 0) : result_->text());
    emit trainingFinished(!fit.diverged);
}

} // namespace strata::gui
