// A model spec stored in a file that claims more than memory holds (issue 19): a Dense of 2^32
// weights in a saved model's saved_model.json (its fingerprint recomputed, as a hostile writer
// would) or in a project's version. Under a 4 GiB address-space limit, predict and export refuse
// it with the model's size and its largest layer before allocating any variable (std::bad_alloc
// before), through strata-cli's own code.
#include "StorageTestUtil.h"

#include "storage/Sha256.h"

#include "tests/support/MemoryLimit.h"

#include <QTemporaryDir>
#include <QtTest>

#include <fstream>
#include <sstream>
#include <sys/resource.h>

using namespace strata;
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

testutil::CliResult strataCli(const std::vector<std::string>& args) { return testutil::runCliHere(args); }

// The spec with every Dense made 65536 units wide and the Input 65536 wide: 2^32 weights a layer.
void inflate(json& j) {
    if (j.is_object()) {
        if (j.value("type", "") == "Dense") j["config"]["units"] = 65536;
        if (j.value("type", "") == "Input") j["config"]["shape"] = {65536};
        for (auto& [k, v] : j.items()) inflate(v);
    } else if (j.is_array()) {
        for (auto& v : j) inflate(v);
    }
}

const char* kRefusal = "cannot allocate 32.00 GiB for the variables of model 'digits_mlp' (8590065664 parameters; the "
                       "largest layer, 'dense_1', has 4295032832): more than this process may use (4.00 GiB, ";

} // namespace

class TestHostileSizes : public QObject {
    Q_OBJECT
    QTemporaryDir dir_;
    std::string path(const char* name) const { return dir_.filePath(name).toStdString(); }

private slots:
    void initTestCase() {
        const auto r = strataCli({"train", testutil::examplePath("digits_mlp.json"), "--data", "digits", "--epochs", "1", "--project",
                           path("p.strata"), "--quiet"});
        QVERIFY2(r.code == 0, r.err.c_str());
        QVERIFY(strataCli({"export", path("p.strata"), "--format", "saved-model", "--out", path("sm")}).code == 0);
        std::ofstream(path("in.csv")) << "0.5\n";
        QVERIFY(strata_testsupport::limitMemory(uint64_t(4) << 30));
    }

    void aSavedModelOfTwoToTheThirtyTwoWeights() {
        const fs::path dir = path("sm");
        std::ifstream in(dir / "saved_model.json");
        json saved = json::parse(in);
        inflate(saved["spec"]);
        std::ofstream(dir / "saved_model.json") << saved.dump();
        std::ifstream fin(dir / "fingerprint.json");
        json fingerprint = json::parse(fin);
        fingerprint["spec_sha256"] = storage::Sha256::hex(saved["spec"].dump());
        std::ofstream(dir / "fingerprint.json") << fingerprint.dump();
        const auto r = strataCli({"predict", dir.string(), "--input", path("in.csv")});
        QCOMPARE(r.code, 1);
        QVERIFY2(r.err.find(kRefusal) != std::string::npos, r.err.c_str());
    }

    void aProjectVersionOfTwoToTheThirtyTwoWeights() {
        json spec;
        {
            const auto r = strataCli({"export", path("p.strata"), "--format", "saved-model", "--out", path("sm2")});
            QVERIFY2(r.code == 0, r.err.c_str());
            std::ifstream in(path("sm2") + "/saved_model.json");
            spec = json::parse(in)["spec"];
        }
        inflate(spec);
        testutil::sql(path("p.strata"), "UPDATE model_versions SET spec = '" + spec.dump() + "', spec_sha256 = '" +
                                            storage::Sha256::hex(spec.dump()) + "'");
        for (const char* format : {"onnx", "saved-model"}) {
            const auto r = strataCli({"export", path("p.strata"), "--format", format, "--out", path(format)});
            QVERIFY(r.code != 0);
            QVERIFY2(r.err.find(kRefusal) != std::string::npos, r.err.c_str());
            QVERIFY(!fs::exists(path(format)));
        }
    }
};

QTEST_GUILESS_MAIN(TestHostileSizes)
#include "tst_hostile_sizes.moc"
