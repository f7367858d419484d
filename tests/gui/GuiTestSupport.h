// Shared helpers of the GUI suites: example specs, a small editor (model, undo stack, scene, view)
// without a main window, and isolated settings/data folders so tests never touch the user's.
#pragma once

#include "app/gui/canvas/GraphScene.h"
#include "app/gui/canvas/GraphView.h"
#include "app/gui/model/GraphEditor.h"
#include "app/gui/project/Document.h"

#include "engine/ModelSpec.h"

#include <QStandardPaths>
#include <QString>
#include <QTemporaryDir>
#include <QUndoStack>

#include <memory>

namespace strata::gui::test {

inline QString resources() {
    QString env = qEnvironmentVariable("STRATA_RESOURCES");
    return env.isEmpty() ? QStringLiteral(STRATA_TEST_RESOURCES) : env;
}

inline ModelSpec example(const QString& name) {
    return ModelSpec::load((resources() + "/examples/" + name + ".json").toStdString());
}

// Settings and data folders under a temporary folder (call before QApplication exists).
inline void isolateUserFolders() {
    static QTemporaryDir home;
    qputenv("XDG_CONFIG_HOME", (home.path() + "/config").toUtf8());
    qputenv("XDG_DATA_HOME", (home.path() + "/data").toUtf8());
    qputenv("XDG_CACHE_HOME", (home.path() + "/cache").toUtf8());
    QStandardPaths::setTestModeEnabled(true);
}

// A document with its canvas, shown at a fixed size.
struct Editor {
    Document doc;
    GraphScene scene{doc.model(), doc.editor()};
    GraphView view{&scene};

    explicit Editor(const ModelSpec* spec = nullptr) {
        if (spec) doc.setModel(*spec, {}, false);
        view.resize(1000, 700);
        view.show();
    }
    GraphModel* model() { return doc.model(); }
    GraphEditor* editor() { return doc.editor(); }
    QUndoStack* undo() { return doc.undoStack(); }
};

} // namespace strata::gui::test
