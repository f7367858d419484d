// The diff of two model specs (engine/SpecDiff.h): layers matched by name, added / removed /
// changed with the keys that differ and the parameter counts, inbound changes of functional
// models, renames as removed + added, defaults spelled out as no change, blocks diffed by path.
#include "engine/SpecDiff.h"

#include <QtTest>

using namespace strata;
using nlohmann::json;

namespace {
json exampleJson(const char* name) {
    const ModelSpec spec = ModelSpec::load(std::string(STRATA_TEST_DATA_DIR) + "/../../resources/examples/" + name);
    return spec.toJson();
}

json& layerNamed(json& spec, const std::string& name) {
    for (auto& l : spec["layers"])
        if (l["name"] == name) return l;
    qFatal("no layer %s", name.c_str());
}

// The paths of the entries that are not unchanged, as "+path", "-path", "~path".
QStringList marks(const SpecDiff& d) {
    QStringList out;
    for (const auto& l : d.layers) {
        if (l.status == DiffStatus::Unchanged) continue;
        const char* m = l.status == DiffStatus::Added ? "+" : l.status == DiffStatus::Removed ? "-" : "~";
        out << QString(m) + QString::fromStdString(l.path);
    }
    return out;
}
} // namespace

class TestSpecDiff : public QObject {
    Q_OBJECT
private slots:
    void identicalSpecsHaveNoDifference() {
        const ModelSpec a = ModelSpec::fromJson(exampleJson("two_branch.json"));
        const SpecDiff d = SpecDiff::compute(a, a);
        QVERIFY(d.empty());
        QCOMPARE(d.count(DiffStatus::Unchanged), int(a.layers.size()));
        QCOMPARE(d.totalsBefore->total(), d.totalsAfter->total());
    }

    void oneLayerAddedAndOneChangedAreExactlyThose() {
        json v1 = exampleJson("digits_mlp.json");
        json v2 = v1;
        layerNamed(v2, "dense_1")["config"]["units"] = 64;
        // a Dropout between dense_1 and probs
        v2["layers"].insert(v2["layers"].begin() + 2, json{{"name", "drop"}, {"type", "Dropout"}, {"config", {{"rate", 0.3}}}, {"inbound", {"dense_1"}}});
        layerNamed(v2, "probs")["inbound"] = {"drop"};
        const SpecDiff d = SpecDiff::compute(ModelSpec::fromJson(v1), ModelSpec::fromJson(v2));
        QCOMPARE(marks(d), (QStringList{"~dense_1", "+drop"}));
        const LayerDiff* dense = d.find("dense_1");
        QCOMPARE(dense->changes.size(), std::size_t(1));
        QCOMPARE(QString::fromStdString(dense->changes[0].key), QString("units"));
        QCOMPARE(dense->changes[0].before.get<int>(), 32);
        QCOMPARE(dense->changes[0].after.get<int>(), 64);
        QCOMPARE(dense->paramsBefore->total(), int64_t(64 * 32 + 32));
        QCOMPARE(dense->paramsAfter->total(), int64_t(64 * 64 + 64));
        QVERIFY(!d.find("drop")->paramsBefore);
        QCOMPARE(d.find("drop")->paramsAfter->total(), int64_t(0));
        QCOMPARE(d.find("probs")->status, DiffStatus::Unchanged); // a Sequential model: order is the wiring
        QCOMPARE(d.find("probs")->paramsAfter->total(), int64_t(64 * 10 + 10));
        QCOMPARE(d.totalsBefore->total(), int64_t(2410));
        QCOMPARE(d.totalsAfter->total(), int64_t(64 * 64 + 64 + 650));

        const QString text = QString::fromStdString(d.format("v1", "v2"));
        QVERIFY2(text.contains("~ dense_1 (Dense): units 32 → 64; params 2,080 → 4,160\n"), qPrintable(text));
        QVERIFY2(text.contains("+ drop (Dropout); params — → 0\n"), qPrintable(text));
        QVERIFY2(text.contains("Total params: 2,410 → 4,810 (+2,400)\n"), qPrintable(text));
        QVERIFY2(text.contains("1 added, 0 removed, 1 changed, 2 unchanged\n"), qPrintable(text));
        // probs keeps its settings, but its input widened: its weights no longer fit, and the diff says so
        // on a line of its own, not as a change.
        QVERIFY(d.find("probs")->inputChanged());
        QVERIFY(!d.find("dense_1")->inputChanged() && !d.find("drop")->inputChanged() && !d.find("pixels")->inputChanged());
        QVERIFY2(text.contains("Parameters changed with their input (settings unchanged): probs 330 → 650\n"), qPrintable(text));
        QVERIFY2(!text.contains("~ probs") && !text.contains("+ probs"), qPrintable(text));
        QCOMPARE(d.toJson()["layers"][3]["input_changed"].get<bool>(), true);
        QCOMPARE(d.toJson()["layers"][3]["path"].get<std::string>(), std::string("probs"));
    }

    void functionalInboundChangesAreReported() {
        json v1 = exampleJson("two_branch.json");
        json v2 = v1;
        layerNamed(v2, "merged")["inbound"] = {"deep_2", "wide"}; // the branches swapped
        const SpecDiff d = SpecDiff::compute(ModelSpec::fromJson(v1), ModelSpec::fromJson(v2));
        QCOMPARE(marks(d), QStringList{"~merged"});
        const ValueChange& c = d.find("merged")->changes.at(0);
        QCOMPARE(QString::fromStdString(c.key), QString("inbound"));
        QCOMPARE(QString::fromStdString(c.before.dump()), QString(R"(["wide","deep_2"])"));
        QCOMPARE(QString::fromStdString(c.after.dump()), QString(R"(["deep_2","wide"])"));
        QVERIFY(QString::fromStdString(d.format("v1", "v2")).contains(R"(~ merged (Concatenate): inbound ["wide","deep_2"] → ["deep_2","wide"])"));
    }

    void aRenameIsRemovedPlusAdded() {
        json v1 = exampleJson("two_branch.json");
        json v2 = v1;
        layerNamed(v2, "wide")["name"] = "broad";
        layerNamed(v2, "merged")["inbound"] = {"broad", "deep_2"};
        const SpecDiff d = SpecDiff::compute(ModelSpec::fromJson(v1), ModelSpec::fromJson(v2));
        // the removed layer stands where it stood: after "features", the layer before it
        QCOMPARE(marks(d), (QStringList{"-wide", "+broad", "~merged"}));
        QCOMPARE(d.find("wide")->paramsBefore->total(), int64_t(64 * 32 + 32));
        QVERIFY(!d.find("wide")->paramsAfter);
    }

    void defaultsSpelledOutAreNoChange() {
        json v1 = exampleJson("digits_mlp.json");
        json v2 = v1;
        layerNamed(v2, "dense_1")["config"]["use_bias"] = true;
        layerNamed(v2, "dense_1")["config"]["trainable"] = true;
        layerNamed(v2, "probs")["config"]["kernel_initializer"] = "he_normal";
        const SpecDiff d = SpecDiff::compute(ModelSpec::fromJson(v1), ModelSpec::fromJson(v2));
        QCOMPARE(marks(d), QStringList{"~probs"});
        QCOMPARE(QString::fromStdString(d.find("probs")->changedKeys()), QString("kernel_initializer"));
    }

    void typeChangeAndRemovalAtTheStart() {
        json v1 = exampleJson("digits_mlp.json");
        json v2 = v1;
        layerNamed(v2, "dense_1")["type"] = "Activation";
        layerNamed(v2, "dense_1")["config"] = {{"activation", "relu"}};
        const SpecDiff d = SpecDiff::compute(ModelSpec::fromJson(v1), ModelSpec::fromJson(v2));
        const LayerDiff* l = d.find("dense_1");
        QCOMPARE(l->status, DiffStatus::Changed);
        QCOMPARE(QString::fromStdString(l->changes.at(0).key), QString("type"));
        QVERIFY(QString::fromStdString(d.format("a", "b")).contains("~ dense_1 (Dense → Activation): "));
        QCOMPARE(d.toJson()["layers"][1]["type_before"].get<std::string>(), std::string("Dense"));
    }

    void blocksAreDiffedInsideByPath() {
        json v1 = exampleJson("autoencoder.json");
        json v2 = v1;
        json* block = nullptr;
        for (auto& l : v2["layers"])
            if (l["type"] == "Block") {
                block = &l;
                break;
            }
        QVERIFY(block);
        json& inner = (*block)["config"]["spec"]["layers"];
        std::string changed;
        for (auto& l : inner)
            if (l["type"] == "Dense") {
                l["config"]["activation"] = "tanh";
                changed = l["name"].get<std::string>();
                break;
            }
        QVERIFY(!changed.empty());
        const std::string blockName = (*block)["name"].get<std::string>();
        const SpecDiff d = SpecDiff::compute(ModelSpec::fromJson(v1), ModelSpec::fromJson(v2));
        const QString path = QString::fromStdString(blockName + "/" + changed);
        QCOMPARE(marks(d), (QStringList{"~" + QString::fromStdString(blockName), "~" + path}));
        const LayerDiff* b = d.find(blockName);
        QVERIFY(b->insideChanged);
        QVERIFY(b->changes.empty()); // the nested spec is not one big "spec" change
        const LayerDiff* in = d.find(path.toStdString());
        QCOMPARE(in->depth, 1);
        QCOMPARE(QString::fromStdString(in->changes.at(0).key), QString("activation"));
        QVERIFY(in->paramsBefore && in->paramsAfter);
        QCOMPARE(in->paramsBefore->total(), in->paramsAfter->total());
    }

    void aBrokenSpecStillDiffs() { // a version with an error: its counts are unknown, not wrong
        json v1 = exampleJson("digits_mlp.json");
        json v2 = v1;
        layerNamed(v2, "dense_1")["config"]["units"] = -3;
        const SpecDiff d = SpecDiff::compute(ModelSpec::fromJson(v1), ModelSpec::fromJson(v2));
        QCOMPARE(marks(d), QStringList{"~dense_1"});
        QVERIFY(!d.find("dense_1")->paramsAfter);
        QVERIFY(!d.totalsAfter);
        QVERIFY(d.toJson()["total_params_after"].is_null());
        QVERIFY(QString::fromStdString(d.format("v1", "v2")).contains("Total params: 2,410 → —"));
    }

    void modelLevelChanges() {
        json v1 = exampleJson("digits_mlp.json");
        json v2 = v1;
        v2["name"] = "digits_wide";
        const SpecDiff d = SpecDiff::compute(ModelSpec::fromJson(v1), ModelSpec::fromJson(v2));
        QCOMPARE(d.modelChanges.size(), std::size_t(1));
        QVERIFY(!d.empty());
        QVERIFY(QString::fromStdString(d.format("v1", "v2")).contains(R"(model name: "digits_mlp" → "digits_wide")"));
    }
};

QTEST_GUILESS_MAIN(TestSpecDiff)
#include "tst_specdiff.moc"
