#include "app/gui/project/SaveAsQuestion.h"

#include <QCoreApplication>
#include <QFileInfo>
#include <QMessageBox>
#include <QPushButton>

#include <algorithm>

namespace strata::gui {

namespace {

QString tr(const char* text) { return QCoreApplication::translate("SaveAsQuestion", text); }

QString count(int n, const char* none, const char* one, const char* many) {
    return n == 0 ? tr(none) : n == 1 ? tr(one) : tr(many).arg(n);
}
QString models(int n) { return count(n, "no models", "1 model", "%1 models"); }
QString runs(int n) { return count(n, "no runs", "1 run", "%1 runs"); }

QString quoted(const std::string& name) { return QStringLiteral("'%1'").arg(QString::fromStdString(name)); }

} // namespace

SaveAsQuestion saveAsQuestion(const QString& path, const ProjectFileSummary& existing, const std::string& model,
                              const QString& openProject) {
    SaveAsQuestion q;
    q.file = path;
    const QString file = QFileInfo(path).fileName();
    const QString name = quoted(model);
    const bool unsaved = openProject.isEmpty();
    q.canAddTo = unsaved && existing.project;
    const QString replaced = unsaved ? tr("Replace: the file then holds %1 alone").arg(name)
                                     : tr("Replace: the file becomes a copy of %1 with this version of %2")
                                           .arg(QFileInfo(openProject).fileName(), name);
    if (!existing.project) {
        q.text = tr("%1 already exists and is not a readable Strata project: %2").arg(file, existing.problem);
        q.details = replaced + tr("; what the file holds now is deleted.");
        return q;
    }
    const int modelCount = int(existing.modelNames.size());
    q.text = tr("%1 already exists (a Strata project with %2, %3).").arg(file, models(modelCount), runs(existing.runs));
    QStringList lines;
    if (q.canAddTo) {
        const auto& names = existing.modelNames;
        if (std::find(names.begin(), names.end(), model) != names.end())
            lines << tr("Add to it: the project has a model %1 already, and yours becomes its newest version; its other "
                        "models and its runs stay.")
                         .arg(name);
        else
            lines << tr("Add to it: %1 becomes one more model of that project; its %2 and %3 stay.")
                         .arg(name, models(modelCount), runs(existing.runs));
    }
    lines << replaced + tr("; its %1 and %2 are deleted.").arg(models(modelCount), runs(existing.runs));
    q.details = lines.join("\n\n");
    return q;
}

SaveAsAnswer askSaveAs(QWidget* parent, const SaveAsQuestion& question) {
    QMessageBox box(QMessageBox::Warning, tr("Save As"), question.text, QMessageBox::NoButton, parent);
    box.setInformativeText(question.details);
    QPushButton* add = question.canAddTo ? box.addButton(tr("Add to it"), QMessageBox::AcceptRole) : nullptr;
    QPushButton* replace = box.addButton(tr("Replace"), QMessageBox::DestructiveRole);
    QPushButton* cancel = box.addButton(QMessageBox::Cancel);
    box.setDefaultButton(cancel);
    box.setEscapeButton(cancel);
    box.exec();
    if (add && box.clickedButton() == add) return SaveAsAnswer::AddTo;
    if (box.clickedButton() == replace) return SaveAsAnswer::Replace;
    return SaveAsAnswer::Cancel;
}

} // namespace strata::gui
