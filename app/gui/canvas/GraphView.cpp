#include "app/gui/canvas/GraphView.h"

#include "app/gui/canvas/CanvasStyle.h"
#include "app/gui/canvas/GraphScene.h"
#include "app/gui/canvas/NodeItem.h"
#include "app/gui/panels/LayerMime.h"

#include <QDragEnterEvent>
#include <QFontMetricsF>
#include <QMimeData>
#include <QScrollBar>
#include <QWheelEvent>

namespace strata::gui {

namespace {
constexpr double kMinZoom = 0.08, kMaxZoom = 3.0;
}

GraphView::GraphView(GraphScene* scene, QWidget* parent) : QGraphicsView(scene, parent), scene_(scene) {
    setRenderHints(QPainter::Antialiasing | QPainter::TextAntialiasing);
    setDragMode(QGraphicsView::RubberBandDrag);
    setRubberBandSelectionMode(Qt::IntersectsItemShape);
    setViewportUpdateMode(QGraphicsView::MinimalViewportUpdate);
    setTransformationAnchor(QGraphicsView::NoAnchor);
    setResizeAnchor(QGraphicsView::AnchorViewCenter);
    setAcceptDrops(true);
    setFrameShape(QFrame::NoFrame);
    setSceneRect(-50000, -50000, 100000, 100000);
    setFocusPolicy(Qt::StrongFocus);
}

void GraphView::setZoom(double z) {
    z = std::clamp(z, kMinZoom, kMaxZoom);
    QPointF center = mapToScene(viewport()->rect().center());
    setTransform(QTransform::fromScale(z, z));
    centerOn(center);
}

void GraphView::zoomBy(double factor, QPointF viewAnchor) {
    double z = std::clamp(zoom() * factor, kMinZoom, kMaxZoom);
    factor = z / zoom();
    QPointF before = mapToScene(viewAnchor.toPoint());
    scale(factor, factor);
    // Keep the scene point under the anchor where it was.
    QPointF delta = mapFromScene(before) - viewAnchor;
    horizontalScrollBar()->setValue(horizontalScrollBar()->value() + int(std::round(delta.x())));
    verticalScrollBar()->setValue(verticalScrollBar()->value() + int(std::round(delta.y())));
}

void GraphView::zoomIn() { zoomBy(1.25, viewport()->rect().center()); }
void GraphView::zoomOut() { zoomBy(0.8, viewport()->rect().center()); }

void GraphView::fitRect(const QRectF& r, double maxZoom) {
    if (r.isEmpty()) {
        setTransform(QTransform());
        centerOn(0, 0);
        return;
    }
    QRectF padded = r.adjusted(-60, -60, 60, 60);
    double z = std::min(viewport()->width() / padded.width(), viewport()->height() / padded.height());
    z = std::clamp(z, kMinZoom, maxZoom);
    setTransform(QTransform::fromScale(z, z));
    centerOn(r.center());
}

void GraphView::fitAll() {
    scene_->ensureSynced();
    QRectF r;
    for (const auto& [name, n] : scene_->nodes()) r |= n->sceneBoundingRect();
    for (NodeItem* g : scene_->ghosts()) r |= g->sceneBoundingRect(); // removed layers, when comparing
    fitRect(r, 1.25);
}

double GraphView::readableZoom() const {
    return kReadableTextPx / QFontMetricsF(CanvasStyle::current().bodyFont).height();
}

void GraphView::showReadable() {
    fitAll();
    const double z = readableZoom();
    if (zoom() >= z) return;
    scene_->ensureSynced();
    QRectF r;
    for (const auto& [name, n] : scene_->nodes()) r |= n->sceneBoundingRect();
    setTransform(QTransform::fromScale(z, z));
    const QPointF half(viewport()->width() / (2 * z), viewport()->height() / (2 * z));
    centerOn(r.topLeft() - QPointF(40, 40) + half);
}

void GraphView::focusSelection() {
    QRectF r;
    for (auto* item : scene_->selectedItems()) r |= item->sceneBoundingRect();
    if (r.isEmpty()) return fitAll();
    fitRect(r, 1.5);
}

void GraphView::paintEvent(QPaintEvent* e) {
    scene_->ensureSynced(); // a frame never shows a model older than the one edited
    QGraphicsView::paintEvent(e);
}

void GraphView::wheelEvent(QWheelEvent* e) {
    if (e->modifiers() & Qt::ShiftModifier) return QGraphicsView::wheelEvent(e);
    double steps = e->angleDelta().y() / 120.0;
    if (steps == 0) return;
    zoomBy(std::pow(1.15, steps), e->position());
    e->accept();
}

void GraphView::mousePressEvent(QMouseEvent* e) {
    if (e->button() == Qt::MiddleButton || (e->button() == Qt::LeftButton && spaceHeld_)) {
        panning_ = true;
        panFrom_ = e->pos();
        viewport()->setCursor(Qt::ClosedHandCursor);
        e->accept();
        return;
    }
    QGraphicsView::mousePressEvent(e);
}

void GraphView::mouseMoveEvent(QMouseEvent* e) {
    if (panning_) {
        QPoint d = e->pos() - panFrom_;
        panFrom_ = e->pos();
        horizontalScrollBar()->setValue(horizontalScrollBar()->value() - d.x());
        verticalScrollBar()->setValue(verticalScrollBar()->value() - d.y());
        e->accept();
        return;
    }
    QGraphicsView::mouseMoveEvent(e);
}

void GraphView::mouseReleaseEvent(QMouseEvent* e) {
    if (panning_) {
        panning_ = false;
        viewport()->setCursor(spaceHeld_ ? Qt::OpenHandCursor : Qt::ArrowCursor);
        e->accept();
        return;
    }
    QGraphicsView::mouseReleaseEvent(e);
}

void GraphView::keyPressEvent(QKeyEvent* e) {
    if (e->key() == Qt::Key_Space && !e->isAutoRepeat()) {
        spaceHeld_ = true;
        viewport()->setCursor(Qt::OpenHandCursor);
        return;
    }
    QGraphicsView::keyPressEvent(e);
}

void GraphView::keyReleaseEvent(QKeyEvent* e) {
    if (e->key() == Qt::Key_Space && !e->isAutoRepeat()) {
        spaceHeld_ = false;
        viewport()->setCursor(Qt::ArrowCursor);
        return;
    }
    QGraphicsView::keyReleaseEvent(e);
}

void GraphView::dragEnterEvent(QDragEnterEvent* e) {
    // Only layers from the palette can be dropped on the canvas.
    if (LayerMime::hasLayerType(e->mimeData())) e->acceptProposedAction();
    else e->ignore();
}

void GraphView::dragMoveEvent(QDragMoveEvent* e) {
    if (LayerMime::hasLayerType(e->mimeData())) e->acceptProposedAction();
    else e->ignore();
}

void GraphView::dropEvent(QDropEvent* e) {
    QString type = LayerMime::layerType(e->mimeData());
    if (type.isEmpty()) return e->ignore();
    std::string created;
    QString why = scene_->editor()->addNode(type.toStdString(), mapToScene(e->position().toPoint()), &created);
    if (!why.isEmpty()) {
        emit scene_->statusMessage(why);
        e->ignore();
        return;
    }
    e->acceptProposedAction();
    scene_->selectLayers({created});
    emit layerDropped(type, created);
}

} // namespace strata::gui
