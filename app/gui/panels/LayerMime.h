// The drag-and-drop form of a palette entry: a layer type under Strata's own MIME type.
#pragma once

#include <QString>

class QMimeData;

namespace strata::gui {

struct LayerMime {
    static constexpr const char* kType = "application/x-strata-layer-type";
    static QMimeData* create(const QString& layerType);
    static bool hasLayerType(const QMimeData* mime);
    static QString layerType(const QMimeData* mime); // empty when absent
};

} // namespace strata::gui
