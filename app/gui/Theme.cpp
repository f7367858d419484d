#include "app/gui/Theme.h"

#include "app/gui/canvas/CanvasStyle.h"

#include <QApplication>
#include <QIconEngine>
#include <QPainter>
#include <QPalette>
#include <QPolygonF>
#include <QProcess>
#include <QStyle>
#include <QStyleFactory>

#include <algorithm>

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

namespace {
class GlyphEngine : public QIconEngine {
public:
    explicit GlyphEngine(Theme::Glyph g) : glyph_(g) {}
    QIconEngine* clone() const override { return new GlyphEngine(glyph_); }
    QPixmap pixmap(const QSize& size, QIcon::Mode mode, QIcon::State state) override {
        QPixmap pm(size);
        pm.fill(Qt::transparent);
        QPainter p(&pm);
        paint(&p, QRect(QPoint(0, 0), size), mode, state);
        return pm;
    }
    void paint(QPainter* p, const QRect& rect, QIcon::Mode mode, QIcon::State) override {
        const QPalette pal = QApplication::palette();
        const bool dark = pal.window().color().lightness() < 128;
        const bool off = mode == QIcon::Disabled;
        const QColor muted = pal.color(QPalette::Disabled, QPalette::WindowText);
        const double s = std::min(rect.width(), rect.height());
        const QRectF r(rect.x() + (rect.width() - s) / 2, rect.y() + (rect.height() - s) / 2, s, s);
        p->save();
        p->setRenderHint(QPainter::Antialiasing);
        switch (glyph_) {
        case Theme::Glyph::Train: { // a play triangle
            QPolygonF tri({r.topLeft() + QPointF(s * 0.22, s * 0.14), r.topLeft() + QPointF(s * 0.86, s * 0.5),
                           r.topLeft() + QPointF(s * 0.22, s * 0.86)});
            p->setPen(Qt::NoPen);
            p->setBrush(off ? muted : dark ? QColor(0x51, 0xcf, 0x66) : QColor(0x2f, 0x9e, 0x44));
            p->drawPolygon(tri);
            break;
        }
        case Theme::Glyph::Stop:
            p->setPen(Qt::NoPen);
            p->setBrush(off ? muted : dark ? QColor(0xff, 0x6b, 0x6b) : QColor(0xe0, 0x31, 0x31));
            p->drawRoundedRect(r.adjusted(s * 0.2, s * 0.2, -s * 0.2, -s * 0.2), s * 0.08, s * 0.08);
            break;
        case Theme::Glyph::Fit: { // four corners around a box
            const QColor ink = off ? muted : pal.color(QPalette::WindowText);
            QPen pen(ink, std::max(1.5, s * 0.1), Qt::SolidLine, Qt::SquareCap, Qt::MiterJoin);
            p->setPen(pen);
            p->setBrush(Qt::NoBrush);
            const QRectF f = r.adjusted(s * 0.12, s * 0.12, -s * 0.12, -s * 0.12);
            const double c = s * 0.25;
            p->drawPolyline(QPolygonF({f.topLeft() + QPointF(0, c), f.topLeft(), f.topLeft() + QPointF(c, 0)}));
            p->drawPolyline(QPolygonF({f.topRight() - QPointF(c, 0), f.topRight(), f.topRight() + QPointF(0, c)}));
            p->drawPolyline(QPolygonF({f.bottomLeft() - QPointF(0, c), f.bottomLeft(), f.bottomLeft() + QPointF(c, 0)}));
            p->drawPolyline(QPolygonF({f.bottomRight() - QPointF(c, 0), f.bottomRight(), f.bottomRight() - QPointF(0, c)}));
            p->setPen(Qt::NoPen);
            p->setBrush(ink);
            p->drawRect(r.adjusted(s * 0.36, s * 0.36, -s * 0.36, -s * 0.36));
            break;
        }
        }
        p->restore();
    }

private:
    Theme::Glyph glyph_;
};
} // namespace

QIcon Theme::icon(Glyph g) { return QIcon(new GlyphEngine(g)); }

} // namespace strata::gui
