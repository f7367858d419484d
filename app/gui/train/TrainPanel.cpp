#include "app/gui/train/TrainPanel.h"
#include "app/gui/train/TrainPanelShared.h"
#include "app/gui/train/ColumnMappingTable.h"
#include "app/gui/train/TextColumnBox.h"
#include "app/gui/train/DataFit.h"

#include "app/gui/project/Document.h"
#include "app/gui/project/VersionWeights.h"
#include "app/gui/charts/MetricChart.h"

#include "engine/Model.h"
#include "engine/data/BuiltinDatasets.h"
#include "engine/data/CsvLoader.h"
#include "engine/ir/Optimizers.h"
#include "engine/train/FineTuning.h"
#include "gpu/DeviceInfo.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFileDialog>
#include <QFileInfo>
#include <QGridLayout>
#include <QLabel>
#include <QLineEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QSpinBox>
#include <QStyle>
#include <QThread>
#include <QTimer>

#include <algorithm>
#include <cmath>
#include <limits>
#include <tuple>

namespace strata::gui {

namespace {

using trainpanel::defaultLearningRate;
using trainpanel::kPickCsv;
using trainpanel::kPickImages;
using trainpanel::q;
using trainpanel::readsMomentum;
using trainpanel::readsNesterov;

QString percent(double v) { return QString::number(100.0 * v, 'f', 1) + "%"; }

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


TrainPanel::~TrainPanel() {
    poll_->stop();
    job_.reset(); // stops the run and joins its thread
    killDistributed(true);
}

void TrainPanel::setDataset(const QString& builtinName) {
    const int i = dataset_->findData(builtinName);
    if (i < 0 || builtinName == kPickCsv || builtinName == kPickImages) return;
    dataset_->setCurrentIndex(i);
    lastDataset_ = i;
}

void TrainPanel::setCsvFile(const QString& path) { addPickedDataset("csv:", path); }

void TrainPanel::setImageFolder(const QString& dir) { addPickedDataset("images:", dir); }

// A picked file or folder becomes a choice of its own, above the pick entries.
void TrainPanel::addPickedDataset(const QString& prefix, const QString& path) {
    const QFileInfo info(path);
    const QString key = prefix + info.absoluteFilePath();
    int i = dataset_->findData(key);
    if (i < 0) {
        i = dataset_->findData(kPickCsv);
        dataset_->insertItem(i, prefix == "images:" ? info.fileName() + "/" : info.fileName(), key);
        dataset_->setItemData(i, info.absoluteFilePath(), Qt::ToolTipRole);
    }
    dataset_->setCurrentIndex(i);
    lastDataset_ = i;
}

QString TrainPanel::dataset() const { return dataset_->currentData().toString(); }

void TrainPanel::refreshLabelColumns() {
    const QString d = dataset();
    label_->clear();
    const bool csv = d.startsWith("csv:");
    const bool mapped = showsColumnMapping();
    label_->setVisible(csv && !mapped);
    labelCaption_->setVisible(csv && !mapped);
    mapping_->setVisible(mapped);
    text_->setVisible(csv && !mapped);
    loss_->setEnabled(!mapped); // each output has its own loss in the mapping
    if (csv) {
        try {
            const data::CsvLayout layout = data::csvLayout(d.mid(4).toStdString());
            QStringList names;
            for (std::size_t c = 0; c < layout.columns.size(); ++c) {
                label_->addItem(q(layout.columns[c]), layout.hasHeader ? q(layout.columns[c]) : QString::number(c));
                names << q(layout.columns[c]);
            }
            label_->setCurrentIndex(label_->count() - 1);
            mapping_->setTableColumns(names, layout.hasHeader);
            text_->setTable(d.mid(4), names, layout.hasHeader);
        } catch (const std::exception& e) {
            setStatus(q(e.what()), true);
        }
    }
    refreshMappingProblem();
    refreshDataFit();
}

bool TrainPanel::showsColumnMapping() const {
    return dataset().startsWith("csv:") && (mapping_->inputCount() > 1 || mapping_->outputCount() > 1);
}

void TrainPanel::refreshColumnMapping() {
    const bool before = showsColumnMapping();
    mapping_->setModel(doc_->model()->state().spec);
    if (showsColumnMapping() != before) refreshLabelColumns();
    else refreshMappingProblem();
}

void TrainPanel::refreshMappingProblem() {
    const QString why = showsColumnMapping() ? mapping_->problem(dataset().mid(4)) : QString();
    mappingProblem_->setText(why);
    mappingProblem_->setVisible(!why.isEmpty());
}

void TrainPanel::refreshDataFit() {
    const QString key = dataset() + "\n" + csvLabel();
    if (!dataFacts_ || key != factsKey_) { // reading a table to count its classes: once per choice
        dataFacts_ = std::make_unique<DataFacts>(dataFactsOf(dataset(), csvLabel()));
        factsKey_ = key;
    }
    // A text column's ids are checked against the model when the run reads them (the sequence length).
    const DataFit fit = showsColumnMapping() || !text_->textColumn().empty() ? DataFit{} : checkDataFit(doc_->model()->state().spec, *dataFacts_, target() == "input");
    dataFit_->setText(fit.problem);
    dataFit_->setVisible(!fit.problem.isEmpty());
    fitModel_->setVisible(!fit.problem.isEmpty() && !fit.fix.empty());
    fitModel_->setEnabled(!isTraining());
}

QString TrainPanel::dataFitText() const { return dataFit_->text(); }

bool TrainPanel::fitModelToData() {
    if (isTraining() || !dataFacts_) return false;
    const DataFit fit = checkDataFit(doc_->model()->state().spec, *dataFacts_, target() == "input");
    if (fit.fix.empty()) return false;
    const QString why = doc_->editor()->setConfigs(fit.fix, tr("Fit the model to %1").arg(dataFacts_->name));
    if (!why.isEmpty()) setStatus(tr("Cannot fit the model: %1").arg(why), true);
    refreshDataFit();
    return why.isEmpty();
}

QString TrainPanel::mappingProblemText() const { return showsColumnMapping() ? mappingProblem_->text() : QString(); }

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
void TrainPanel::setMomentum(double momentum) { momentum_->setValue(momentum); }
void TrainPanel::setNesterov(bool on) { nesterov_->setChecked(on); }
bool TrainPanel::setTarget(const QString& target) { return selectByData(target_, target); }
QString TrainPanel::target() const { return target_->currentData().toString(); }
bool TrainPanel::setLoss(const QString& name) { return selectByData(loss_, name); }
QString TrainPanel::loss() const { return loss_->currentData().toString(); }
void TrainPanel::setSeed(int seed) { seed_->setValue(seed); }
void TrainPanel::setRecordInProject(bool on) { recordInProject_ = on; }
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
        if (const QString name = datasetForInput(n); !name.isEmpty() && !dataset().startsWith("csv:") && !dataset().startsWith("images:"))
            setDataset(name);
        break;
    }
    // A model that outputs as many values as it takes in (16 or more, not a softmax) is an
    // autoencoder: offer it its input.
    try {
        const auto model = Model::fromSpec(spec);
        const Shape in = model->outputShape(model->inputIndices()[0]).withoutFirst();
        const Shape out = model->outputShape(model->outputIndices()[0]).withoutFirst();
        const nlohmann::json& outConfig = model->layers()[std::size_t(model->outputIndices()[0])]->config();
        const bool softmax = outConfig.value("activation", std::string()) == "softmax";
        const bool same = in.isFullyKnown() && out.isFullyKnown() && in.numElements() == out.numElements() && in.numElements() >= 16;
        setTarget(same && !softmax ? "input" : "labels");
    } catch (const std::exception&) {
        // an invalid spec: the Issues panel says why; Train will too
    }
}

TrainSettings TrainPanel::settings() const {
    TrainSettings s;
    const QString d = dataset();
    if (d.startsWith("csv:")) {
        s.csvFile = d.mid(4).toStdString(), s.csvLabel = csvLabel().toStdString();
        s.textColumn = text_->textColumn();
        s.text = text_->options();
    }
    else s.dataset = d.toStdString();
    if (showsColumnMapping()) {
        s.csvLabel.clear();
        s.columns = mapping_->mapping();
    }
    s.reconstruct = target() == "input";
    s.device = device().toStdString();
    s.threads = std::clamp(QThread::idealThreadCount(), 1, 8);
    s.options.epochs = epochs_->value();
    s.options.batchSize = batch_->value();
    s.options.seed = uint64_t(seed_->value());
    s.options.maxSteps = maxSteps_;
    s.options.optimizer = ir::OptimizerConfig::defaults(optimizer_->currentText().toStdString());
    s.options.optimizer.learningRate = ir::LearningRateSchedule::constant(lr_->value());
    // Only what the optimizer reads: a disabled field keeps its value for switching back, not for the run.
    const QString optimizer = optimizer_->currentText();
    if (readsMomentum(optimizer)) s.options.optimizer.momentum = momentum_->value();
    if (readsNesterov(optimizer, momentum_->value())) s.options.optimizer.nesterov = nesterov_->isChecked();
    s.options.loss = loss().toStdString();
    if (showsColumnMapping()) s.options.outputLosses = mapping_->losses();
    s.options.fromLogits = fromLogits_->isChecked();
    s.fromScratch = fromScratch_->isChecked();
    if (doc_->store() && recordInProject_) {
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

void TrainPanel::refreshOptimizerFields() {
    const QString optimizer = optimizer_->currentText();
    const bool momentum = readsMomentum(optimizer), nesterov = readsNesterov(optimizer, momentum_->value());
    momentum_->setEnabled(momentum && !isTraining());
    nesterov_->setEnabled(nesterov && !isTraining());
    momentum_->setToolTip(momentum ? tr("Momentum: the share of the previous update carried into the next one (0: none; "
                                        "0.9 is usual). Read by SGD and RMSprop")
                                   : tr("Momentum is read by SGD and RMSprop; %1 keeps its own running mean of the "
                                        "gradients (beta 1)")
                                         .arg(optimizer));
    nesterov_->setToolTip(nesterov ? tr("Nesterov momentum: the gradient's step is taken from where momentum carries the "
                                        "weights, not from where they are (SGD)")
                                   : tr("Nesterov momentum is read by SGD with a momentum above 0"));
}

void TrainPanel::setFromLogits(bool on) { fromLogits_->setChecked(on); }
void TrainPanel::setFromScratch(bool on) { fromScratch_->setChecked(on); }
QString TrainPanel::lossWarningText() const { return lossWarning_->toolTip(); }

void TrainPanel::refreshLossWarning() {
    std::string why;
    try {
        why = train::lossOutputWarning(doc_->model()->state().spec, loss().toStdString(), fromLogits_->isChecked());
    } catch (const std::exception&) {
        // an invalid spec: the Issues panel says why
    }
    // One short line under the loss (the panel is narrow); the whole sentence in its tooltip.
    const QString brief = fromLogits_->isChecked() ? tr("⚠ The output already applies softmax or sigmoid: uncheck From logits")
                                                   : tr("⚠ The model outputs logits: check From logits");
    lossWarning_->setText(why.empty() ? QString() : brief);
    lossWarning_->setToolTip(why.empty() ? QString() : tr("Warning: %1").arg(q(why)));
    lossWarning_->setVisible(!why.empty());
}

void TrainPanel::setRunning(bool on) {
    for (QWidget* w : std::initializer_list<QWidget*>{dataset_, target_, device_, epochs_, batch_, optimizer_, loss_, lr_, seed_,
                                                      fromLogits_, fromScratch_, processes_})
        w->setEnabled(!on);
    hostfile_->setEnabled(!on && processes_->value() > 1);
    pickHostfile_->setEnabled(!on && processes_->value() > 1);
    refreshOptimizerFields(); // off while training, as the optimizer reads them after
    train_->setEnabled(!on);
    stop_->setEnabled(on);
}

void TrainPanel::train() {
    if (isTraining()) return;
    ensureDevices();
    // A mapping that cannot train is said here, before anything starts.
    if (const QString why = mappingProblemText(); !why.isEmpty()) {
        setStatus(tr("Cannot train: %1").arg(why), true);
        return;
    }
    if ((mapping_->inputCount() > 1 || mapping_->outputCount() > 1) && !dataset().startsWith("csv:")) {
        setStatus(tr("Cannot train: the model has %1 inputs and %2 outputs; choose a CSV file and map its columns to each")
                      .arg(mapping_->inputCount())
                      .arg(mapping_->outputCount()),
                  true);
        return;
    }
    if (processes_->value() > 1) return trainDistributed(); // mpirun -np N strata-cli train --distributed
    command_->setVisible(false);
    // Every run is recorded from its first step: a model never saved gets a project of its own in
    // the user's data folder, which Save adopts (Document::attachUnsavedRunsProject).
    QString unrecorded;
    if (recordInProject_ && !doc_->store()) {
        try {
            doc_->attachUnsavedRunsProject(Document::unsavedRunsPath(doc_->modelName()));
        } catch (const std::exception& e) {
            unrecorded = tr("This run is not recorded: %1").arg(QString::fromUtf8(e.what()));
        }
    }
    const TrainSettings s = settings();
    lossChart_->clearPoints();
    accuracyChart_->clearPoints();
    for (MetricChart* c : {lossChart_, accuracyChart_}) {
        c->setXSpan(0, s.options.epochs);
        c->fit(); // a new run: the axes follow its curves again, however the last one was zoomed
    }
    testAccuracy_.reset();
    failed_ = false;
    result_->clear();
    progress_->setRange(0, 1);
    progress_->setValue(0);
    progress_->setFormat(tr("starting"));
    const QString data = s.csvFile.empty() ? q(s.dataset) : QFileInfo(q(s.csvFile)).fileName();
    setStatus(unrecorded.isEmpty() ? tr("Loading %1 and preparing the model…").arg(data) : unrecorded, !unrecorded.isEmpty());
    // The run trains a copy: editing the model meanwhile does not touch it.
    job_ = std::make_unique<TrainJob>(doc_->model()->state().spec, s);
    setRunning(true);
    poll_->start();
    emit trainingStarted();
}

void TrainPanel::stop() {
    if (mpi_) return stopDistributed();
    if (!job_ || job_->stopRequested()) return;
    job_->stop();
    stop_->setEnabled(false);
    setStatus(tr("Stopping after the current step…"));
}

void TrainPanel::stopAndWait() {
    killDistributed(false);
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
            if (std::isfinite(e.accuracy)) accuracyChart_->append("accuracy", {double(e.epoch), e.accuracy});
            if (std::isfinite(e.valAccuracy)) accuracyChart_->append("val_accuracy", {double(e.epoch), e.valAccuracy});
            // A model with several outputs: each classification head's accuracy, train and validation.
            const QColor palette[] = {QColor(0x16, 0xa3, 0x4a), QColor(0x93, 0x33, 0xea), QColor(0xdb, 0x27, 0x77)};
            for (std::size_t k = 0; k < e.outputs.size(); ++k) {
                const QString name = q(e.outputs[k].name);
                for (const auto& [key, v, val] : {std::tuple{name + "_accuracy", e.outputs[k].accuracy, false},
                                                   std::tuple{"val_" + name + "_accuracy",
                                                              k < e.valOutputs.size() ? e.valOutputs[k].accuracy : train::kNoMetric, true}}) {
                    if (!std::isfinite(v)) continue;
                    if (!accuracyChart_->hasSeries(key))
                        accuracyChart_->addSeries(key, val ? tr("%1 validation").arg(name) : name, palette[k % 3].lighter(val ? 140 : 100),
                                                  MetricChart::Style::Markers, val);
                    accuracyChart_->append(key, {double(e.epoch), v});
                }
            }
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
    } else if (out.tested && !out.test.outputs.empty()) { // several outputs: each head's figure
        QStringList heads;
        for (const train::OutputMetrics& o : out.test.outputs)
            heads << (std::isfinite(o.accuracy) ? tr("%1 accuracy %2").arg(q(o.name), percent(o.accuracy))
                                                : tr("%1 MAE %2").arg(q(o.name)).arg(o.mae, 0, 'g', 3));
        result_->setText(tr("Test %1  ·  loss %2").arg(heads.join(tr(", "))).arg(out.test.loss, 0, 'f', 4));
        result_->setWordWrap(true);
        const auto first = std::find_if(out.test.outputs.begin(), out.test.outputs.end(),
                                        [](const train::OutputMetrics& o) { return std::isfinite(o.accuracy); });
        if (first != out.test.outputs.end()) testAccuracy_ = first->accuracy;
    } else if (out.tested) {
        result_->setText(tr("Test loss %1  (%2 samples)").arg(out.test.loss, 0, 'f', 4).arg(out.test.samples));
    }
    lastRecordedRun_ = out.runId;
    if (out.runId) emit runRecorded(out.runId, q(s.projectFile));
    emit statusMessage(result_->text().isEmpty() ? line.section('\n', 0, 0) : result_->text());
    emit trainingFinished(!fit.diverged);
}

} // namespace strata::gui
