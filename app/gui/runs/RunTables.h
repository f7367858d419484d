// What the Runs panel tabulates about runs: a run's settings as (key, value) rows (its model
// version, dataset, device, seed and hyper-parameters, nested ones flattened as
// "optimizer.learning_rate"), its final figures under names that say exactly what they are, and
// the comparison of several runs: only the settings that differ between them, then the figures.
// The tables sort by any column, numbers as numbers.
//
//   fillSettingsTable(table, run);                  // two columns: Setting, Value
//   fillComparisonTable(table, {runA, runB});       // Run | learning rate | ... | Test accuracy
//   differingSettings({runA, runB});                // {"optimizer.learning_rate"}
#pragma once

#include "app/gui/runs/RunHistory.h"

#include <QString>
#include <QStringList>

#include <optional>
#include <vector>

class QTableWidget;
class QTableWidgetItem;

namespace strata::gui {

struct RunSetting {
    QString key, text;
    std::optional<double> number; // for sorting
};
// In a fixed order: model, dataset, device, seed, then the hyper-parameters by name.
std::vector<RunSetting> runSettings(const RunSummary& run);
// The keys whose values are not the same in every run (a key a run lacks counts as a value).
QStringList differingSettings(const std::vector<RunSummary>& runs);

struct RunFigure {
    QString header, tip; // e.g. "Train loss (last epoch)" and what it is exactly
    double value;        // NaN when the run has none
    bool percent;
};
// The run's final figures: the last recorded epoch's training and validation loss and accuracy,
// the test split's loss and accuracy.
std::vector<RunFigure> runFigures(const RunSummary& run);
QString figureText(const RunFigure& f);

// A read-only cell that sorts by `number` when it has one (NaN and text after numbers).
QTableWidgetItem* sortableCell(const QString& text, std::optional<double> number = std::nullopt);

void fillSettingsTable(QTableWidget* table, const RunSummary& run);
void fillComparisonTable(QTableWidget* table, const std::vector<RunSummary>& runs);

} // namespace strata::gui
