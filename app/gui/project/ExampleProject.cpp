#include "app/gui/project/ExampleProject.h"

#include "app/gui/model/AutoLayout.h"
#include "app/gui/model/GraphState.h"
#include "app/gui/project/ProjectStore.h"

#include "engine/Error.h"

#include <QCoreApplication>
#include <QDir>
#include <QFileInfo>
#include <QStandardPaths>

namespace strata::gui {

QString ExampleProject::resourcesDir() {
    QStringList candidates;
    if (QString env = qEnvironmentVariable("STRATA_RESOURCES"); !env.isEmpty()) candidates << env;
    candidates << QCoreApplication::applicationDirPath() + "/../share/strata" << QStringLiteral(STRATA_INSTALL_DATADIR)
               << QStringLiteral(STRATA_SOURCE_RESOURCES);
    for (const QString& c : candidates)
        if (QFileInfo(c + "/examples").isDir()) return QDir(c).absolutePath();
    return {};
}

void ExampleProject::build(const QString& examplesDir, const QString& path) {
    QDir dir(examplesDir);
    QStringList files = dir.entryList({"*.json"}, QDir::Files, QDir::Name);
    // The two-branch model last: a project opens on the model saved last.
    if (files.removeOne("two_branch.json")) files.append("two_branch.json");
    QString partial = path + ".partial";
    QFile::remove(partial);
    {
        auto store = ProjectStore::open(partial, true);
        for (const QString& f : files) {
            ModelSpec spec = ModelSpec::load(dir.filePath(f).toStdString());
            GraphState s;
            s.spec = spec;
            AutoLayout::fillMissing(spec, s.positions);
            store->save(spec.name, spec, s.layoutJson(), "example shipped with Strata");
        }
    }
    QFile::remove(partial + "-wal");
    QFile::remove(partial + "-shm");
    if (!QFile::rename(partial, path)) throw StrataError(path.toStdString() + ": cannot create the example project");
}

QString ExampleProject::ensureUserCopy() {
    QString data = QStandardPaths::writableLocation(QStandardPaths::AppDataLocation);
    QDir().mkpath(data);
    QString path = data + "/examples.strata";
    if (QFileInfo::exists(path)) return path;
    QString res = resourcesDir();
    if (res.isEmpty()) throw StrataError("the example models were not found (set STRATA_RESOURCES to Strata's resources folder)");
    build(res + "/examples", path);
    return path;
}

} // namespace strata::gui
