// A data-parallel run from the Train panel: `mpirun [--hostfile F] -np N strata-cli train SPEC
// --distributed --project P --json ...` built from the panel's settings (docs/distributed.md).
// The ranks run in processes of their own; rank 0 records the run in the project, and the panel
// follows its JSON epoch lines and reloads the project's runs when it ends.
#pragma once

#include "app/gui/train/TrainJob.h"

#include <QProcessEnvironment>
#include <QString>
#include <QStringList>

#include <optional>

namespace strata::gui {

struct DistributedCommand {
    QString error;   // non-empty: it cannot run; why, for a person (nothing else is set)
    QString program; // mpirun
    QStringList arguments;
    QProcessEnvironment environment;
    QString display() const; // the command line as a person would type it
};

// mpirun: $STRATA_MPIRUN, else `mpirun` (or `mpiexec`) on the PATH or in /usr/bin; empty when none.
QString findMpirun();
// strata-cli: $STRATA_CLI, else next to the running binary (or one folder up, as in a build tree), else on the PATH.
QString findStrataCli();

// The command for `processes` ranks (at least 2) on this machine, or on the hosts of `hostfile`
// (empty: this machine), training the spec in `specFile` with `s` (its projectFile and
// modelName set). A setting the CLI cannot take refuses, with why, rather than be left out.
DistributedCommand distributedCommand(const TrainSettings& s, const QString& specFile, int processes, const QString& hostfile);

// The processes whose parent is `pid` (Linux /proc): mpirun's local ranks.
QList<qint64> childProcesses(qint64 pid);

// One line of `strata-cli train --json` on stdout: an epoch's metrics (nullopt for other lines).
std::optional<train::EpochEvent> parseEpochLine(const QByteArray& line);
// "recording run 12 of model ..." on stderr: the run's id (0 for other lines).
qint64 parseRecordingLine(const QString& line);

} // namespace strata::gui
