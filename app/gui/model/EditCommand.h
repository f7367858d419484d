// One undo step: the delta between the graph model's state before and after an edit.
#pragma once

#include "app/gui/model/GraphState.h"

#include <QUndoCommand>

namespace strata::gui {

class GraphModel;

class EditCommand : public QUndoCommand {
public:
    EditCommand(GraphModel* model, const QString& text, GraphDelta delta);
    void undo() override;
    void redo() override;

private:
    GraphModel* model_;
    GraphDelta delta_;
};

} // namespace strata::gui
