// Light and dark palettes for the Fusion style. "system" follows the desktop: a dark window
// colour from the platform theme, GTK_THEME ending in ":dark", or the GNOME colour-scheme setting.
#pragma once

#include <QIcon>
#include <QString>

namespace strata::gui {

class Theme {
public:
    enum class Mode { System, Light, Dark };
    static void apply(Mode mode);
    static bool systemPrefersDark();
    static Mode fromString(const QString& s);
    static QString toString(Mode m);

    // Toolbar icons drawn in the application palette's colours at the time they are painted, so
    // that they stay visible in the dark theme (the style's play and maximise icons are black).
    enum class Glyph { Train, Stop, Fit };
    static QIcon icon(Glyph g);
};

} // namespace strata::gui
