#include "app/gui/Theme.h"

#include "app/gui/canvas/CanvasStyle.h"

#include <QApplication>
#include <QPalette>
#include <QProcess>
#include <QStyle>
#include <QStyleFactory>

namespace strata::gui {

namespace {
QPalette darkPalette() {
    QPalette p;
    QColor window(0x25, 0x27, 0x2b), base(0x1c, 0x1e, 0x21), text(0xe6, 0xe8, 0xeb), muted(0x8b, 0x91, 0x99);
    p.setColor(QPalette::Window, window);
    p.setColor(QPalette::WindowText, text);
    p.setColor(QPalette::Base, base);
    p.setColor(QPalette::AlternateBase, QColor(0x23, 0x25, 0x29));
    p.setColor(QPalette::ToolTipBase, QColor(0x31, 0x34, 0x3a));
    p.setColor(QPalette::ToolTipText, text);
    p.setColor(QPalette::PlaceholderText, muted);
    p.setColor(QPalette::Text, text);
    p.setColor(QPalette::Button, QColor(0x2e, 0x31, 0x36));
    p.setColor(QPalette::ButtonText, text);
    p.setColor(QPalette::BrightText, Qt::white);
    p.setColor(QPalette::Highlight, QColor(0x2f, 0x81, 0xf7));
    p.setColor(QPalette::HighlightedText, Qt::white);
    p.setColor(QPalette::Link, QColor(0x6c, 0xa8, 0xff));
    p.setColor(QPalette::Mid, QColor(0x3a, 0x3d, 0x43));
    p.setColor(QPalette::Dark, QColor(0x18, 0x19, 0x1c));
    p.setColor(QPalette::Light, QColor(0x3a, 0x3d, 0x43));
    for (auto role : {QPalette::WindowText, QPalette::Text, QPalette::ButtonText})
        p.setColor(QPalette::Disabled, role, muted.darker(130));
    return p;
}

QPalette lightPalette() {
    QPalette p = QApplication::style()->standardPalette();
    p.setColor(QPalette::Window, QColor(0xee, 0xf0, 0xf3));
    p.setColor(QPalette::Base, Qt::white);
    p.setColor(QPalette::AlternateBase, QColor(0xf6, 0xf7, 0xf9));
    p.setColor(QPalette::Highlight, QColor(0x2f, 0x81, 0xf7));
    p.setColor(QPalette::PlaceholderText, QColor(0x6b, 0x72, 0x7b));
    return p;
}
} // namespace

bool Theme::systemPrefersDark() {
    QString gtk = qEnvironmentVariable("GTK_THEME");
    if (gtk.endsWith(":dark", Qt::CaseInsensitive)) return true;
    if (qEnvironmentVariableIsSet("STRATA_DARK")) return qEnvironmentVariable("STRATA_DARK") == "1";
    static int gnome = -1; // asked once: gsettings may be slow or absent
    if (gnome < 0) {
        gnome = 0;
        if (!qEnvironmentVariableIsEmpty("DISPLAY") || !qEnvironmentVariableIsEmpty("WAYLAND_DISPLAY")) {
            QProcess p;
            p.start("gsettings", {"get", "org.gnome.desktop.interface", "color-scheme"});
            if (p.waitForFinished(800)) gnome = p.readAllStandardOutput().contains("dark") ? 1 : 0;
        }
    }
    if (gnome == 1) return true;
    // A platform theme that already gives a dark palette.
    return QApplication::style()->standardPalette().color(QPalette::Window).lightness() < 110;
}

Theme::Mode Theme::fromString(const QString& s) {
    if (s == "light") return Mode::Light;
    if (s == "dark") return Mode::Dark;
    return Mode::System;
}

QString Theme::toString(Mode m) { return m == Mode::Light ? "light" : m == Mode::Dark ? "dark" : "system"; }

void Theme::apply(Mode mode) {
    if (QApplication::style()->name().compare("fusion", Qt::CaseInsensitive) != 0)
        QApplication::setStyle(QStyleFactory::create("Fusion"));
    bool dark = mode == Mode::Dark || (mode == Mode::System && systemPrefersDark());
    QApplication::setPalette(dark ? darkPalette() : lightPalette());
    CanvasStyle::refresh();
}

} // namespace strata::gui
