// train::preprocessingSpec and augmentSample, the dataset view's augmentation preview: a model's
// preprocessing layers (Rescaling, and every registry type of category "Preprocessing") chained
// after an Input of the sample's shape, the other layers left out, run in training mode on one
// sample; a model without them gives the Input alone.
#include "engine/Error.h"
#include "engine/LayerRegistry.h"
#include "engine/cpu/CpuBackend.h"
#include "engine/train/AugmentationPreview.h"

#include <QtTest>

using namespace strata;

namespace {

ModelSpec spec(const std::string& layersJson) {
    return ModelSpec::fromJson(nlohmann::json::parse(R"({"format": "strata.model/1", "name": "m", "layers": )" + layersJson + "}"));
}

} // namespace

class TestAugmentationPreview : public QObject {
    Q_OBJECT
private slots:
    void rescalingIsKeptAndOtherLayersLeftOut() {
        const ModelSpec m = spec(R"([{"name": "img", "type": "Input", "config": {"shape": [4, 4, 1]}},
                                     {"name": "scale", "type": "Rescaling", "config": {"scale": 0.5, "offset": 0.25}},
                                     {"name": "flat", "type": "Flatten"},
                                     {"name": "out", "type": "Dense", "config": {"units": 2}}])");
        const ModelSpec pre = train::preprocessingSpec(m, Shape{3, 2, 1});
        QCOMPARE(pre.layers.size(), std::size_t(2));
        QCOMPARE(pre.layers[1].type, std::string("Rescaling"));
        QCOMPARE(pre.layers[0].config["shape"], nlohmann::json({3, 2, 1}));
        Tensor sample(Shape{3, 2, 1});
        for (int i = 0; i < 6; ++i) sample.f32()[i] = float(i);
        cpu::CpuBackend backend;
        const std::vector<Tensor> out = train::augmentSample(pre, sample, 3, 7, backend);
        QCOMPARE(out.size(), std::size_t(3));
        for (const Tensor& t : out) {
            QCOMPARE(t.shape(), Shape({3, 2, 1}));
            for (int i = 0; i < 6; ++i) QCOMPARE(t.f32()[i], float(i) * 0.5f + 0.25f);
        }
    }

    // Random layers draw from (seed, step): the preview gives each copy its own step, so the
    // copies differ, and the same seed gives the same copies again.
    void randomLayersGiveDifferentCopies() {
        const ModelSpec m = spec(R"([{"name": "img", "type": "Input", "config": {"shape": [6, 6, 1]}},
                                     {"name": "flip", "type": "RandomFlip", "config": {"mode": "horizontal"}},
                                     {"name": "rotate", "type": "RandomRotation", "config": {"factor": 0.2}},
                                     {"name": "flat", "type": "Flatten"},
                                     {"name": "out", "type": "Dense", "config": {"units": 2}}])");
        const ModelSpec pre = train::preprocessingSpec(m, Shape{6, 6, 1});
        QCOMPARE(pre.layers.size(), std::size_t(3));
        Tensor sample(Shape{6, 6, 1});
        for (int i = 0; i < 36; ++i) sample.f32()[i] = float(i % 6) + 0.1f * float(i / 6);
        cpu::CpuBackend backend;
        const std::vector<Tensor> a = train::augmentSample(pre, sample, 4, 11, backend);
        const std::vector<Tensor> b = train::augmentSample(pre, sample, 4, 11, backend);
        QCOMPARE(a.size(), std::size_t(4));
        int distinct = 0;
        for (std::size_t k = 0; k < a.size(); ++k) {
            QVERIFY(a[k].values().size() == b[k].values().size() && std::equal(a[k].values().begin(), a[k].values().end(), b[k].values().begin()));
            distinct += !std::equal(a[k].values().begin(), a[k].values().end(), sample.values().begin());
        }
        QVERIFY2(distinct >= 3, qPrintable(QString::number(distinct)));
    }

    void noPreprocessingGivesTheInputAlone() {
        const ModelSpec m = spec(R"([{"name": "x", "type": "Input", "config": {"shape": [4]}},
                                     {"name": "d", "type": "Dense", "config": {"units": 2}}])");
        QCOMPARE(train::preprocessingSpec(m, Shape{4}).layers.size(), std::size_t(1));
    }

    void everyPreprocessingTypeOfTheRegistryCounts() {
        for (const LayerTypeInfo& info : LayerRegistry::instance().types())
            QCOMPARE(train::isPreprocessingType(info.type), info.category == "Preprocessing" || info.type == "Rescaling");
        QVERIFY(!train::isPreprocessingType("Dense"));
        QVERIFY(!train::isPreprocessingType("NoSuchLayer"));
    }
};

QTEST_GUILESS_MAIN(TestAugmentationPreview)
#include "tst_augmentation_preview.moc"
