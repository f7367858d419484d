// Light and dark palettes for the Fusion style. "system" follows the desktop: a dark window
// colour from the platform theme, GTK_THEME ending in ":dark", or the GNOME colour-scheme setting.
#pragma once

#include <QString>

namespace strata::gui {

class Theme {
public:
    enum class Mode { System, Light, Dark };
    static void apply(Mode mode);
    static bool systemPrefersDark();
    static Mode fromString(const QString& s);
    static QString toString(Mode m);
};

} // namespace strata::gui
