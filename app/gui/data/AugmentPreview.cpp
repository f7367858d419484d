#include "app/gui/data/AugmentPreview.h"

#include "engine/cpu/CpuBackend.h"
#include "engine/train/AugmentationPreview.h"

#include <QGridLayout>
#include <QHBoxLayout>
#include <QImage>
#include <QLabel>
#include <QPixmap>
#include <QPushButton>
#include <QVBoxLayout>

#include <algorithm>
#include <cmath>

namespace strata::gui {

namespace {

constexpr int kShownSize = 88;

// HWC float pixels as a picture: values in [0, 1] as they are, others stretched from their range.
QPixmap pixmapOf(const Tensor& t) {
    const Shape& s = t.shape();
    if (s.rank() != 3 || (s[2] != 1 && s[2] != 3) || t.dtype() != DType::F32) return {};
    const int h = int(s[0]), w = int(s[1]), c = int(s[2]);
    const float* v = t.f32();
    const auto [lo, hi] = std::minmax_element(v, v + t.shape().numElements());
    const bool unit = *lo >= 0 && *hi <= 1;
    const float base = unit ? 0.0f : *lo, span = unit ? 1.0f : std::max(*hi - *lo, 1e-6f);
    QImage image(w, h, QImage::Format_RGB888);
    for (int y = 0; y < h; ++y) {
        uchar* line = image.scanLine(y);
        for (int x = 0; x < w; ++x)
            for (int k = 0; k < 3; ++k) {
                const float f = (v[(int64_t(y) * w + x) * c + (c == 3 ? k : 0)] - base) / span;
                line[x * 3 + k] = uchar(std::lround(std::clamp(f, 0.0f, 1.0f) * 255));
            }
    }
    const Qt::TransformationMode mode = std::max(h, w) < kShownSize / 2 ? Qt::FastTransformation : Qt::SmoothTransformation;
    return QPixmap::fromImage(image.scaled(kShownSize, kShownSize, Qt::KeepAspectRatio, mode));
}

QLabel* pictureLabel() {
    auto* l = new QLabel;
    l->setFixedSize(kShownSize + 4, kShownSize + 4);
    l->setAlignment(Qt::AlignCenter);
    l->setFrameShape(QFrame::StyledPanel);
    return l;
}

} // namespace

AugmentPreview::AugmentPreview(std::function<const ModelSpec&()> spec, QWidget* parent) : QWidget(parent), spec_(std::move(spec)) {
    auto* title = new QLabel(tr("<b>Augmentations</b>"));
    hint_ = new QLabel;
    hint_->setObjectName("augmentHint");
    hint_->setWordWrap(true);
    original_ = pictureLabel();
    original_->setObjectName("augmentOriginal");
    originalCaption_ = new QLabel;
    originalCaption_->setAlignment(Qt::AlignHCenter);
    layers_ = new QLabel;
    layers_->setObjectName("augmentLayers");
    layers_->setWordWrap(true);
    shuffle_ = new QPushButton(tr("Shuffle"));
    shuffle_->setObjectName("augmentShuffle");
    shuffle_->setToolTip(tr("Draw new augmented versions of the sample (another seed)"));
    row_ = new QWidget;
    auto* grid = new QGridLayout(row_);
    grid->setContentsMargins(0, 0, 0, 0);
    grid->setHorizontalSpacing(6);
    grid->addWidget(original_, 0, 0);
    grid->addWidget(originalCaption_, 1, 0);
    auto* arrow = new QLabel(QStringLiteral("→"));
    arrow->setAlignment(Qt::AlignCenter);
    grid->addWidget(arrow, 0, 1);
    for (int i = 0; i < kCopies; ++i) {
        copies_.push_back(pictureLabel());
        copies_.back()->setObjectName(QStringLiteral("augmented%1").arg(i));
        grid->addWidget(copies_.back(), 0, 2 + i);
    }
    grid->addWidget(layers_, 1, 2, 1, kCopies);
    grid->setColumnStretch(2 + kCopies, 1);

    auto* head = new QHBoxLayout;
    head->addWidget(title);
    head->addStretch(1);
    head->addWidget(shuffle_);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addLayout(head);
    layout->addWidget(hint_);
    layout->addWidget(row_);
    connect(shuffle_, &QPushButton::clicked, this, &AugmentPreview::shuffle);
    refresh();
}

void AugmentPreview::setSample(const Tensor& pixels, const QString& caption) {
    sample_ = pixels;
    caption_ = caption;
    refresh();
}

void AugmentPreview::clearSample() {
    sample_ = Tensor();
    caption_.clear();
    refresh();
}

void AugmentPreview::shuffle() {
    seed_ = seed_ * 6364136223846793005ull + 1442695040888963407ull;
    refresh();
}

QString AugmentPreview::hintText() const { return hint_->isHidden() ? QString() : hint_->text(); }

void AugmentPreview::refresh() {
    shown_.clear();
    const ModelSpec& model = spec_();
    std::vector<std::string> names;
    for (const LayerSpec& l : model.layers)
        if (train::isPreprocessingType(l.type)) names.push_back(l.name + " (" + l.type + ")");
    hasLayers_ = !names.empty();
    auto hint = [this](const QString& text) {
        hint_->setText(text);
        hint_->setVisible(true);
        row_->setVisible(false);
        shuffle_->setVisible(false);
    };
    if (!hasLayers_)
        return hint(tr("The model has no preprocessing layers (the palette's Preprocessing group, or Rescaling): add some to "
                       "see them change a sample here."));
    if (sample_.shape().rank() != 3) return hint(tr("Pick an image sample in the grid to see the model's augmentations of it."));
    QString joined;
    for (const std::string& n : names) joined += (joined.isEmpty() ? "" : ", ") + QString::fromStdString(n);
    try {
        cpu::CpuBackend backend;
        const ModelSpec pre = train::preprocessingSpec(model, sample_.shape());
        shown_ = train::augmentSample(pre, sample_, kCopies, seed_, backend);
    } catch (const std::exception& e) {
        return hint(tr("The preprocessing layers cannot run on this sample: %1").arg(QString::fromUtf8(e.what())));
    }
    showImages(shown_);
    original_->setPixmap(pixmapOf(sample_));
    originalCaption_->setText(caption_);
    layers_->setText(tr("training mode, seed %1: %2").arg(seed_ % 100000).arg(joined));
    hint_->setVisible(false);
    row_->setVisible(true);
    shuffle_->setVisible(true);
}

void AugmentPreview::showImages(const std::vector<Tensor>& out) {
    for (std::size_t i = 0; i < copies_.size(); ++i) {
        const QPixmap pm = i < out.size() ? pixmapOf(out[i]) : QPixmap();
        copies_[i]->setPixmap(pm);
        copies_[i]->setToolTip(i < out.size() ? QString::fromStdString(out[i].shape().toString()) : QString());
    }
}

} // namespace strata::gui
