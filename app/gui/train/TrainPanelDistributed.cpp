// TrainPanel, data-parallel: Processes > 1 runs `mpirun -np N strata-cli train --distributed` as a
// QProcess (its own process group, which Stop ends), follows rank 0's JSON lines and, when it
// ends, reports the run the project recorded (runRecorded: the Runs panel shows it).
#include "app/gui/train/TrainPanel.h"
#include "app/gui/train/DistributedLaunch.h"
#include "app/gui/train/TrainPanelShared.h"

#include "app/gui/charts/MetricChart.h"
#include "app/gui/project/Document.h"

#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QGridLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QProcess>
#include <QProgressBar>
#include <QPushButton>
#include <QSpinBox>
#include <QTemporaryDir>
#include <QTimer>

#include <nlohmann/json.hpp>

#include <cmath>
#include <fstream>

#include <signal.h>
#include <unistd.h>

namespace strata::gui {

using trainpanel::q;

void TrainPanel::addDistributedRows(QGridLayout* form, int& row) {
    processes_ = new QSpinBox;
    processes_->setObjectName("trainProcesses");
    processes_->setRange(1, 4096);
    processes_->setValue(1);
    processes_->setToolTip(tr("1: train in the app. More: data-parallel, `mpirun -np N strata-cli train --distributed` "
                              "on this machine or on the hosts of the hostfile; the run is recorded in the project"));
    hostfile_ = new QLineEdit;
    hostfile_->setObjectName("trainHostfile");
    hostfile_->setPlaceholderText(tr("this machine"));
    hostfile_->setToolTip(tr("An MPI hostfile (one line per host: `node1 slots=4`); empty: the processes run on this machine"));
    pickHostfile_ = new QPushButton(tr("Hostfile…"));
    pickHostfile_->setObjectName("trainPickHostfile");
    command_ = new QLabel;
    command_->setObjectName("trainCommand");
    command_->setWordWrap(true);
    command_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    command_->setStyleSheet("font-family: monospace; font-size: 8pt;");
    command_->setVisible(false);
    form->addWidget(new QLabel(tr("Processes")), row, 0);
    form->addWidget(processes_, row, 1);
    form->addWidget(pickHostfile_, row++, 2, 1, 2);
    form->addWidget(hostfile_, row++, 1, 1, 3);
    form->addWidget(command_, row++, 0, 1, 4);
    auto refresh = [this] { hostfile_->setEnabled(processes_->value() > 1 && !isTraining()), pickHostfile_->setEnabled(processes_->value() > 1 && !isTraining()); };
    connect(processes_, &QSpinBox::valueChanged, this, refresh);
    refresh();
    connect(pickHostfile_, &QPushButton::clicked, this, [this] {
        const QString path = QFileDialog::getOpenFileName(this, tr("MPI hostfile"), hostfile_->text());
        if (!path.isEmpty()) hostfile_->setText(path);
    });
}

void TrainPanel::setProcesses(int n) { processes_->setValue(n); }
int TrainPanel::processes() const { return processes_->value(); }
void TrainPanel::setHostfile(const QString& path) { hostfile_->setText(path); }
QString TrainPanel::hostfile() const { return hostfile_->text().trimmed(); }
QString TrainPanel::commandText() const { return command_->text(); }

void TrainPanel::trainDistributed() {
    auto refuse = [this](const QString& why) {
        failed_ = true;
        setStatus(tr("Cannot train: %1").arg(why), true);
        emit statusMessage(tr("Training failed: %1").arg(why));
    };
    if (!recordInProject_) return refuse(tr("a distributed run is recorded in the project; turn recording on"));
    if (!doc_->store()) {
        try {
            doc_->attachUnsavedRunsProject(Document::unsavedRunsPath(doc_->modelName()));
        } catch (const std::exception& e) {
            return refuse(tr("a distributed run is recorded in a project: %1").arg(QString::fromUtf8(e.what())));
        }
    }
    const TrainSettings s = settings();
    const int n = processes_->value();
    // The ranks read the model as a spec file: a copy of the document's, as Train took it. On the
    // hosts of a hostfile, beside the project (a shared folder, as a cluster's projects are);
    // otherwise in the temporary folder.
    const QString base = hostfile().isEmpty() ? QDir::tempPath() : QFileInfo(q(s.projectFile)).absolutePath();
    QTemporaryDir dir(QDir(base).filePath(".strata-mpi-XXXXXX"));
    if (!dir.isValid()) return refuse(tr("cannot make a temporary folder: %1").arg(dir.errorString()));
    const QString specFile = dir.filePath("model.json");
    {
        std::ofstream f(specFile.toStdString());
        f << doc_->model()->state().spec.toJson().dump(2) << "\n";
        if (!f) return refuse(tr("cannot write %1").arg(specFile));
    }
    const DistributedCommand c = distributedCommand(s, specFile, n, hostfile());
    if (!c.error.isEmpty()) return refuse(c.error);
    dir.setAutoRemove(false); // removed when the run ends
    mpiDir_ = dir.path();
    mpiProject_ = q(s.projectFile);
    mpiErr_.clear(), mpiOut_.clear();
    mpiRun_ = 0, mpiEpochs_ = s.options.epochs, mpiRanks_ = n;
    mpiStopped_ = false;
    command_->setText(c.display());
    command_->setToolTip(c.display());
    command_->setVisible(true);

    lossChart_->clearPoints();
    accuracyChart_->clearPoints();
    for (MetricChart* ch : {lossChart_, accuracyChart_}) {
        ch->setXSpan(0, s.options.epochs);
        ch->fit();
    }
    testAccuracy_.reset();
    failed_ = false;
    result_->clear();
    progress_->setRange(0, s.options.epochs);
    progress_->setValue(0);
    progress_->setFormat(tr("starting %1 processes").arg(n));
    setStatus(tr("Starting %1 processes with mpirun%2…").arg(n).arg(hostfile().isEmpty() ? tr(" on this machine") : tr(" on the hosts of %1").arg(QFileInfo(hostfile()).fileName())));

    mpi_ = new QProcess(this);
    mpi_->setProgram(c.program);
    mpi_->setArguments(c.arguments);
    mpi_->setProcessEnvironment(c.environment);
    mpi_->setWorkingDirectory(mpiDir_);
    mpi_->setChildProcessModifier([] { ::setpgid(0, 0); }); // its own group: Stop ends mpirun and its ranks
    connect(mpi_, &QProcess::readyReadStandardOutput, this, &TrainPanel::readDistributedOutput);
    connect(mpi_, &QProcess::readyReadStandardError, this, &TrainPanel::readDistributedOutput);
    connect(mpi_, &QProcess::finished, this, [this](int code, QProcess::ExitStatus st) { finishDistributed(code, st == QProcess::CrashExit); });
    connect(mpi_, &QProcess::errorOccurred, this, [this](QProcess::ProcessError e) {
        if (e == QProcess::FailedToStart) finishDistributed(-1, true);
    });
    setRunning(true);
    mpi_->start();
    emit trainingStarted();
}

void TrainPanel::readDistributedOutput() {
    if (!mpi_) return;
    mpiErr_ += QString::fromUtf8(mpi_->readAllStandardError());
    if (!mpiRun_) { // rank 0's "recording run N ..." line, once whole
        for (const QString& line : mpiErr_.left(int(mpiErr_.lastIndexOf('\n')) + 1).split('\n')) {
            if (const qint64 run = parseRecordingLine(line)) {
                mpiRun_ = run;
                setStatus(tr("Training %1 on %2 processes (%3)\n%4")
                              .arg(q(doc_->modelName()))
                              .arg(mpiRanks_)
                              .arg(hostfile().isEmpty() ? tr("this machine") : QFileInfo(hostfile()).fileName(), line.trimmed()));
                emit runStarted(run, mpiProject_);
                break;
            }
        }
    }
    mpiOut_ += mpi_->readAllStandardOutput();
    for (int nl; (nl = int(mpiOut_.indexOf('\n'))) >= 0;) {
        const QByteArray line = mpiOut_.left(nl).trimmed();
        mpiOut_.remove(0, nl + 1);
        if (const auto e = parseEpochLine(line)) {
            lossChart_->append("loss", {double(e->epoch), e->loss});
            if (std::isfinite(e->valLoss)) lossChart_->append("val_loss", {double(e->epoch), e->valLoss});
            if (std::isfinite(e->accuracy)) accuracyChart_->append("accuracy", {double(e->epoch), e->accuracy});
            if (std::isfinite(e->valAccuracy)) accuracyChart_->append("val_accuracy", {double(e->epoch), e->valAccuracy});
            progress_->setValue(e->epoch);
            progress_->setFormat(tr("epoch %1/%2 · loss %3").arg(e->epoch).arg(mpiEpochs_).arg(e->loss, 0, 'f', 4));
            emit epochFinished(e->epoch);
            continue;
        }
        const auto j = nlohmann::json::parse(line.constData(), line.constData() + line.size(), nullptr, false);
        if (j.is_object() && j.contains("test_loss") && j["test_loss"].is_number()) {
            const double loss = j["test_loss"].get<double>();
            const auto acc = j.find("test_accuracy");
            if (acc != j.end() && acc->is_number()) {
                testAccuracy_ = acc->get<double>();
                result_->setText(tr("Test accuracy %1%  ·  loss %2").arg(100.0 * *testAccuracy_, 0, 'f', 1).arg(loss, 0, 'f', 4));
            } else {
                result_->setText(tr("Test loss %1").arg(loss, 0, 'f', 4));
            }
        }
    }
}

namespace {
// What a failed run's output says: the ranks' own lines ("strata-cli: rank 1, ...: why") and
// mpirun's word on a rank that died, without its banners and internal logs; else its last lines.
QString failureText(const QString& err) {
    QStringList said, last;
    for (const QString& raw : err.split('\n')) {
        const QString line = raw.trimmed();
        if (line.isEmpty() || line.startsWith("---") || line.startsWith("***") || line.contains("ORTE_ERROR_LOG")) continue;
        last << line;
        if (line.startsWith("strata-cli") || line.contains("exited on signal") || line.contains("mpirun noticed")) said << line;
    }
    while (last.size() > 8) last.removeFirst();
    while (said.size() > 8) said.removeLast();
    return (said.isEmpty() ? last : said).join('\n');
}
} // namespace

void TrainPanel::finishDistributed(int exitCode, bool crashed) {
    if (!mpi_) return;
    readDistributedOutput();
    QProcess* p = std::exchange(mpi_, nullptr);
    const QString startError = p->error() == QProcess::FailedToStart ? p->errorString() : QString();
    p->disconnect(this);
    p->deleteLater();
    QDir(mpiDir_).removeRecursively();
    mpiDir_.clear();
    setRunning(false);
    const bool ok = !crashed && exitCode == 0; // stopped on request too: the run is recorded as stopped
    if (!ok) {
        failed_ = true;
        progress_->setFormat(mpiStopped_ ? tr("stopped") : tr("failed"));
        QString why = mpiStopped_ ? tr("stopped: mpirun and its processes were ended")
                      : !startError.isEmpty() ? tr("mpirun did not start: %1").arg(startError)
                                              : failureText(mpiErr_);
        if (why.isEmpty()) why = tr("mpirun exited with status %1").arg(exitCode);
        setStatus(mpiStopped_ ? tr("Stopped: %1").arg(why) : tr("Cannot train: %1").arg(why), !mpiStopped_);
        emit statusMessage(tr("Training failed: %1").arg(why.section('\n', 0, 0)));
        emit trainingFinished(false);
        return;
    }
    progress_->setFormat(mpiStopped_ ? tr("stopped") : tr("done"));
    const int epochs = lossChart_->pointCount("loss");
    const QString done = epochs == 1 ? tr("1 epoch") : tr("%1 epochs").arg(epochs);
    QString line = mpiStopped_ ? tr("Stopped on request after %1 on %2 processes (data-parallel)").arg(done).arg(mpiRanks_)
                               : tr("Completed %1 on %2 processes (data-parallel)").arg(done).arg(mpiRanks_);
    if (mpiRun_) line += "\n" + tr("Recorded as run %1 in %2, with its weights as a checkpoint").arg(mpiRun_).arg(QFileInfo(mpiProject_).fileName());
    setStatus(line);
    lastRecordedRun_ = mpiRun_;
    if (mpiRun_) emit runRecorded(mpiRun_, mpiProject_);
    emit statusMessage(result_->text().isEmpty() ? line.section('\n', 0, 0) : result_->text());
    emit trainingFinished(true);
}

// Ctrl+C to the local ranks: each stops after its step (the request travels with the gradients,
// so every rank stops at the same one), the test split is evaluated and rank 0 records the run as
// stopped. No local rank (every one on other hosts): mpirun's group is ended. What is still running
// 20 s later is killed.
void TrainPanel::stopDistributed() {
    if (!mpi_ || mpiStopped_) return;
    mpiStopped_ = true;
    stop_->setEnabled(false);
    const qint64 pid = mpi_->processId();
    const QList<qint64> ranks = pid > 0 ? childProcesses(pid) : QList<qint64>{};
    for (const qint64 r : ranks) ::kill(pid_t(r), SIGINT);
    if (ranks.isEmpty() && pid > 0) ::kill(-pid_t(pid), SIGTERM);
    setStatus(ranks.isEmpty() ? tr("Stopping mpirun and its processes…") : tr("Stopping after the current step…"));
    QTimer::singleShot(20000, mpi_, [this, pid] {
        if (mpi_ && mpi_->processId() == pid) ::kill(-pid_t(pid), SIGKILL);
    });
}

void TrainPanel::killDistributed(bool quietly) {
    if (!mpi_) return;
    mpiStopped_ = true;
    if (quietly) mpi_->disconnect(this); // the panel is going: no signals
    if (const qint64 pid = mpi_->processId(); pid > 0) ::kill(-pid_t(pid), SIGKILL);
    mpi_->waitForFinished(5000);
    if (mpi_ && !quietly) finishDistributed(-1, true);
    if (quietly) {
        delete std::exchange(mpi_, nullptr);
        QDir(mpiDir_).removeRecursively();
    }
}

} // namespace strata::gui
