// The loss and optimizer the inspector's "Whole step" traces: those of the run the person means —
// the Train panel's current settings, or a recorded run's — so the graph drawn is the one fit()
// runs for them, and the note above it says which they are and where they came from.
//
//   StepSettings s{trainPanel->settings().options, tr("As the Train panel sets them.")};
//   inspector->setStepSettings(s); // "Whole step with loss mean_squared_error and optimizer sgd (learning rate 0.05): …"
#pragma once

#include "engine/train/Trainer.h"

#include <QString>

namespace strata::gui {

struct StepSettings {
    // options.loss (empty: the loss follows the output, see train::defaultLossFor),
    // options.fromLogits, options.optimizer, options.batchSize and, when `source` is set,
    // options.seed (the dropout masks) are used; the rest is ignored.
    train::TrainOptions options = defaultOptions();
    // Where they come from, a sentence for the note: "As the Train panel sets them.", "As run 3
    // recorded them."; empty: the defaults (Adam, and the loss follows the output).
    QString source;

    static train::TrainOptions defaultOptions() {
        train::TrainOptions o;
        o.loss.clear();
        o.optimizer = ir::OptimizerConfig::defaults("adam");
        return o;
    }
};

// "sgd (learning rate 0.05)", "sgd (learning rate 0.01, momentum 0.9, nesterov)",
// "adamw (learning rate 0.001, weight decay 0.004)", "rmsprop (learning rate 0.001, rho 0.9, centered)".
QString describeOptimizer(const ir::OptimizerConfig& config);

} // namespace strata::gui
