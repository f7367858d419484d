// Deeply nested JSON in what storage reads (issue 19): a saved model's index and saved_model.json,
// and project rows (a version's spec, a run's hyper-parameters, a checkpoint's metrics and a
// variable's shape) are refused with a message naming the file, row or key, not a stack overflow.
#include "StorageTestUtil.h"

#include "engine/Model.h"
#include "storage/CheckpointStore.h"
#include "storage/Project.h"
#include "storage/SavedModel.h"
#include "storage/Sqlite.h"
#include "storage/StorageError.h"

#include <QTemporaryDir>
#include <QtTest>

#include <fstream>

using namespace strata;
using namespace strata::storage;
namespace fs = std::filesystem;

namespace {
std::string nested(std::size_t levels) { return std::string(levels, '[') + std::string(levels, ']'); }

std::string errorOf(const std::function<void()>& f) {
    try {
        f();
    } catch (const std::exception& e) {
        return e.what();
    }
    return "(no error)";
}

const char* kSpec = R"({"format": "strata.model/1", "name": "m", "layers": [
    {"name": "x", "type": "Input", "config": {"shape": [3]}}, {"name": "d", "type": "Dense", "config": {"units": 2}}]})";
} // namespace

class TestHostileJson : public QObject {
    Q_OBJECT
    QTemporaryDir dir_;
    fs::path path(const std::string& name) const { return fs::path(dir_.path().toStdString()) / name; }

private slots:
    void savedModelFilesNestedTooDeep_data() {
        QTest::addColumn<QString>("file");
        QTest::newRow("index") << "variables/variables.index";
        QTest::newRow("saved_model.json") << "saved_model.json";
    }
    void savedModelFilesNestedTooDeep() {
        QFETCH(QString, file);
        auto m = Model::fromSpec(ModelSpec::parse(kSpec, "spec"));
        m->build(0);
        const fs::path dir = path("saved_" + file.toStdString().substr(0, 5));
        writeSavedModel(*m, dir);
        std::ofstream(dir / file.toStdString()) << nested(50000);
        const std::string e = errorOf([&] { SavedModel::load(dir); });
        QVERIFY2(e.find((dir / file.toStdString()).string() + ": JSON nested 50000 levels deep") != std::string::npos, e.c_str());
    }

    void projectRowsNestedTooDeep() {
        const fs::path file = path("p.strata");
        {
            Project p = Project::open(file, OpenMode::Create);
            p.saveVersion("m", ModelSpec::parse(kSpec, "spec"), nlohmann::json::object(), "v1");
        }
        {
            Database db(file, false, false);
            Statement s(db, "UPDATE model_versions SET layout = ?", "test");
            s.bindText(1, nested(50000));
            s.run();
        }
        const Project p = Project::open(file, OpenMode::ReadOnly);
        const std::string e = errorOf([&] { p.versions(p.models().at(0).id); });
        QVERIFY2(e.find(file.string() + " is corrupted: the canvas layout of") != std::string::npos && e.find("JSON nested 50000 levels deep") != std::string::npos,
                 e.c_str());
    }
};

QTEST_GUILESS_MAIN(TestHostileJson)
#include "tst_hostile_json.moc"
