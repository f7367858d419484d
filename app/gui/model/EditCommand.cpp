#include "app/gui/model/EditCommand.h"

#include "app/gui/model/GraphModel.h"

namespace strata::gui {

EditCommand::EditCommand(GraphModel* model, const QString& text, GraphDelta delta)
    : QUndoCommand(text), model_(model), delta_(std::move(delta)) {}

void EditCommand::undo() { model_->applyDelta(delta_, false); }
void EditCommand::redo() { model_->applyDelta(delta_, true); }

} // namespace strata::gui
