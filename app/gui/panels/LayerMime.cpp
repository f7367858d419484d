#include "app/gui/panels/LayerMime.h"

#include <QMimeData>

namespace strata::gui {

QMimeData* LayerMime::create(const QString& layerType) {
    auto* mime = new QMimeData;
    mime->setData(kType, layerType.toUtf8());
    mime->setText(layerType);
    return mime;
}

bool LayerMime::hasLayerType(const QMimeData* mime) { return mime && mime->hasFormat(kType); }

QString LayerMime::layerType(const QMimeData* mime) {
    return hasLayerType(mime) ? QString::fromUtf8(mime->data(kType)) : QString();
}

} // namespace strata::gui
