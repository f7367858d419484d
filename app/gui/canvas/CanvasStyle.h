// Colours and fonts of the canvas, derived from the application palette so that the editor
// follows a light or dark system theme; one colour per palette category.
#pragma once

#include <QColor>
#include <QFont>
#include <QIcon>
#include <QString>

namespace strata::gui {

struct CanvasStyle {
    bool dark = false;
    QColor background, grid, nodeBody, nodeBorder, text, mutedText, wire, wireLabelBg, selection, error, portFree;
    QFont titleFont, bodyFont, smallFont;

    static const CanvasStyle& current();
    // Re-reads the application palette (after a theme change).
    static void refresh();

    static QColor categoryColor(const QString& category, const QString& type = {});
    // "D" for Dense, "C2" for Conv2D: the abbreviation drawn on a layer's icon.
    static QString typeAbbreviation(const QString& type);
    // The palette icon of a layer type: its category colour with its abbreviation.
    static QIcon typeIcon(const QString& type, const QString& category);
};

} // namespace strata::gui
