#include "app/gui/runs/LiveRuns.h"

#include "app/gui/runs/RunsPanel.h"
#include "app/gui/train/TrainPanel.h"

#include <QFileInfo>

#include <memory>
#include <utility>

namespace strata::gui {

namespace {
bool sameFile(const QString& a, const QString& b) { return !a.isEmpty() && !b.isEmpty() && QFileInfo(a) == QFileInfo(b); }
} // namespace

void followTraining(TrainPanel* train, RunsPanel* runs) {
    auto live = std::make_shared<qint64>(0); // the run being recorded into the panel's project; 0: none
    QObject::connect(train, &TrainPanel::runStarted, runs, [runs, live](qint64 run, const QString& file) {
        *live = sameFile(file, runs->projectFile()) ? run : 0;
        if (*live) runs->followRun(run);
    });
    QObject::connect(train, &TrainPanel::epochFinished, runs, [runs, live] {
        if (*live) runs->refresh();
    });
    QObject::connect(train, &TrainPanel::runRecorded, runs, [runs, live](qint64 run, const QString& file) {
        *live = 0;
        if (sameFile(file, runs->projectFile())) runs->followRun(run);
    });
    // A run that failed is recorded as such, without runRecorded.
    QObject::connect(train, &TrainPanel::trainingFinished, runs, [runs, live] {
        if (std::exchange(*live, 0)) runs->refresh();
    });
}

} // namespace strata::gui
