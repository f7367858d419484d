// Whether the Train panel's dataset fits the model, told before a run: the sample shape against
// the Input's, the class count against the output's units; and the one edit (an undo step) that
// makes the model fit: the Input's shape and the last Dense layer's units.
#pragma once

#include "app/gui/model/GraphEditor.h"

#include "engine/ModelSpec.h"
#include "engine/Shape.h"

#include <QString>

#include <optional>
#include <vector>

namespace strata::gui {

// What a dataset choice gives, as far as it is known without reading every sample.
struct DataFacts {
    QString name;                // for messages: "digits", "animals.csv", the folder's name
    std::optional<Shape> sample; // unset: the samples follow the model (an image folder is resized to it)
    int classes = 0;             // 0: not known, or regression
};

// `dataset` as TrainPanel::dataset() names it (a built-in name, "csv:PATH", "images:DIR");
// csvLabel the target column (empty: the last). Unreadable data gives what could be read.
DataFacts dataFactsOf(const QString& dataset, const QString& csvLabel);

struct DataFit {
    QString problem; // empty when they fit (or it cannot be told: a model that does not build)
    std::vector<GraphEditor::ConfigChange> fix; // empty when no edit can fix it
};

// reconstruct: the target is the input (an autoencoder), so the classes do not matter. Models with
// several inputs or outputs are left to the column mapping.
DataFit checkDataFit(const ModelSpec& spec, const DataFacts& data, bool reconstruct);

} // namespace strata::gui
