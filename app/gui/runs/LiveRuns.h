// Keeps the Runs panel live while the Train panel records a run into the project the panel lists:
// the run is listed as soon as it is recorded (status "running"), re-read after every epoch (so a
// selected running run's curves grow, one read of the project per epoch), and shown final when it
// ends. The panel keeps the person's selection and scroll; it follows the new run only while the
// person has not picked one (see RunsPanel::followRun).
//
//   followTraining(trainPanel, runsPanel);   // once, in the main window
#pragma once

namespace strata::gui {

class RunsPanel;
class TrainPanel;

void followTraining(TrainPanel* train, RunsPanel* runs);

} // namespace strata::gui
