// The example project a first start opens: built from the model specs in resources/examples
// into the user's data folder, so the shipped files are never changed.
#pragma once

#include <QString>

namespace strata::gui {

class ExampleProject {
public:
    // resources/ ($STRATA_RESOURCES, then <prefix>/share/strata beside the executable, the
    // install prefix, the source tree); empty when none holds examples/.
    static QString resourcesDir();
    // The user's copy (created on first use): <data folder>/examples.strata. Throws StrataError.
    static QString ensureUserCopy();
    // Builds a project holding every examples/*.json at `path` (which must not exist).
    static void build(const QString& examplesDir, const QString& path);
};

} // namespace strata::gui
