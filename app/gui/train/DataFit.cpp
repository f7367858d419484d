#include "app/gui/train/DataFit.h"

#include "engine/Model.h"
#include "engine/data/BuiltinDatasets.h"
#include "engine/data/CsvLoader.h"
#include "engine/data/DatasetSource.h"
#include "engine/data/ImageFolder.h"

#include <QFileInfo>

#include <set>

namespace strata::gui {

namespace {

constexpr qint64 kMaxCsvBytesToCount = 32 << 20; // larger tables are not read just to count classes

QString q(const std::string& s) { return QString::fromStdString(s); }

QString shapeText(const Shape& s) {
    return QObject::tr("%1 (%2 values)").arg(q(s.toString())).arg(s.numElements());
}

} // namespace

DataFacts dataFactsOf(const QString& dataset, const QString& csvLabel) {
    DataFacts f;
    if (dataset.startsWith("csv:")) {
        const QString path = dataset.mid(4);
        f.name = QFileInfo(path).fileName();
        try {
            const data::CsvLayout layout = data::csvLayout(path.toStdString());
            if (layout.columns.size() >= 2) f.sample = Shape{int64_t(layout.columns.size()) - 1};
            if (QFileInfo(path).size() <= kMaxCsvBytesToCount)
                f.classes = data::loadCsv(path.toStdString(), data::csvOptionsFor(csvLabel.toStdString(), false)).numClasses;
        } catch (const std::exception&) { // the run names what is wrong with the table
        }
        return f;
    }
    if (dataset.startsWith("images:")) {
        const QString dir = dataset.mid(7);
        f.name = QFileInfo(dir).fileName();
        try {
            std::set<std::string> classes;
            for (const data::ImageFolderEntry& e : data::listImageFolder(dir.toStdString())) classes.insert(e.className);
            f.classes = int(classes.size());
        } catch (const std::exception&) {
        }
        return f;
    }
    f.name = dataset;
    for (const data::BuiltinDatasetInfo& info : data::listBuiltinDatasets())
        if (q(info.name) == dataset) f.sample = info.sample, f.classes = info.classes;
    return f;
}

DataFit checkDataFit(const ModelSpec& spec, const DataFacts& data, bool reconstruct) {
    DataFit fit;
    std::unique_ptr<Model> model;
    try {
        model = Model::fromSpec(spec);
    } catch (const std::exception&) {
        return fit; // the editor shows what is wrong with the model itself
    }
    if (model->inputIndices().size() != 1 || model->outputIndices().size() != 1) return fit;
    const int in = model->inputIndices()[0], out = model->outputIndices()[0];
    const Layer& input = *model->layers()[std::size_t(in)];
    const Layer& output = *model->layers()[std::size_t(out)];
    QStringList problems;
    const Shape want = model->outputShape(in).withoutFirst();
    if (data.sample && want.isFullyKnown() && want.numElements() != data.sample->numElements()) {
        problems << QObject::tr("The model's input '%1' takes %2, but %3 gives samples of %4.")
                        .arg(q(input.name()), shapeText(want), data.name, shapeText(*data.sample));
        fit.fix.push_back({input.name(), "shape", nlohmann::json(data.sample->dims())});
    }
    const Shape outShape = model->outputShape(out);
    if (!reconstruct && data.classes > 0 && outShape.rank() == 2 && outShape.back() != data.classes) {
        problems << QObject::tr("The output '%1' has %2 units, but %3 has %4 classes.")
                        .arg(q(output.name()))
                        .arg(outShape.back())
                        .arg(data.name)
                        .arg(data.classes);
        const int i = spec.indexOf(output.name());
        if (i >= 0 && spec.layers[std::size_t(i)].type == "Dense") fit.fix.push_back({output.name(), "units", data.classes});
    }
    fit.problem = problems.join(' ');
    return fit;
}

} // namespace strata::gui
