// storage/Sqlite: bound text is copied when bound, so a temporary string (the dataset's
// created_at was bindText(6, utcNow())) reaches the row intact even when its memory is reused
// before the statement runs. Under SQLITE_STATIC the row held freed heap bytes.
#include "storage/Sqlite.h"

#include <QTemporaryDir>
#include <QtTest>

#include <string>
#include <vector>

using namespace strata::storage;

class TestSqlite : public QObject {
    Q_OBJECT
private slots:
    void boundTemporaryTextIsCopied() {
        QTemporaryDir dir;
        Database db(std::filesystem::path(dir.path().toStdString()) / "t.db", false, true);
        db.exec("CREATE TABLE t(v TEXT)");
        const std::string want = std::string(200, 'a') + "2026-12-04T00:00:00.000Z";
        {
            Statement ins(db, "INSERT INTO t(v) VALUES(?)", "test insert");
            ins.bindText(1, std::string(want)); // a temporary, gone after this line
            std::vector<std::string> reuse(64, std::string(want.size(), 'z')); // takes the freed memory back
            ins.run();
            QCOMPARE(reuse.size(), std::size_t(64));
        }
        Statement sel(db, "SELECT v FROM t", "test select");
        QVERIFY(sel.step());
        QCOMPARE(sel.columnText(0), want);
    }
};

QTEST_GUILESS_MAIN(TestSqlite)
#include "tst_sqlite.moc"
