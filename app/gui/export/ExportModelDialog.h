// File ▸ Export Model: writes the model being edited, with the weights of its last training run
// in this window (or its initial weights, seed 0, when it has none), as a saved-model folder, an
// ONNX file or a PyTorch code folder. The writers are storage's (writeSavedModel,
// writeOnnxModel, writeTorchExport); each writes under a temporary name and renames, so a
// failed export leaves nothing behind. A target that exists is refused, never overwritten.
//
//   ExportModelDialog d(spec, train->trainedWeights(spec), this);
//   d.exec();
#pragma once

#include "engine/Model.h"
#include "engine/Tensor.h"

#include <QDialog>

#include <map>
#include <string>

class QComboBox;
class QLabel;
class QLineEdit;
class QPushButton;

namespace strata::gui {

class ExportModelDialog : public QDialog {
    Q_OBJECT
public:
    enum class Format { SavedModel, Onnx, PyTorch };
    using Weights = std::map<std::string, Tensor>; // by variable path ("model/dense_1/kernel")

    // `trained` (may be null) is copied.
    ExportModelDialog(const ModelSpec& spec, const Weights* trained, QWidget* parent = nullptr);

    Format format() const;
    void setFormat(Format f);
    QString target() const;
    void setTarget(const QString& path);
    // The folder the target starts in (the project's); the user's home folder when not set.
    void setFolder(const QString& dir);
    bool usesTrainedWeights() const { return hasTrained_; }
    // Replaces the line that says where the weights come from (e.g. a stored run's checkpoint).
    void setWeightsNote(const QString& html);
    QString weightsNote() const;

    // Writes the export; false with message() saying why (the dialog shows it too).
    bool exportModel();
    QString message() const;

    static QString suffixHint(Format f); // "folder", ".onnx file", ...

private:
    void browse();
    void formatChanged();
    void setMessage(const QString& text, bool error);

    ModelSpec spec_;
    Weights trained_;
    bool hasTrained_ = false;
    QComboBox* format_ = nullptr;
    QLineEdit* target_ = nullptr;
    QPushButton* exportButton_ = nullptr;
    QLabel* weightsNote_ = nullptr;
    QLabel* message_ = nullptr;
};

} // namespace strata::gui
