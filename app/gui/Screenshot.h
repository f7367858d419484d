// `strata --screenshot OUT.png`: renders the main window at a fixed size into a PNG, for docs and tests.
#pragma once

#include <QString>
#include <QStringList>

namespace strata::gui {

class MainWindow;

// Lays the window out at width×height, fits the canvas, and saves it. Returns false on failure.
// `show` is "editor", "summary", "list" or "train" (the Train panel after a run of the open model
// with the panel's default settings, not recorded in the project), "export" (the Export Model dialog
// after that run) or "graph" (the model inspector's Traced graph tab alone: the training trace,
// the first matmul selected), or "data" (the dataset view on `data` — "images:DIR", "csv:PATH",
// a built-in name — or, when empty, on the Train panel's dataset, once it is read), "diff" (the
// comparison of two versions of the open model, `versions` "1,3", by default the two newest), or
// "evaluate" (the Evaluation panel alone on the open project's newest run, a confusion cell clicked).
// The values `show` may take.
const QStringList& screenshotViews();

bool renderScreenshot(MainWindow& window, const QString& out, const QString& show, int width = 1600, int height = 1000,
                      const QString& data = {}, const QString& versions = {});

} // namespace strata::gui
