// What the Train panel's GUI suites share: pressing Train as a person does and waiting for the run.
#pragma once

#include "app/gui/train/TrainPanel.h"

#include <QPushButton>
#include <QSignalSpy>
#include <QTest>

namespace strata::gui::test {

inline constexpr int kTrainTimeoutMs = 180000;

// Clicks Train and waits for the run to end; returns whether it succeeded (false: refused or failed).
inline bool trainAndWait(TrainPanel& panel) {
    QSignalSpy finished(&panel, &TrainPanel::trainingFinished);
    QTest::mouseClick(panel.findChild<QPushButton*>("trainButton"), Qt::LeftButton);
    if (!panel.isTraining()) return false;
    if (!finished.wait(kTrainTimeoutMs) && finished.isEmpty()) return false;
    return finished.front().front().toBool();
}

} // namespace strata::gui::test
