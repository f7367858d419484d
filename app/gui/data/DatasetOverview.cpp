#include "app/gui/data/DatasetOverview.h"

#include "engine/data/DatasetSource.h"
#include "engine/data/ImageFolderScan.h"

#include <QFileInfo>
#include <QThread>

#include <algorithm>
#include <cmath>
#include <map>

namespace strata::gui {

namespace {

QString q(const std::string& s) { return QString::fromStdString(s); }

// Float HWC pixels in [0, 1] (1 or 3 channels) as an RGB888 image.
QImage imageOf(const float* pixels, int height, int width, int channels) {
    QImage out(width, height, QImage::Format_RGB888);
    for (int y = 0; y < height; ++y) {
        uchar* line = out.scanLine(y);
        for (int x = 0; x < width; ++x)
            for (int c = 0; c < 3; ++c) {
                const float v = pixels[(int64_t(y) * width + x) * channels + (channels == 3 ? c : 0)];
                line[x * 3 + c] = uchar(std::lround(std::clamp(v, 0.0f, 1.0f) * 255));
            }
    }
    return out;
}

// Up to `limit` indices, taking the classes in turn so every class shows.
template <class ClassOf>
std::vector<int64_t> interleaved(int64_t count, int limit, ClassOf classOf) {
    std::map<int64_t, std::vector<int64_t>> byClass;
    for (int64_t i = 0; i < count; ++i) {
        auto& list = byClass[classOf(i)];
        if (int(list.size()) < limit) list.push_back(i);
    }
    std::vector<int64_t> out;
    for (std::size_t round = 0; int(out.size()) < limit; ++round) {
        bool any = false;
        for (auto& [c, list] : byClass)
            if (round < list.size() && int(out.size()) < limit) out.push_back(list[round]), any = true;
        if (!any) break;
    }
    return out;
}

QString sizesText(const data::ImageSizeSummary& s, int64_t images) {
    auto size = [](int h, int w) { return QStringLiteral("%1×%2").arg(h).arg(w); };
    if (images == 0) return {};
    if (s.distinct == 1) return QObject::tr("All %1 images are %2 (H×W)").arg(images).arg(size(s.commonHeight, s.commonWidth));
    return QObject::tr("%1 sizes (H×W): smallest %2, largest %3, most common %4 (%5 of %6)")
        .arg(s.distinct)
        .arg(size(s.minHeight, s.minWidth), size(s.maxHeight, s.maxWidth), size(s.commonHeight, s.commonWidth))
        .arg(s.commonCount)
        .arg(images);
}

void loadImageFolder(const QString& dir, DatasetProgress& progress, DatasetOverview& out) {
    data::ImageScanOptions options;
    options.threads = std::clamp(QThread::idealThreadCount(), 1, 4);
    options.progress = [&progress](int64_t done, int64_t total) {
        progress.done = done, progress.total = total;
        return !progress.cancel;
    };
    data::ImageFolderScan scan = data::scanImageFolder(dir.toStdString(), options);
    out.kind = DatasetOverview::Kind::Images;
    out.cancelled = scan.cancelled;
    for (const std::string& bad : scan.badFiles) out.badFiles << q(bad);
    for (const auto& [name, n] : scan.classCounts) out.classCounts.emplace_back(q(name), n);
    out.samples = int64_t(scan.images.size());
    if (scan.cancelled) return;
    out.sizesText = sizesText(data::summarizeImageSizes(scan.images), out.samples);
    std::map<std::string, int64_t> classIndex;
    for (const auto& [name, n] : scan.classCounts) classIndex.emplace(name, int64_t(classIndex.size()));
    for (int64_t i : interleaved(out.samples, kGridSamples, [&](int64_t i) { return classIndex[scan.images[std::size_t(i)].entry.className]; })) {
        if (progress.cancel) return void(out.cancelled = true);
        const data::ScannedImage& im = scan.images[std::size_t(i)];
        DatasetSample s;
        s.label = q(im.entry.className);
        s.file = q(im.entry.file.string());
        try {
            const double scale = double(kThumbnailSize) / std::max(im.height, im.width);
            const int h = std::max(1, int(std::lround(im.height * scale))), w = std::max(1, int(std::lround(im.width * scale)));
            std::vector<float> px(std::size_t(h) * std::size_t(w) * 3);
            data::imageToFloat(data::readImage(im.entry.file), h, w, data::ImageColor::Rgb, px.data());
            s.thumbnail = imageOf(px.data(), h, w, 3);
        } catch (const std::exception&) {
            continue; // changed on disk since the scan
        }
        out.grid.push_back(std::move(s));
    }
}

QString cellText(float v) { return QString::number(double(v), 'g', 6); }

void loadTable(const QString& path, const QString& label, DatasetOverview& out) {
    out.kind = DatasetOverview::Kind::Table;
    const data::CsvLayout layout = data::csvLayout(path.toStdString());
    for (const std::string& c : layout.columns) out.columns << q(c);
    data::CsvOptions options = data::csvOptionsFor(label.toStdString(), false);
    const int n = int(layout.columns.size());
    if (!options.targetName.empty()) {
        out.labelColumn = int(out.columns.indexOf(label));
    } else {
        out.labelColumn = options.targetColumn < 0 ? n + options.targetColumn : options.targetColumn;
    }
    data::Dataset d;
    try {
        d = data::loadCsv(path.toStdString(), options);
    } catch (const std::exception& e) { // not class labels: show the rows, counts nothing
        out.labelNote = q(e.what());
        options.target = data::CsvTarget::Regression;
        d = data::loadCsv(path.toStdString(), options);
    }
    out.samples = d.size();
    const int64_t features = d.x.shape().numElementsFrom(1);
    for (int64_t r = 0; r < std::min<int64_t>(d.size(), kTableRows); ++r) {
        QStringList row;
        for (int64_t f = 0; f < features; ++f) row << cellText(d.x.f32()[r * features + f]);
        QString target;
        if (d.isClassification()) {
            const int32_t c = d.y.i32()[r];
            target = std::size_t(c) < d.classNames.size() ? q(d.classNames[std::size_t(c)]) : QString::number(c);
        } else {
            target = cellText(d.y.f32()[r]);
        }
        row.insert(std::clamp(out.labelColumn, 0, int(row.size())), target);
        out.rows.push_back(row);
    }
    if (!d.isClassification()) return;
    std::vector<int64_t> counts(std::size_t(d.numClasses), 0);
    for (int64_t r = 0; r < d.size(); ++r) ++counts[std::size_t(d.y.i32()[r])];
    for (int c = 0; c < d.numClasses; ++c)
        if (counts[std::size_t(c)] > 0)
            out.classCounts.emplace_back(std::size_t(c) < d.classNames.size() ? q(d.classNames[std::size_t(c)]) : QString::number(c),
                                         counts[std::size_t(c)]);
}

// A built-in dataset: every split counted; images (8×8 digits, 28×28 pictures) in the grid, other
// features as a table.
void loadBuiltin(const QString& name, DatasetOverview& out) {
    const data::DatasetSplits splits = data::loadBuiltinDataset(name.toStdString());
    const data::Dataset& d = splits.train;
    out.samples = splits.train.size() + splits.validation.size() + splits.test.size();
    std::vector<int64_t> counts(std::size_t(std::max(d.numClasses, 0)), 0);
    for (const data::Dataset* part : {&splits.train, &splits.validation, &splits.test})
        for (int64_t r = 0; r < part->size() && part->isClassification(); ++r) ++counts[std::size_t(part->y.i32()[r])];
    auto className = [&](int32_t c) { return std::size_t(c) < d.classNames.size() ? q(d.classNames[std::size_t(c)]) : QString::number(c); };
    for (int c = 0; c < int(counts.size()); ++c) out.classCounts.emplace_back(className(c), counts[std::size_t(c)]);
    const Shape shape = d.featureShape();
    const int64_t features = shape.numElements();
    int side = 0, channels = 1;
    if (shape.rank() == 3) side = int(shape[0]), channels = int(shape[2]);
    else if (features == 64 || features == 784) side = features == 64 ? 8 : 28;
    if (side > 0 && !d.isStreamed() && (channels == 1 || channels == 3) && features == int64_t(side) * side * channels) {
        out.kind = DatasetOverview::Kind::Images;
        out.sizesText = QObject::tr("All %1 samples are %2×%2 (H×W)").arg(out.samples).arg(side);
        for (int64_t i : interleaved(d.size(), kGridSamples, [&](int64_t i) { return d.y.i32()[i]; })) {
            DatasetSample s;
            s.label = className(d.y.i32()[i]);
            s.pixels = Tensor(Shape{side, side, channels});
            std::copy_n(d.x.f32() + i * features, features, s.pixels.f32());
            const QImage small = imageOf(s.pixels.f32(), side, side, channels);
            s.thumbnail = small.scaled(kThumbnailSize, kThumbnailSize, Qt::KeepAspectRatio, Qt::FastTransformation);
            out.grid.push_back(std::move(s));
        }
        return;
    }
    out.kind = DatasetOverview::Kind::Table;
    for (int64_t f = 0; f < features; ++f) out.columns << QObject::tr("feature %1").arg(f + 1);
    out.columns << QObject::tr("label");
    out.labelColumn = int(features);
    for (int64_t r = 0; r < std::min<int64_t>(d.size(), kTableRows) && !d.isStreamed(); ++r) {
        QStringList row;
        for (int64_t f = 0; f < features; ++f) row << cellText(d.x.f32()[r * features + f]);
        row << (d.isClassification() ? className(d.y.i32()[r]) : QString());
        out.rows.push_back(row);
    }
}

} // namespace

DatasetOverview loadDatasetOverview(const DatasetRequest& request, DatasetProgress& progress) {
    DatasetOverview out;
    out.source = request.source;
    const std::string source = request.source.toStdString();
    try {
        if (data::isImageSource(source)) {
            const QString dir = q(data::imageFolderOf(source).string());
            out.name = QFileInfo(dir).fileName();
            loadImageFolder(dir, progress, out);
        } else if (data::isCsvSource(source)) {
            const QString path = q(data::csvPathOf(source).string());
            out.name = QFileInfo(path).fileName();
            loadTable(path, request.csvLabel, out);
        } else {
            out.name = request.source;
            loadBuiltin(request.source, out);
        }
    } catch (const std::exception& e) {
        out.error = q(e.what());
    }
    if (progress.cancel) out.cancelled = true;
    return out;
}

} // namespace strata::gui
