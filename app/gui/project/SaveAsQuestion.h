// Save As onto a file that exists: what the person is asked before it is replaced or added to.
// The file dialog's own "replace?" is off (it would promise a replacement that adding to a project
// is not); this question says what the file holds and what each answer does.
//
//   const SaveAsQuestion q = saveAsQuestion(path, ProjectStore::summarize(path), "digits_mlp", doc->filePath());
//   switch (askSaveAs(window, q)) { case SaveAsAnswer::AddTo: ... }
#pragma once

#include "app/gui/project/ProjectStore.h"

#include <QString>

#include <string>

class QWidget;

namespace strata::gui {

enum class SaveAsAnswer { AddTo, Replace, Cancel };

struct SaveAsQuestion {
    QString file;          // the path chosen
    QString text;          // "work.strata already exists (a Strata project with 2 models, 1 run)."
    QString details;       // what each answer does
    bool canAddTo = false; // offered for an unsaved model and a readable project only
};

// model: the name the document saves under; openProject: the open project's file (empty: unsaved).
SaveAsQuestion saveAsQuestion(const QString& path, const ProjectFileSummary& existing, const std::string& model,
                              const QString& openProject);

// A message box with "Add to it" (when offered), "Replace" and "Cancel"; Cancel is the default.
SaveAsAnswer askSaveAs(QWidget* parent, const SaveAsQuestion& question);

} // namespace strata::gui
