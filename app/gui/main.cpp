// strata [PROJECT.strata]: the editor. With no project it opens the example project (a copy in the
// user's data folder). `strata --screenshot OUT.png [--show editor|summary|train|runs|export|graph|step] [PROJECT]`
// renders the window at 1600×1000 into OUT.png and exits (train: after training the open model).
#include "app/gui/MainWindow.h"
#include "app/gui/Screenshot.h"
#include "app/gui/Theme.h"
#include "app/gui/project/ExampleProject.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QSettings>

#include <cstdio>

using namespace strata::gui;

int main(int argc, char** argv) {
    QApplication app(argc, argv);
    QApplication::setApplicationName("strata");
    QApplication::setApplicationDisplayName("Strata");
    QApplication::setApplicationVersion(STRATA_VERSION);
    QApplication::setDesktopFileName("strata");

    QCommandLineParser cli;
    cli.setApplicationDescription("Strata: author neural networks visually.");
    cli.addHelpOption();
    cli.addVersionOption();
    QCommandLineOption screenshot("screenshot", "Render the window at 1600x1000 into OUT.png and exit.", "OUT.png");
    QCommandLineOption show("show", "With --screenshot: what to show: editor, summary, train (the Train panel after "
                            "training the open model briefly), runs (the runs stored in the project), export (the Export "
                            "Model dialog after a brief training), graph (the model inspector's traced graph of the open model) or step "
                            "(its whole training step: loss, gradients, updates).",
                            "editor|summary|train|runs|export|graph|step", "editor");
    QCommandLineOption theme("theme", "system, light or dark (default: the saved choice).", "theme");
    cli.addOptions({screenshot, show, theme});
    cli.addPositionalArgument("project", "A .strata project to open (default: the example project).", "[PROJECT.strata]");
    cli.process(app);

    QString themeName = cli.isSet(theme) ? cli.value(theme) : QSettings().value("theme", "system").toString();
    Theme::apply(Theme::fromString(themeName));

    MainWindow window;
    QString project = cli.positionalArguments().value(0);
    const bool shot = cli.isSet(screenshot);
    if (project.isEmpty()) {
        try {
            project = ExampleProject::ensureUserCopy();
        } catch (const std::exception& e) {
            std::fprintf(stderr, "strata: %s\n", e.what());
        }
    }
    if (!project.isEmpty()) {
        window.setInteractive(!shot);
        if (!window.openProject(project) && shot) {
            std::fprintf(stderr, "strata: cannot open %s\n", qPrintable(project));
            return 1;
        }
    }
    if (shot) {
        if (!renderScreenshot(window, cli.value(screenshot), cli.value(show))) {
            std::fprintf(stderr, "strata: cannot write %s\n", qPrintable(cli.value(screenshot)));
            return 1;
        }
        return 0;
    }
    window.setInteractive(true);
    window.show();
    window.offerRecovery();
    return app.exec();
}
