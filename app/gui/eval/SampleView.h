// The Evaluation panel's Sample tab body: one sample of the split and the model's prediction for
// it, on the evaluation's own backend. A classifier: the sample (a picture for image data), its
// true and predicted class and every class's probability as a bar; a regression: predicted and
// true values; an autoencoder: the original beside its reconstruction, as two pictures at a
// readable size for image data or as two columns of values for a table's row or a vector, with
// the sample's reconstruction error and its rank among the split's.
//
//   auto* v = new SampleView;
//   v->showSample(*result, result->reports[output], 5);
//   v->reconstructionImage()->pixmap(); v->valueTable()->item(0, 1)->text();
#pragma once

#include "app/gui/eval/EvaluationJob.h"

#include <QWidget>

class QLabel;
class QTableWidget;

namespace strata::gui {

class SampleView : public QWidget {
    Q_OBJECT
public:
    explicit SampleView(QWidget* parent = nullptr);

    // Shows sample `index` of `result`'s split as `report` (one of result's outputs) judged it.
    void showSample(const EvaluationResult& result, const train::EvalReport& report, int64_t index);

    QLabel* prediction() const { return prediction_; }                   // "samplePrediction": the text
    QLabel* originalImage() const { return original_; }                  // "sampleOriginal": the sample's picture
    QLabel* reconstructionImage() const { return reconstruction_; }      // "sampleReconstruction": an autoencoder's
    QTableWidget* valueTable() const { return values_; }                 // "sampleValues": original | reconstruction
    QLabel* originalCaption() const { return originalCaption_; }
    QLabel* reconstructionCaption() const { return reconstructionCaption_; }

    static constexpr int kPictureSide = 224; // pixels: an 8×8 digit or a 28×28 item drawn large enough to read

private:
    void showReconstruction(const train::EvalReport& report, const Tensor& original, const Tensor& output, int64_t index);

    QLabel *original_, *reconstruction_, *originalCaption_, *reconstructionCaption_, *prediction_;
    QWidget* reconstructionColumn_;
    QTableWidget* values_;
};

} // namespace strata::gui
