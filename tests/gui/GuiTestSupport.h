// Shared helpers of the GUI suites: example specs, a small editor (model, undo stack, scene, view)
// without a main window, and isolated settings/data folders so tests never touch the user's.
#pragma once

#include "app/gui/canvas/GraphScene.h"
#include "app/gui/canvas/GraphView.h"
#include "app/gui/model/GraphEditor.h"
#include "app/gui/project/Document.h"

#include "engine/ModelSpec.h"

#include <QApplication>
#include <QMouseEvent>
#include <QStandardPaths>
#include <QTest>
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

// Where a scene point is on the view's viewport.
inline QPoint viewPos(GraphView& v, QPointF scenePos) { return v.mapFromScene(scenePos); }

// A press-move-release on the view's viewport, as a person drags.
inline void dragOnViewport(GraphView& v, QPoint from, QPoint to) {
    QTest::mousePress(v.viewport(), Qt::LeftButton, {}, from);
    QPoint mid = (from + to) / 2;
    QMouseEvent move1(QEvent::MouseMove, mid, v.viewport()->mapToGlobal(mid), Qt::NoButton, Qt::LeftButton, {});
    QApplication::sendEvent(v.viewport(), &move1);
    QMouseEvent move2(QEvent::MouseMove, to, v.viewport()->mapToGlobal(to), Qt::NoButton, Qt::LeftButton, {});
    QApplication::sendEvent(v.viewport(), &move2);
    QTest::mouseRelease(v.viewport(), Qt::LeftButton, {}, to);
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
