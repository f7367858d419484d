// Keeps the weights the Train panel holds (after a run, an ONNX import or opening a version) and
// the project's checkpoints in step, so nothing trained or imported is lost with the window:
// saving a version stores the weights with it when the project lacks them, and opening a version
// takes the weights of its newest checkpoint.
#pragma once

#include <QString>

namespace strata::gui {

class Document;
class TrainPanel;
struct VersionInfo;

// After `saved` was saved: when the panel holds weights of the saved spec that are not yet a
// checkpoint of that version, stores them as one. Returns what to add to the status message
// ("" when nothing was stored). Throws StorageError (naming the file) when they cannot be stored.
QString saveWeightsWithVersion(const Document& doc, TrainPanel& train, const VersionInfo& saved);

// After a version was opened or saved: the panel takes the weights of its newest checkpoint,
// unless it holds weights of this spec already (those of this version, or fresh ones that no
// checkpoint holds yet, which stay until saved). Returns what to add to the status message ("" when
// nothing was taken). Throws StorageError (naming the file) when the checkpoint cannot be read.
QString adoptVersionWeights(const Document& doc, TrainPanel& train);

} // namespace strata::gui
