#include "app/gui/canvas/CanvasStyle.h"

#include <QGuiApplication>
#include <QPainter>
#include <QPalette>
#include <QPixmap>

namespace strata::gui {

namespace {
CanvasStyle make() {
    CanvasStyle s;
    QPalette pal = QGuiApplication::palette();
    s.dark = pal.color(QPalette::Window).lightness() < 128;
    if (s.dark) {
        s.background = QColor(0x1e, 0x20, 0x24);
        s.grid = QColor(0x2c, 0x2f, 0x35);
        s.nodeBody = QColor(0x2b, 0x2e, 0x34);
        s.nodeBorder = QColor(0x45, 0x49, 0x52);
        s.text = QColor(0xe6, 0xe8, 0xeb);
        s.mutedText = QColor(0x9a, 0xa0, 0xa8);
        s.wire = QColor(0x8a, 0x92, 0x9c);
        s.wireLabelBg = QColor(0x26, 0x29, 0x2e);
        s.portFree = QColor(0x5a, 0x60, 0x6a);
    } else {
        s.background = QColor(0xf6, 0xf7, 0xf9);
        s.grid = QColor(0xe3, 0xe6, 0xea);
        s.nodeBody = QColor(0xff, 0xff, 0xff);
        s.nodeBorder = QColor(0xc9, 0xce, 0xd6);
        s.text = QColor(0x1f, 0x23, 0x28);
        s.mutedText = QColor(0x65, 0x6d, 0x76);
        s.wire = QColor(0x7d, 0x86, 0x91);
        s.wireLabelBg = QColor(0xff, 0xff, 0xff);
        s.portFree = QColor(0xc0, 0xc6, 0xce);
    }
    s.selection = QColor(0x2f, 0x81, 0xf7);
    s.error = QColor(0xe5, 0x48, 0x4d);
    QFont base = QGuiApplication::font();
    s.titleFont = base;
    s.titleFont.setBold(true);
    s.titleFont.setPointSizeF(base.pointSizeF() * 1.0);
    s.bodyFont = base;
    s.bodyFont.setPointSizeF(base.pointSizeF() * 0.92);
    s.smallFont = base;
    s.smallFont.setPointSizeF(base.pointSizeF() * 0.82);
    return s;
}
CanvasStyle& instance() {
    static CanvasStyle s = make();
    return s;
}
} // namespace

const CanvasStyle& CanvasStyle::current() { return instance(); }
void CanvasStyle::refresh() { instance() = make(); }

QColor CanvasStyle::categoryColor(const QString& category, const QString& type) {
    if (type == "Block") return QColor(0x7c, 0x6c, 0xd8);
    if (type == "Input") return QColor(0x3f, 0x9c, 0x8f);
    if (category == "Core") return QColor(0x3d, 0x7c, 0xc9);
    if (category == "Convolution") return QColor(0xe0, 0x7b, 0x24);
    if (category == "Pooling") return QColor(0xb5, 0x6b, 0xb0);
    if (category == "Sequence") return QColor(0x5a, 0x8f, 0x3c);
    if (category == "Attention") return QColor(0x8a, 0x5c, 0xc4);
    if (category == "Normalization") return QColor(0x4f, 0xa1, 0x4a);
    if (category == "Regularization") return QColor(0x9c, 0x75, 0x5a);
    if (category == "Merge") return QColor(0x2e, 0xa6, 0xb8);
    if (category == "Activation") return QColor(0xd6, 0xa9, 0x1c);
    if (category == "Preprocessing") return QColor(0xc2, 0x5b, 0x7a);
    return QColor(0x80, 0x86, 0x8f);
}

QString CanvasStyle::typeAbbreviation(const QString& type) {
    // Capitals and digits: Conv2D -> C2, MaxPooling2D -> MP2, Dense -> D.
    QString out;
    for (QChar c : type)
        if (c.isUpper() || c.isDigit()) out += c;
    out.remove(QLatin1Char('D'), Qt::CaseSensitive);
    if (type == "Dense") out = "De";
    if (type == "Dropout") out = "Dr";
    if (type == "Add") out = "+";
    if (type == "Multiply") out = "×";
    if (type == "Concatenate") out = "⧺";
    if (type == "Input") out = "In";
    if (type == "Block") out = "{}";
    if (type == "Flatten") out = "Fl";
    if (type == "Reshape") out = "Rs";
    if (type == "Activation") out = "σ";
    if (type == "LeakyReLU") out = "LR";
    if (type == "Permute") out = "Pm";
    if (type == "Slice") out = "Sl";
    if (type == "DepthwiseConv2D") out = "DW"; // not Conv2D's C2
    if (type == "Softmax") out = "Sm";
    if (type == "PReLU") out = "PR";
    if (type == "Rescaling") out = "Sc";
    if (type == "Cropping2D") out = "Cr2"; // not Conv2D's C2
    if (type == "RandomContrast") out = "Co"; // RandomCrop keeps RC
    if (type == "Resizing") out = "Rz";
    if (type == "RandomZoom") out = "Zm";
    if (type == "Normalization") out = "No";
    if (type == "GlobalAveragePooling1D") out = "GA1"; // not GlobalAveragePooling2D's GAP
    if (type == "GlobalMaxPooling1D") out = "GM1";     // not GlobalMaxPooling2D's GMP
    if (out.isEmpty()) out = type.left(2);
    return out.left(3);
}

QIcon CanvasStyle::typeIcon(const QString& type, const QString& category) {
    QIcon icon;
    for (int size : {16, 24, 32, 48}) {
        QPixmap pm(size, size);
        pm.fill(Qt::transparent);
        QPainter p(&pm);
        p.setRenderHint(QPainter::Antialiasing);
        QColor c = categoryColor(category, type);
        p.setPen(Qt::NoPen);
        p.setBrush(c);
        p.drawRoundedRect(QRectF(0.5, 0.5, size - 1, size - 1), size * 0.22, size * 0.22);
        QFont f = QGuiApplication::font();
        QString abbr = typeAbbreviation(type);
        f.setBold(true);
        f.setPixelSize(int(size * (abbr.size() > 2 ? 0.36 : 0.5)));
        p.setFont(f);
        p.setPen(Qt::white);
        p.drawText(QRectF(0, 0, size, size), Qt::AlignCenter, abbr);
        icon.addPixmap(pm);
    }
    return icon;
}

} // namespace strata::gui
