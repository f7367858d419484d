// Data files whose few bytes claim a lot (issue 19), under a 1 GiB address-space limit: a CSV of
// 44 bytes whose class label is 40,000,000 made one vector per possible class (2 GB) while
// splitting, before any check. Now the split groups only the classes present, and the label is
// refused against the model by Trainer::checkData.
#include "engine/Error.h"
#include "engine/data/DatasetSource.h"
#include "tests/support/AddressSpaceLimit.h"

#include <QTemporaryDir>
#include <QtTest>

#include <fstream>

using namespace strata;

class TestHostileData : public QObject {
    Q_OBJECT
    QTemporaryDir dir_;

private slots:
    void initTestCase() {
        QVERIFY(test::limitAddressSpace(rlim_t(1) << 30)); // none under ASan (tests/support/AddressSpaceLimit.h)
    }

    void aHugeClassLabelCostsNothing() {
        const std::string file = dir_.filePath("huge_label.csv").toStdString();
        std::ofstream(file) << "a,b,y\n1,2,0\n3,4,1\n5,6,40000000\n7,8,1\n9,1,0\n2,2,1\n";
        const data::DatasetSplits s = data::loadDataSource({"csv:" + file, {}, false, false});
        const int64_t total = s.train.size() + s.validation.size() + s.test.size();
        QCOMPARE(total, int64_t(6));
        int classes = std::max({s.train.numClasses, s.validation.numClasses, s.test.numClasses});
        QCOMPARE(classes, 40000001);
    }
};

QTEST_GUILESS_MAIN(TestHostileData)
#include "tst_hostile_data.moc"
