// The dataset view's live augmentation preview: one sample and, beside it, a few versions of it
// produced by the engine running the model's preprocessing layers in training mode
// (train::augmentSample, on the CPU backend). It follows the model as it is edited; Shuffle draws
// new versions with another seed. A model without preprocessing layers gets one hint line.
#pragma once

#include "engine/ModelSpec.h"
#include "engine/Tensor.h"

#include <QWidget>

#include <cstdint>
#include <functional>
#include <vector>

class QLabel;
class QPushButton;

namespace strata::gui {

class AugmentPreview : public QWidget {
    Q_OBJECT
public:
    static constexpr int kCopies = 4;

    // `spec` gives the current model when asked (the document's).
    explicit AugmentPreview(std::function<const ModelSpec&()> spec, QWidget* parent = nullptr);

    // The sample: float32 HWC pixels in [0, 1] (1 or 3 channels), and its caption.
    void setSample(const Tensor& pixels, const QString& caption);
    void clearSample();
    // Runs the preprocessing again on the current model (after an edit).
    void refresh();
    void shuffle(); // a new seed, then refresh

    bool hasPreprocessing() const { return hasLayers_; }
    int augmentedCount() const { return int(shown_.size()); } // versions shown now
    QString hintText() const;                                 // the hint or error line; empty when the preview shows
    uint64_t seed() const { return seed_; }

private:
    void showImages(const std::vector<Tensor>& out);

    std::function<const ModelSpec&()> spec_;
    Tensor sample_;
    QString caption_;
    uint64_t seed_ = 1;
    bool hasLayers_ = false;
    QLabel *hint_, *original_, *originalCaption_, *layers_;
    std::vector<QLabel*> copies_;
    std::vector<Tensor> shown_;
    QPushButton* shuffle_;
    QWidget* row_;
};

} // namespace strata::gui
