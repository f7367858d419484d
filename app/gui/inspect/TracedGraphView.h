// The traced graph the engine runs for one signature: pick the batch size, the input shapes and
// training or inference, and see the op graph traceModel builds as a node table (id, op, the
// layer that emitted it, inputs, outputs, role, attributes) beside the drawn graph, where each
// layer is one box until a click expands it into a labelled frame around its ops (TraceScene;
// Expand all and Collapse all do every layer); selecting a node in one selects it in the other,
// expanding the layer that hides it. A signature that cannot be traced shows the engine's
// message (naming the layer).
#pragma once

#include "app/gui/inspect/StepSettings.h"

#include "engine/train/Tracer.h"

#include <QWidget>

#include <optional>
#include <vector>

class QCheckBox;
class QLabel;
class QLineEdit;
class QPushButton;
class QSpinBox;
class QTableWidget;

namespace strata::gui {

class TraceScene;
class TraceGraphicsView;

class TracedGraphView : public QWidget {
    Q_OBJECT
public:
    enum Column { IdColumn, OpColumn, LayerColumn, InputsColumn, OutputsColumn, RoleColumn, AttributesColumn, ColumnCount };

    // `model` must be built and outlive the view; `seed` seeds Dropout layers without one.
    explicit TracedGraphView(const Model& model, uint64_t seed = 0, QWidget* parent = nullptr);

    // The signature controls; each change traces again.
    void setBatchSize(int batch);
    void setTraining(bool training);
    // With training on: the whole step fit() runs (trace, loss, gradients, optimizer updates)
    // instead of the forward trace alone, with the loss and optimizer of setStepSettings.
    void setWholeStep(bool on);
    // The loss and optimizer the whole step is traced with (by default Adam, and the loss follows
    // the output); the batch size becomes theirs. Traces again.
    void setStepSettings(const StepSettings& settings);
    const StepSettings& stepSettings() const { return stepSettings_; }
    // An input's shape without the batch dimension, as typed: "28, 28, 1" or "(64,)".
    void setInputShapeText(int input, const QString& text);
    QSpinBox* batchSpin() const { return batch_; }
    QCheckBox* trainingCheck() const { return training_; }
    QCheckBox* wholeStepCheck() const { return step_; }
    QPushButton* expandAllButton() const { return expandAll_; }
    QPushButton* collapseAllButton() const { return collapseAll_; }
    // The signature the controls describe; nullopt (and `error` set) when a shape does not parse.
    std::optional<train::Signature> signature(QString* error = nullptr) const;

    // The last trace, or null when it failed (then errorText() says why).
    const train::TracedModel* trace() const { return trace_ ? &*trace_ : nullptr; }
    QString errorText() const;
    QString countsText() const;
    QTableWidget* nodeTable() const { return table_; }
    TraceScene* scene() const { return scene_; }
    TraceGraphicsView* graphicsView() const { return view_; }
    // Selects a node in the table and the drawing (-1: none); the selected node of each.
    void selectNode(int node);
    int tableSelectedNode() const;
    // Selects the next node after the selected one (round the end) that `text` names: "#12", or
    // a part of its op, layer, scope or role, as the Find field does on Return; -1 when none.
    int findNode(const QString& text);
    QLineEdit* findField() const { return find_; }
    int drawnSelectedNode() const;

public slots:
    void retrace();

private:
    void display(const train::TracedModel* trace, const QString& error);
    void onTableSelection();
    void onSceneSelection(int node);

    const Model& model_;
    uint64_t seed_;
    QSpinBox* batch_;
    QCheckBox *training_, *step_;
    QPushButton *expandAll_, *collapseAll_;
    std::vector<QLineEdit*> inputShapes_;
    QLineEdit* find_;
    QLabel* counts_;
    QLabel* error_;
    QTableWidget* table_;
    TraceScene* scene_;
    TraceGraphicsView* view_;
    std::optional<train::TracedModel> trace_;
    std::vector<std::string> outputNames_;
    StepSettings stepSettings_;
    QString stepNote_; // which nodes are forward, gradients and updates, for a whole step
    bool syncing_ = false;
};

} // namespace strata::gui
