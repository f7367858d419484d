// A checkpoint row whose shape claims far more than its blob holds (issue 19): 1G elements over a
// few bytes allocated 4 GB before the length was compared. Under a 1 GiB address-space limit the
// read is refused by name before any allocation.
#include "engine/ModelSpec.h"
#include "storage/CheckpointStore.h"
#include "storage/Project.h"
#include "storage/Sqlite.h"
#include "storage/StorageError.h"

#include "tests/support/MemoryLimit.h"

#include <QTemporaryDir>
#include <QtTest>

using namespace strata;
using namespace strata::storage;

class TestHostileCheckpoint : public QObject {
    Q_OBJECT
    QTemporaryDir dir_;

private slots:
    void aShapeBeyondTheStoredBytesIsRefusedBeforeAllocating() {
        const std::filesystem::path file = dir_.filePath("p.strata").toStdString();
        int64_t id = 0;
        {
            Project p = Project::open(file, OpenMode::Create);
            const ModelVersion v = p.saveVersion("m", ModelSpec::parse(R"({"format": "strata.model/1", "name": "m", "layers": [
                {"name": "x", "type": "Input", "config": {"shape": [2]}}, {"name": "d", "type": "Dense", "config": {"units": 1}}]})", "spec"),
                                                 nlohmann::json::object(), "v1");
            CheckpointMeta meta;
            meta.modelVersionId = v.id;
            meta.keep = true;
            CheckpointWriter w(p, meta);
            w.add("model/d/kernel/.ATTRIBUTES/VARIABLE_VALUE", Tensor::fromVector(Shape{2, 1}, std::vector<float>{1.0f, 2.0f}));
            id = w.commit();
        }
        {
            Database db(file, false, false);
            db.exec("UPDATE checkpoint_variables SET shape = '[1073741824]', num_bytes = 4294967296", "test");
        }
        QVERIFY(strata_testsupport::limitMemory(uint64_t(1) << 30));
        const Project p = Project::open(file, OpenMode::ReadOnly);
        const CheckpointReader reader(p, id);
        try {
            reader.read(reader.entries().at(0));
            QFAIL("read");
        } catch (const StorageError& e) {
            QVERIFY2(std::string(e.what()).find("is corrupted: variable 'model/d/kernel/.ATTRIBUTES/VARIABLE_VALUE' of") != std::string::npos &&
                         std::string(e.what()).find("has 8 bytes stored, its shape needs 4294967296") != std::string::npos,
                     e.what());
        }
    }
};

QTEST_GUILESS_MAIN(TestHostileCheckpoint)
#include "tst_hostile_checkpoint.moc"
