// Internal to the Train panel's two source files (TrainPanel.cpp: what it does; TrainPanelForm.cpp:
// its widgets and their wiring).
#pragma once

#include "engine/ir/Optimizers.h"

#include <QString>

#include <nlohmann/json.hpp>

#include <string>

namespace strata::gui::trainpanel {

// The dataset choices that open a file or folder dialog instead of naming a dataset.
inline const QString kPickCsv = QStringLiteral("pick-csv");
inline const QString kPickImages = QStringLiteral("pick-images");

inline QString q(const std::string& s) { return QString::fromStdString(s); }

// The learning rate an optimizer starts with when the panel switches to it.
inline double defaultLearningRate(const std::string& optimizer) {
    const nlohmann::json j = ir::OptimizerConfig::defaults(optimizer).toJson();
    const auto lr = j.find("learning_rate");
    return lr != j.end() && lr->is_number() ? lr->get<double>() : 1e-3;
}

// Which optimizers read the panel's Momentum and Nesterov fields (ir::OptimizerConfig).
inline bool readsMomentum(const QString& optimizer) { return optimizer == "sgd" || optimizer == "rmsprop"; }
inline bool readsNesterov(const QString& optimizer, double momentum) { return optimizer == "sgd" && momentum > 0; }

} // namespace strata::gui::trainpanel
