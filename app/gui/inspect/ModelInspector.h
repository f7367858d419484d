// A window to look inside a model: the tree of variables of every module (trainable or frozen,
// with their values) and the traced graph the engine runs, as two tabs. The model is built from
// a spec with seed 0; given weights (by variable path or checkpoint key) replace the initial
// values, and the window says which values it shows.
//
//   openModelInspector(mainWindow, document->model()->state().spec);            // initial values
//   openModelInspector(mainWindow, spec, &weights);                              // trained values
//   openModelInspector(mainWindow, spec, &weights, &stepSettings);               // the whole step of a run
#pragma once

#include "app/gui/inspect/StepSettings.h"

#include "engine/Model.h"
#include "engine/Tensor.h"

#include <QDialog>

#include <map>
#include <memory>
#include <string>

class QLabel;
class QTabWidget;

namespace strata::storage {
class VariableSource;
}

namespace strata::gui {

class VariablesView;
class TracedGraphView;

using Weights = std::map<std::string, Tensor>;

class ModelInspector : public QDialog {
    Q_OBJECT
public:
    // `weights` (may be null) is read during construction only. A spec that does not validate
    // shows the engine's issues instead of the tabs.
    ModelInspector(const ModelSpec& spec, const Weights* weights, QWidget* parent = nullptr);
    ~ModelInspector() override;

    // Null when the spec did not build.
    const Model* model() const { return model_.get(); }
    VariablesView* variablesView() const { return variables_; }
    TracedGraphView* tracedGraphView() const { return graph_; }
    QTabWidget* tabs() const { return tabs_; }
    // Which values are shown ("initial values: built with seed 0, not trained", or how many
    // variables the given weights set and what did not match); the error when the spec failed.
    QString valuesNote() const;
    // The loss and optimizer the traced graph's "Whole step" uses (see TracedGraphView).
    void setStepSettings(const StepSettings& settings);
    // The histograms run `runId` of project `file` recorded per epoch, for the variables view's
    // "Over time" tab. Returns how many were read; a project that cannot be read is noted in the
    // header (the rest of the inspector still works).
    int showRunHistograms(const std::string& file, int64_t runId);

    // The model variables of a checkpoint or saved model, by path, for the constructor.
    // Throws StorageError naming the key when a value cannot be read.
    static Weights weightsFrom(const storage::VariableSource& source);

private:
    QString applyWeights(const Weights& weights);

    std::unique_ptr<Model> model_;
    QLabel* header_;
    QTabWidget* tabs_ = nullptr;
    VariablesView* variables_ = nullptr;
    TracedGraphView* graph_ = nullptr;
};

// Opens a non-modal inspector (deleted when closed) and returns it; see ModelInspector. `step`
// (may be null: the defaults) says which loss and optimizer the whole step is traced with.
ModelInspector* openModelInspector(QWidget* parent, const ModelSpec& spec, const Weights* weights = nullptr,
                                   const StepSettings* step = nullptr);

} // namespace strata::gui
