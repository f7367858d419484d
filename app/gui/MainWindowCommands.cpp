// MainWindow: what its File, Edit and Model commands do, recent files, autosave and recovery.
#include "app/gui/MainWindow.h"
#include "engine/JsonDepth.h"

#include "app/gui/canvas/GraphScene.h"
#include "app/gui/canvas/GraphView.h"
#include "app/gui/canvas/NodeItem.h"
#include "app/gui/project/Document.h"
#include "app/gui/project/RecoveryFile.h"
#include "app/gui/project/SaveAsQuestion.h"
#include "app/gui/train/TrainPanel.h"
#include "app/gui/train/WeightsKeeper.h"
#include "storage/onnx/OnnxImport.h"
#include "storage/VariableSource.h"

#include <QAction>
#include <QApplication>
#include <QClipboard>
#include <QCloseEvent>
#include <QFileDialog>
#include <QFileInfo>
#include <QInputDialog>
#include <QMenu>
#include <QMessageBox>
#include <QMimeData>
#include <QSettings>
#include <QTimer>
#include <QStatusBar>
#include <QUndoStack>

namespace strata::gui {

namespace {
constexpr const char* kClipMime = "application/x-strata-layers";
constexpr int kMaxRecent = 10;
} // namespace

void MainWindow::showError(const QString& what, const std::exception& e) {
    statusBar()->showMessage(what + ": " + QString::fromUtf8(e.what()), 10000);
    if (interactive_) QMessageBox::warning(this, what, QString::fromUtf8(e.what()));
}

bool MainWindow::maybeSave() {
    if (!doc_->isDirty() || !interactive_) return true;
    const QString model = QString::fromStdString(doc_->modelName());
    const QString question = doc_->holdsUnsavedRuns()
                                 ? tr("The model '%1' was never saved. Its runs stay in %2 (File > Open Recent) if you "
                                      "discard it. Save the model and its runs in a project now?")
                                       .arg(model, doc_->filePath())
                                 : tr("The model '%1' has unsaved changes. Save them as a new version?").arg(model);
    auto answer = QMessageBox::question(this, tr("Unsaved changes"), question,
                                        QMessageBox::Save | QMessageBox::Discard | QMessageBox::Cancel, QMessageBox::Save);
    if (answer == QMessageBox::Cancel) return false;
    if (answer == QMessageBox::Save) return save();
    return true;
}

bool MainWindow::openProject(const QString& path) {
    try {
        doc_->openProject(path);
    } catch (const std::exception& e) {
        showError(tr("Could not open %1").arg(QFileInfo(path).fileName()), e);
        return false;
    }
    addRecent(QFileInfo(path).absoluteFilePath());
    view_->showReadable();
    if (const ProjectStore* store = doc_->store(); store && store->readOnly()) // stays until the next message
        statusBar()->showMessage(tr("Opened %1 read-only: %2. Save As keeps changes in another file.").arg(path, store->readOnlyReason()));
    else
        statusBar()->showMessage(tr("Opened %1").arg(path), 5000);
    return true;
}

void MainWindow::newModel() {
    if (!maybeSave()) return;
    bool ok = true;
    QString name = interactive_ ? QInputDialog::getText(this, tr("New model"), tr("Model name:"), QLineEdit::Normal, "model", &ok)
                                : QStringLiteral("model");
    if (!ok || name.trimmed().isEmpty()) return;
    doc_->newModel(name.trimmed().toStdString());
    view_->showReadable();
}

void MainWindow::open() {
    if (!maybeSave()) return;
    QString path = QFileDialog::getOpenFileName(this, tr("Open project"), QString(), tr("Strata projects (*.strata)"));
    if (!path.isEmpty()) openProject(path);
}

bool MainWindow::save() {
    if (!doc_->store() || doc_->holdsUnsavedRuns()) return saveAs(); // Save adopts a never-saved model's runs
    bool ok = true;
    QString note = interactive_ ? QInputDialog::getText(this, tr("Save version"), tr("Note for this version (optional):"),
                                                        QLineEdit::Normal, QString(), &ok)
                                : QString();
    if (!ok) return false;
    try {
        VersionInfo v = doc_->save(note.toStdString());
        recovery_->remove();
        const QString weights = saveWeightsWithVersion(*doc_, *train_, v); // "" when the project has them
        statusBar()->showMessage(tr("Saved version %1 of %2 %3").arg(v.number).arg(QString::fromStdString(doc_->modelName()), weights).trimmed(),
                                 5000);
        return true;
    } catch (const std::exception& e) {
        showError(tr("Could not save"), e);
        return false;
    }
}

bool MainWindow::saveAs() {
    // Our own question for a file that exists (saveAsFile): the dialog's "replace?" would promise a
    // replacement where the answer may be to add the model to that project.
    const QString path = QFileDialog::getSaveFileName(this, tr("Save project as"), QString::fromStdString(doc_->modelName()) + ".strata",
                                                      tr("Strata projects (*.strata)"), nullptr, QFileDialog::DontConfirmOverwrite);
    return !path.isEmpty() && saveAsFile(path);
}

bool MainWindow::saveAsFile(QString path) {
    if (!path.endsWith(".strata")) path += ".strata";
    const QString name = QFileInfo(path).fileName();
    auto onto = Document::OntoExisting::Replace;
    // A file that exists and is not the open project's own (saving there is a plain save).
    const bool other = QFileInfo::exists(path) && !(doc_->store() && QFileInfo(doc_->filePath()) == QFileInfo(path));
    if (other) {
        const SaveAsQuestion q = saveAsQuestion(path, ProjectStore::summarize(path), doc_->modelName(), doc_->filePath());
        const SaveAsAnswer answer = saveAsAnswer_ ? saveAsAnswer_(q) : interactive_ ? askSaveAs(this, q) : SaveAsAnswer::Cancel;
        if (answer == SaveAsAnswer::Cancel || (answer == SaveAsAnswer::AddTo && !q.canAddTo)) {
            statusBar()->showMessage(tr("Not saved: %1 is left as it was").arg(name), 5000);
            return false;
        }
        if (answer == SaveAsAnswer::AddTo) onto = Document::OntoExisting::AddTo;
    }
    try {
        const VersionInfo v = doc_->saveAs(path, {}, onto);
        recovery_->remove();
        addRecent(QFileInfo(path).absoluteFilePath());
        // A replaced file's version ids start over: weights marked as stored in the old file are not in the new.
        if (other && onto == Document::OntoExisting::Replace && train_->weightsStoredIn(path, v.id)) train_->setWeightsStoredIn({}, 0);
        const QString weights = saveWeightsWithVersion(*doc_, *train_, v);
        const QString what = onto == Document::OntoExisting::AddTo ? tr("Added %1 to %2 as version %3")
                             : other                               ? tr("Replaced %2 with %1, version %3")
                                                                   : tr("Saved %1 in %2 as version %3");
        statusBar()->showMessage((what.arg(QString::fromStdString(doc_->modelName()), name).arg(v.number) + " " + weights).trimmed(), 5000);
        return true;
    } catch (const std::exception& e) {
        showError(tr("Could not save"), e);
        return false;
    }
}

void MainWindow::importSpec() {
    if (!maybeSave()) return;
    QString path = QFileDialog::getOpenFileName(this, tr("Import model spec"), QString(), tr("Model specs (*.json)"));
    if (path.isEmpty()) return;
    try {
        doc_->importSpec(path);
        view_->showReadable();
    } catch (const std::exception& e) {
        showError(tr("Could not import"), e);
    }
}

void MainWindow::importOnnx() {
    if (!maybeSave()) return;
    const QString path = QFileDialog::getOpenFileName(this, tr("Import ONNX model"), QString(), tr("ONNX models (*.onnx)"));
    if (!path.isEmpty()) importOnnxFile(path);
}

bool MainWindow::importOnnxFile(const QString& path) {
    try {
        const storage::ImportedModel imported = storage::importOnnxFile(path.toStdString());
        std::map<std::string, Tensor> weights;
        const std::string suffix = storage::kValueSuffix;
        for (const auto& [key, value] : imported.variables) weights[key.substr(0, key.size() - suffix.size())] = value;
        doc_->importModelSpec(imported.spec);
        train_->adoptWeights(doc_->model()->state().spec, std::move(weights));
        view_->showReadable();
        statusBar()->showMessage(tr("Imported %1 (%n layer(s)); Export Model uses its weights", nullptr, int(imported.spec.layers.size()))
                                     .arg(QFileInfo(path).fileName()),
                                 8000);
        return true;
    } catch (const std::exception& e) {
        showError(tr("Could not import"), e);
        return false;
    }
}

void MainWindow::exportSpec() {
    QString path = QFileDialog::getSaveFileName(this, tr("Export model spec"), QString::fromStdString(doc_->modelName()) + ".json",
                                                tr("Model specs (*.json)"));
    if (path.isEmpty()) return;
    try {
        doc_->exportSpec(path);
        statusBar()->showMessage(tr("Exported %1").arg(path), 5000);
    } catch (const std::exception& e) {
        showError(tr("Could not export"), e);
    }
}

void MainWindow::deleteSelection() {
    QString why = doc_->editor()->deleteItems(scene_->selectedLayers(), scene_->selectedWires());
    if (!why.isEmpty()) statusBar()->showMessage(why, 8000);
}

void MainWindow::copySelection() {
    auto sel = scene_->selectedLayers();
    if (sel.empty()) return;
    auto* mime = new QMimeData;
    std::string text = doc_->editor()->copy(sel).dump();
    mime->setData(kClipMime, QByteArray::fromStdString(text));
    mime->setText(QString::fromStdString(text));
    QApplication::clipboard()->setMimeData(mime);
    statusBar()->showMessage(tr("Copied %n layer(s)", nullptr, int(sel.size())), 3000);
}

void MainWindow::cutSelection() {
    copySelection();
    deleteSelection();
}

void MainWindow::paste() {
    const QMimeData* mime = QApplication::clipboard()->mimeData();
    if (!mime) return;
    QByteArray bytes = mime->hasFormat(kClipMime) ? mime->data(kClipMime) : mime->text().toUtf8();
    if (const std::string deep = jsonDepthProblem(std::string_view(bytes.constData(), std::size_t(bytes.size()))); !deep.empty())
        return statusBar()->showMessage(tr("Paste refused: the clipboard holds %1").arg(QString::fromStdString(deep)), 5000);
    auto clip = nlohmann::json::parse(bytes.begin(), bytes.end(), nullptr, false);
    std::vector<std::string> created;
    QString why = doc_->editor()->paste(clip, std::nullopt, &created);
    if (!why.isEmpty()) return statusBar()->showMessage(why, 5000);
    scene_->selectLayers(created);
}

void MainWindow::duplicateSelection() {
    std::vector<std::string> created;
    QString why = doc_->editor()->duplicate(scene_->selectedLayers(), &created);
    if (!why.isEmpty()) return statusBar()->showMessage(why, 5000);
    scene_->selectLayers(created);
}

void MainWindow::groupSelection() {
    std::string block;
    QString why = doc_->editor()->groupIntoBlock(scene_->selectedLayers(), &block);
    if (!why.isEmpty()) return statusBar()->showMessage(tr("Not grouped: %1").arg(why), 8000);
    scene_->selectLayers({block});
}

void MainWindow::ungroupSelection() {
    auto sel = scene_->selectedLayers();
    if (sel.size() != 1) return statusBar()->showMessage(tr("Select one block to ungroup"), 5000);
    std::vector<std::string> created;
    QString why = doc_->editor()->ungroup(sel.front(), &created);
    if (!why.isEmpty()) return statusBar()->showMessage(tr("Not ungrouped: %1").arg(why), 8000);
    scene_->selectLayers(created);
}

void MainWindow::openSelectedBlock() {
    auto sel = scene_->selectedLayers();
    if (sel.size() != 1 || !doc_->model()->openBlock(sel.front()))
        statusBar()->showMessage(tr("Select one block to open"), 5000);
}

void MainWindow::autoLayout(std::optional<Flow> flow) {
    doc_->editor()->autoLayout(flow, QSizeF(view_->viewport()->size()));
    view_->showReadable();
}

void MainWindow::addRecent(const QString& path) {
    QSettings s;
    QStringList recent = s.value("recentFiles").toStringList();
    recent.removeAll(path);
    recent.prepend(path);
    while (recent.size() > kMaxRecent) recent.removeLast();
    s.setValue("recentFiles", recent);
    rebuildRecentMenu();
}

void MainWindow::rebuildRecentMenu() {
    if (!recentMenu_) return;
    recentMenu_->clear();
    const QStringList recent = QSettings().value("recentFiles").toStringList();
    for (const QString& path : recent) {
        QAction* a = recentMenu_->addAction(QFileInfo(path).fileName());
        a->setToolTip(path);
        a->setStatusTip(path);
        connect(a, &QAction::triggered, this, [this, path] {
            if (maybeSave()) openProject(path);
        });
    }
    recentMenu_->setEnabled(!recent.isEmpty());
}

void MainWindow::setAutosaveInterval(int ms) {
    autosave_->setInterval(ms);
    autosave_->start();
}

void MainWindow::autosaveNow() {
    if (!doc_->isDirty()) return;
    Recovery r{doc_->filePath(), doc_->modelName(), doc_->model()->state().spec, doc_->layout(), {}};
    if (recovery_->write(r)) statusBar()->showMessage(tr("Autosaved unsaved changes"), 2000);
}

void MainWindow::offerRecovery() {
    auto r = recovery_->read();
    if (!r) return;
    auto answer = QMessageBox::question(this, tr("Recover unsaved changes?"),
                                        tr("Strata did not close cleanly. Unsaved changes to the model '%1' from %2 were "
                                           "kept. Recover them?")
                                            .arg(QString::fromStdString(r->model), r->savedAt),
                                        QMessageBox::Yes | QMessageBox::Discard, QMessageBox::Yes);
    if (answer == QMessageBox::Yes) {
        if (!r->projectPath.isEmpty() && QFileInfo::exists(r->projectPath)) openProject(r->projectPath);
        doc_->setModel(r->spec, r->layout, true);
        view_->showReadable();
        statusBar()->showMessage(tr("Recovered unsaved changes; save them to keep them"), 8000);
    }
    recovery_->remove();
}

void MainWindow::closeEvent(QCloseEvent* e) {
    if (!maybeSave()) {
        e->ignore();
        return;
    }
    train_->stopAndWait(); // a run in progress ends after its current step
    QSettings s;
    s.setValue("window/geometry", saveGeometry());
    s.setValue("window/state", saveState());
    recovery_->remove(); // a clean exit
    e->accept();
}

} // namespace strata::gui
