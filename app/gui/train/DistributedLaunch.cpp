#include "app/gui/train/DistributedLaunch.h"

#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QRegularExpression>
#include <QStandardPaths>
#include <QThread>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <limits>

#include <unistd.h>

namespace strata::gui {

namespace {

QString q(const std::string& s) { return QString::fromStdString(s); }

bool executable(const QString& path) { return !path.isEmpty() && QFileInfo(path).isExecutable() && QFileInfo(path).isFile(); }

QString quoted(const QString& a) {
    static const QRegularExpression plain("^[A-Za-z0-9_./:=+,@%-]+$");
    return plain.match(a).hasMatch() ? a : "'" + QString(a).replace("'", "'\\''") + "'";
}

} // namespace

QString DistributedCommand::display() const {
    QStringList words{quoted(program)};
    for (const QString& a : arguments) words << quoted(a);
    return words.join(' ');
}

QString findMpirun() {
    if (const QString env = qEnvironmentVariable("STRATA_MPIRUN"); !env.isEmpty()) return executable(env) ? env : QString();
    for (const char* name : {"mpirun", "mpiexec"}) {
        QString p = QStandardPaths::findExecutable(name);
        if (p.isEmpty()) p = QStandardPaths::findExecutable(name, {"/usr/bin", "/usr/local/bin"});
        if (!p.isEmpty()) return p;
    }
    return {};
}

QString findStrataCli() {
    if (const QString env = qEnvironmentVariable("STRATA_CLI"); !env.isEmpty()) return executable(env) ? env : QString();
    const QDir here(QCoreApplication::applicationDirPath());
    for (const QString& p : {here.filePath("strata-cli"), here.filePath("../strata-cli")})
        if (executable(p)) return QFileInfo(p).canonicalFilePath();
    return QStandardPaths::findExecutable("strata-cli");
}

DistributedCommand distributedCommand(const TrainSettings& s, const QString& specFile, int processes, const QString& hostfile) {
    DistributedCommand c;
    auto refuse = [&c](const QString& why) {
        c = DistributedCommand{};
        c.error = why;
        return c;
    };
    if (processes < 2) return refuse(QObject::tr("a distributed run needs 2 processes or more"));
    if (s.projectFile.empty())
        return refuse(QObject::tr("a distributed run is recorded in a project: save the model in a project first"));
    if (!hostfile.isEmpty() && !QFileInfo(hostfile).isFile())
        return refuse(QObject::tr("the hostfile %1 does not exist").arg(hostfile));
    // What the CLI cannot take: said, not left out.
    if (!s.columns.empty()) return refuse(QObject::tr("a column mapping (several inputs or outputs) runs in the app only (Processes 1)"));
    if (!s.textColumn.empty()) return refuse(QObject::tr("a text column runs in the app only (Processes 1)"));
    if (!s.options.outputLosses.empty()) return refuse(QObject::tr("per-output losses run in the app only (Processes 1)"));
    if (s.csvFile.empty() && s.dataset.rfind("images:", 0) == 0)
        return refuse(QObject::tr("an image folder runs in the app only (Processes 1)"));
    const ir::OptimizerConfig& opt = s.options.optimizer;
    if (opt.momentum != 0 || opt.nesterov)
        return refuse(QObject::tr("strata-cli train has no momentum or Nesterov option: set Momentum to 0, or train with Processes 1"));
    if (opt.learningRate.kind != ir::LearningRateSchedule::Kind::Constant)
        return refuse(QObject::tr("strata-cli train takes a constant learning rate only"));

    c.program = findMpirun();
    if (c.program.isEmpty())
        return refuse(QObject::tr("mpirun was not found: install OpenMPI (Debian and Ubuntu: apt install openmpi-bin)"));
    const QString cli = findStrataCli();
    if (cli.isEmpty())
        return refuse(QObject::tr("strata-cli was not found next to the app (%1) nor on the PATH").arg(QCoreApplication::applicationDirPath()));

    c.environment = QProcessEnvironment::systemEnvironment();
    QStringList& a = c.arguments;
    if (geteuid() == 0) { // OpenMPI 4.1 wants both the flag and, in some versions, the environment
        a << "--allow-run-as-root";
        c.environment.insert("OMPI_ALLOW_RUN_AS_ROOT", "1");
        c.environment.insert("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1");
    }
    if (hostfile.isEmpty()) a << "--oversubscribe"; // this machine: more ranks than cores is allowed (slower)
    else a << "--hostfile" << QFileInfo(hostfile).absoluteFilePath();
    a << "-np" << QString::number(processes) << cli << "train" << specFile;
    a << "--data" << (s.csvFile.empty() ? q(s.dataset) : "csv:" + q(s.csvFile));
    if (!s.csvFile.empty() && !s.csvLabel.empty()) a << "--label" << q(s.csvLabel);
    if (s.reconstruct) a << "--reconstruct";
    a << "--distributed" << "--project" << q(s.projectFile);
    if (!s.modelName.empty()) a << "--model" << q(s.modelName);
    if (s.fromScratch) a << "--from-scratch";
    // The device: each rank of a host takes its Vulkan devices in turn (docs/distributed.md).
    if (!s.device.empty()) a << "--device" << (s.device.rfind("vulkan", 0) == 0 ? QString("vulkan") : q(s.device));
    if (s.device == "cpu") {
        const int threads = hostfile.isEmpty() ? std::max(1, QThread::idealThreadCount() / processes) : 1;
        a << "--threads" << QString::number(threads);
    }
    a << "--epochs" << QString::number(s.options.epochs) << "--batch" << QString::number(s.options.batchSize);
    a << "--optimizer" << q(opt.name) << "--lr" << QString::number(opt.learningRate.learningRate, 'g', 17);
    a << "--loss" << q(s.options.loss);
    if (s.options.fromLogits) a << "--from-logits";
    a << "--seed" << QString::number(s.options.seed);
    if (s.options.maxSteps >= 0) a << "--steps" << QString::number(s.options.maxSteps);
    a << "--json";
    return c;
}

QList<qint64> childProcesses(qint64 pid) {
    QList<qint64> out;
    for (const QString& entry : QDir("/proc").entryList(QDir::Dirs | QDir::NoDotAndDotDot)) {
        bool number = false;
        const qint64 child = entry.toLongLong(&number);
        if (!number) continue;
        QFile f("/proc/" + entry + "/stat");
        if (!f.open(QIODevice::ReadOnly)) continue;
        const QByteArray stat = f.readAll();
        const int close = int(stat.lastIndexOf(')')); // "pid (comm) state ppid ...": comm may hold spaces
        const QList<QByteArray> fields = stat.mid(close + 2).split(' ');
        if (close > 0 && fields.size() > 1 && fields[1].toLongLong() == pid) out << child;
    }
    return out;
}

std::optional<train::EpochEvent> parseEpochLine(const QByteArray& line) {
    const auto j = nlohmann::json::parse(line.constData(), line.constData() + line.size(), nullptr, false);
    if (!j.is_object() || !j.contains("epoch") || !j["epoch"].is_number_integer()) return std::nullopt;
    auto number = [&j](const char* key) {
        const auto it = j.find(key);
        return it != j.end() && it->is_number() ? it->get<double>() : std::numeric_limits<double>::quiet_NaN();
    };
    train::EpochEvent e;
    e.epoch = j["epoch"].get<int>();
    e.loss = number("loss"), e.accuracy = number("accuracy");
    e.valLoss = number("val_loss"), e.valAccuracy = number("val_accuracy");
    e.seconds = number("seconds"), e.samplesPerSecond = number("samples_per_second");
    return e;
}

qint64 parseRecordingLine(const QString& line) {
    static const QRegularExpression re("recording run (\\d+)");
    const auto m = re.match(line);
    return m.hasMatch() ? m.captured(1).toLongLong() : 0;
}

} // namespace strata::gui
