#include "app/gui/eval/SampleView.h"

#include "app/gui/eval/EvalWidgets.h"

#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QPixmap>
#include <QTableWidget>
#include <QVBoxLayout>

#include <algorithm>
#include <cmath>

namespace strata::gui {

namespace {

constexpr int kValueRows = 4096; // values listed side by side, at most

QString q(const std::string& s) { return QString::fromStdString(s); }

QPixmap picture(const QImage& img, int side) {
    return QPixmap::fromImage(img.scaled(side, side, Qt::KeepAspectRatio, Qt::FastTransformation)); // pixels stay sharp
}

QLabel* pictureLabel(const char* name) {
    auto* l = new QLabel;
    l->setObjectName(name);
    l->setAlignment(Qt::AlignCenter);
    l->setMinimumSize(SampleView::kPictureSide, SampleView::kPictureSide);
    l->setFrameShape(QFrame::StyledPanel);
    return l;
}

QTableWidgetItem* number(double v) {
    auto* item = new QTableWidgetItem(QString::number(v, 'g', 5));
    item->setFlags(Qt::ItemIsSelectable | Qt::ItemIsEnabled);
    item->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
    return item;
}

// The smallest and largest value of row 0 of both tensors: one grey scale for both pictures, so
// a faint reconstruction looks faint beside its original.
std::pair<double, double> sharedRange(const Tensor& a, const Tensor& b) {
    double lo = INFINITY, hi = -INFINITY;
    for (const Tensor* t : {&a, &b}) {
        const int64_t n = t->size() / std::max<int64_t>(1, t->shape()[0]);
        const auto [l, h] = std::minmax_element(t->f32(), t->f32() + n);
        lo = std::min(lo, double(*l));
        hi = std::max(hi, double(*h));
    }
    return {lo, hi};
}

} // namespace

SampleView::SampleView(QWidget* parent) : QWidget(parent) {
    original_ = pictureLabel("sampleOriginal");
    reconstruction_ = pictureLabel("sampleReconstruction");
    originalCaption_ = new QLabel;
    originalCaption_->setAlignment(Qt::AlignCenter);
    reconstructionCaption_ = new QLabel(tr("<b>Reconstruction</b>"));
    reconstructionCaption_->setAlignment(Qt::AlignCenter);
    auto column = [](QLabel* caption, QLabel* image) {
        auto* w = new QWidget;
        auto* l = new QVBoxLayout(w);
        l->setContentsMargins(0, 0, 0, 0);
        l->addWidget(caption);
        l->addWidget(image);
        l->addStretch(1);
        return w;
    };
    auto* originalColumn = column(originalCaption_, original_);
    reconstructionColumn_ = column(reconstructionCaption_, reconstruction_);

    values_ = new QTableWidget(0, 3);
    values_->setObjectName("sampleValues");
    values_->setHorizontalHeaderLabels({tr("Original"), tr("Reconstruction"), tr("Difference")});
    values_->setAlternatingRowColors(true);
    values_->horizontalHeader()->setSectionResizeMode(QHeaderView::Stretch);
    values_->setMinimumWidth(360);

    prediction_ = new QLabel;
    prediction_->setObjectName("samplePrediction");
    prediction_->setWordWrap(true);
    prediction_->setAlignment(Qt::AlignTop | Qt::AlignLeft);
    prediction_->setTextInteractionFlags(Qt::TextSelectableByMouse);

    auto* pictures = new QHBoxLayout;
    pictures->addWidget(originalColumn, 0, Qt::AlignTop);
    pictures->addWidget(reconstructionColumn_, 0, Qt::AlignTop);
    pictures->addWidget(values_, 1);
    pictures->addWidget(prediction_, 1, Qt::AlignTop);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addLayout(pictures, 1);
}

void SampleView::showSample(const EvaluationResult& result, const train::EvalReport& r, int64_t index) {
    if (index < 0 || index >= r.samples) return;
    const data::Batch b = train::gatherSamples(result.split, {index});
    const Tensor out = train::predictSamples(*result.model, *result.backend, result.split, {index}, false, r.outputPosition);
    const bool reconstruction = r.kind == train::ReportKind::Reconstruction;
    reconstructionColumn_->setVisible(false);
    values_->setVisible(false);
    if (reconstruction) return showReconstruction(r, b.target(std::size_t(r.outputPosition)), out, index);

    const auto img = sampleImage(b.x, 0);
    original_->parentWidget()->setVisible(bool(img));
    original_->setPixmap(img ? picture(*img, kPictureSide) : QPixmap());
    originalCaption_->setText(tr("<b>Sample %1</b>").arg(index));
    QString text = tr("<b>Sample %1</b> · output <b>%2</b> · loss %3<br>").arg(index).arg(q(r.output).toHtmlEscaped()).arg(r.losses[std::size_t(index)], 0, 'f', 4);
    if (!img) text += tr("Features: %1<br>").arg(featureText(b.x, 0, 32).toHtmlEscaped());
    const float* o = out.f32();
    const int64_t width = out.size() / std::max<int64_t>(1, out.shape()[0]);
    if (r.kind == train::ReportKind::Classification) {
        const int truth = r.trueLabels[std::size_t(index)], predicted = r.predicted[std::size_t(index)];
        text += tr("True <b>%1</b> · predicted <b>%2</b> %3<br><br>")
                    .arg(q(r.classNames[std::size_t(truth)]).toHtmlEscaped(), q(r.classNames[std::size_t(predicted)]).toHtmlEscaped(),
                         truth == predicted ? tr("(right)") : tr("<span style='color:#dc2626'>(wrong)</span>"));
        for (int64_t c = 0; c < width && width == r.classCount(); ++c)
            text += QStringLiteral("%1 <span style='color:%3'>%2</span> %4<br>")
                        .arg(q(r.classNames[std::size_t(c)]).toHtmlEscaped(), QString(int(std::lround(o[c] * 40)), QChar(0x2588)),
                             c == truth ? "#16a34a" : c == predicted ? "#dc2626" : "#9ca3af")
                        .arg(double(o[c]), 0, 'f', 3);
    } else {
        const Tensor& y = b.target(std::size_t(r.outputPosition));
        QStringList got, want;
        for (int64_t i = 0; i < std::min<int64_t>(width, 16); ++i) got << QString::number(o[i], 'g', 4);
        for (int64_t i = 0; i < std::min<int64_t>(y.size() / std::max<int64_t>(1, y.shape()[0]), 16); ++i) want << QString::number(y.f32()[i], 'g', 4);
        text += tr("Predicted: %1<br>True: %2").arg(got.join(", "), want.join(", "));
    }
    prediction_->setText(text);
}

void SampleView::showReconstruction(const train::EvalReport& r, const Tensor& original, const Tensor& output, int64_t index) {
    const auto found = std::find_if(r.reconstruction.begin(), r.reconstruction.end(), [index](const train::ReconstructionError& e) { return e.index == index; });
    const double error = found != r.reconstruction.end() ? found->error : NAN;
    const auto rank = found - r.reconstruction.begin() + 1;
    QString text = tr("<b>Sample %1</b> · output <b>%2</b><br>Reconstruction error (mean squared): <b>%3</b><br>"
                      "Rank %4 of %5 (1: the worst reconstruction) · mean over the split %6")
                       .arg(index)
                       .arg(q(r.output).toHtmlEscaped())
                       .arg(error, 0, 'g', 4)
                       .arg(rank)
                       .arg(r.samples)
                       .arg(r.meanLoss, 0, 'g', 4);
    const auto range = sharedRange(original, output);
    const auto before = sampleImage(original, 0, range), after = sampleImage(output, 0, range);
    const bool pictures = before && after;
    original_->parentWidget()->setVisible(pictures);
    reconstructionColumn_->setVisible(pictures);
    values_->setVisible(!pictures);
    original_->setPixmap(pictures ? picture(*before, kPictureSide) : QPixmap());
    reconstruction_->setPixmap(pictures ? picture(*after, kPictureSide) : QPixmap());
    originalCaption_->setText(tr("<b>Original</b>"));
    values_->setRowCount(0);
    if (!pictures) { // a table's row or a vector: the values in two columns, with their difference
        const int64_t n = std::min<int64_t>(std::min(original.size(), output.size()), kValueRows);
        values_->setRowCount(int(n));
        QStringList rows;
        for (int i = 0; i < int(n); ++i) rows << QString::number(i); // element indices count from 0, as sample indices do
        values_->setVerticalHeaderLabels(rows);
        for (int i = 0; i < int(n); ++i) {
            values_->setItem(i, 0, number(original.f32()[i]));
            values_->setItem(i, 1, number(output.f32()[i]));
            values_->setItem(i, 2, number(double(output.f32()[i]) - double(original.f32()[i])));
        }
        if (original.size() > n) text += tr("<br>The first %1 of %2 values are listed.").arg(n).arg(original.size());
    }
    prediction_->setText(text);
}

} // namespace strata::gui
