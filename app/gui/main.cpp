// strata [PROJECT.strata]: the editor. With no project it opens the example project (a copy in the
// user's data folder). `strata --screenshot OUT.png [--show editor|summary|train|runs|export|graph|step|evaluate] [PROJECT]`
// renders the window at 1600×1000 (--size WxH) into OUT.png and exits (train: after training the open model;
// data: the dataset view on --data SOURCE, or on the Train panel's dataset).
#include "app/gui/MainWindow.h"
#include "app/gui/Screenshot.h"
#include "app/gui/Theme.h"
#include "app/gui/project/ExampleProject.h"

#include <QApplication>
#include <QCoreApplication>
#include <QCommandLineParser>
#include <QSettings>

#include <cstdio>
#include <cstring>
#include <initializer_list>
#include <optional>

using namespace strata::gui;

namespace {

struct Options {
    QCommandLineOption screenshot{"screenshot", "Render the window at 1600x1000 (or --size) into OUT.png and exit (works "
                                                "without a display: it then renders offscreen).", "OUT.png"};
    QCommandLineOption size{"size", "With --screenshot: the window's size, e.g. 1024x700 (default 1600x1000).", "WxH"};
    QCommandLineOption show{"show",
                            "With --screenshot: what to show: editor, summary, train (the Train panel after "
                            "training the open model briefly), runs (the runs stored in the project, the two newest "
                            "compared), export (the Export Model dialog after a brief training), graph (the model "
                            "inspector's traced graph of the open model) or step "
                            "(its whole training step: loss, gradients, updates) or data (the dataset view, on --data) or "
                            "diff (two versions compared, --versions) or evaluate (the Evaluation panel on the project's "
                            "newest run) or histograms (the variables of the project's newest run: a kernel's "
                            "distribution over the epochs and its histogram).",
                            "editor|summary|train|runs|export|graph|step|data|diff|evaluate|histograms", "editor"};
    QCommandLineOption data{"data", "With --show data: the dataset to view: images:DIR, csv:PATH, a folder, a CSV file or a "
                                    "built-in dataset (default: the Train panel's).", "SOURCE"};
    QCommandLineOption versions{"versions", "With --show diff: the two versions of the open model to compare, e.g. 1,3 "
                                            "(default: the two newest).", "V1,V2"};
    QCommandLineOption theme{"theme", "system, light or dark (default: the saved choice).", "theme"};
};

void setUp(QCommandLineParser& cli, Options& o) {
    QCoreApplication::setApplicationName("strata");
    QCoreApplication::setApplicationVersion(STRATA_VERSION);
    cli.setApplicationDescription("Strata: author neural networks visually.");
    cli.addHelpOption();
    cli.addVersionOption();
    cli.addOptions({o.screenshot, o.show, o.size, o.theme, o.data, o.versions});
    cli.addPositionalArgument("project", "A .strata project to open (default: the example project).", "[PROJECT.strata]");
}

bool hasArgument(int argc, char** argv, std::initializer_list<const char*> names) {
    for (int i = 1; i < argc; ++i)
        for (const char* n : names)
            if (std::strcmp(argv[i], n) == 0 || (std::strncmp(argv[i], n, std::strlen(n)) == 0 && argv[i][std::strlen(n)] == '='))
                return true;
    return false;
}

// An unknown --show value is named (it used to render the editor silently); "" when it is known.
// --size WxH, 320..8192 each way; nullopt when malformed.
std::optional<QSize> sizeOf(const QString& text) {
    const QStringList parts = text.split(QLatin1Char('x'));
    bool okW = false, okH = false;
    const int w = parts.size() == 2 ? parts[0].toInt(&okW) : 0, h = parts.size() == 2 ? parts[1].toInt(&okH) : 0;
    if (!okW || !okH || w < 320 || h < 240 || w > 8192 || h > 8192) return std::nullopt;
    return QSize(w, h);
}

QString showProblem(const QCommandLineParser& cli, const Options& o) {
    if (cli.isSet(o.size) && !sizeOf(cli.value(o.size)))
        return QString("--size: expected WIDTHxHEIGHT between 320x240 and 8192x8192, e.g. 1024x700, got '%1'").arg(cli.value(o.size));
    if (!cli.isSet(o.show)) return {};
    const QString value = cli.value(o.show);
    if (screenshotViews().contains(value)) return {};
    return QString("--show: unknown view '%1' (known: %2)").arg(value, screenshotViews().join(", "));
}

bool hasDisplay() {
    return !qEnvironmentVariableIsEmpty("DISPLAY") || !qEnvironmentVariableIsEmpty("WAYLAND_DISPLAY") ||
           !qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM");
}

} // namespace

int main(int argc, char** argv) {
    // --help, --version and a bad option answer without a window system; a screenshot renders
    // offscreen when there is no display.
    if (hasArgument(argc, argv, {"--help", "-h", "-?", "--help-all", "--version", "-v"})) {
        QCoreApplication core(argc, argv);
        QCommandLineParser cli;
        Options o;
        setUp(cli, o);
        cli.process(core); // prints and exits
        return 0;
    }
    if (!hasDisplay()) {
        {
            QCoreApplication core(argc, argv);
            QCommandLineParser cli;
            Options o;
            setUp(cli, o);
            if (!cli.parse(QCoreApplication::arguments())) {
                std::fprintf(stderr, "strata: %s\n", qPrintable(cli.errorText()));
                return 2;
            }
            if (const QString bad = showProblem(cli, o); !bad.isEmpty()) {
                std::fprintf(stderr, "strata: %s\n", qPrintable(bad));
                return 2;
            }
        }
        if (!hasArgument(argc, argv, {"--screenshot"})) {
            std::fprintf(stderr, "strata: no display (DISPLAY and WAYLAND_DISPLAY are not set). Run it in a desktop session; on a "
                                 "server use strata-cli, or 'strata --screenshot OUT.png' to render offscreen.\n");
            return 2;
        }
        qputenv("QT_QPA_PLATFORM", "offscreen");
    }
    QApplication app(argc, argv);
    QApplication::setApplicationDisplayName("Strata");
    QApplication::setDesktopFileName("strata");
    QCommandLineParser cli;
    Options o;
    setUp(cli, o);
    cli.process(app);
    if (const QString bad = showProblem(cli, o); !bad.isEmpty()) {
        std::fprintf(stderr, "strata: %s\n", qPrintable(bad));
        return 2;
    }
    const QCommandLineOption &screenshot = o.screenshot, &show = o.show, &theme = o.theme;

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
        const QSize size = cli.isSet(o.size) ? *sizeOf(cli.value(o.size)) : QSize(1600, 1000);
        if (!renderScreenshot(window, cli.value(screenshot), cli.value(show), size.width(), size.height(), cli.value(o.data),
                              cli.value(o.versions))) {
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
