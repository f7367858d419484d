// The canvas view: wheel zoom under the cursor, pan (middle button, or Space + drag), rubber-band
// selection, fit to view and focus on the selection; accepts layers dragged from the palette.
#pragma once

#include <QGraphicsView>

namespace strata::gui {

class GraphScene;

class GraphView : public QGraphicsView {
    Q_OBJECT
public:
    explicit GraphView(GraphScene* scene, QWidget* parent = nullptr);

    GraphScene* graphScene() const { return scene_; }
    double zoom() const { return transform().m11(); }
    static constexpr double kReadableTextPx = 10; // the body font's line height on screen, at least
    double readableZoom() const;                  // the zoom giving the body font that height
    void setZoom(double z);
    void zoomBy(double factor, QPointF viewAnchor);

public slots:
    void fitAll();          // Ctrl+0
    // What a model opens at: the whole graph when its node text is then at least
    // kReadableTextPx high, else that zoom on the start of the model (its top-left).
    void showReadable();
    void focusSelection();  // F
    void zoomIn();
    void zoomOut();

signals:
    void layerDropped(const QString& type, const std::string& created);

protected:
    void paintEvent(QPaintEvent* e) override;
    void wheelEvent(QWheelEvent* e) override;
    void mousePressEvent(QMouseEvent* e) override;
    void mouseMoveEvent(QMouseEvent* e) override;
    void mouseReleaseEvent(QMouseEvent* e) override;
    void keyPressEvent(QKeyEvent* e) override;
    void keyReleaseEvent(QKeyEvent* e) override;
    void dragEnterEvent(QDragEnterEvent* e) override;
    void dragMoveEvent(QDragMoveEvent* e) override;
    void dropEvent(QDropEvent* e) override;

private:
    void fitRect(const QRectF& r, double maxZoom);
    GraphScene* scene_;
    bool panning_ = false, spaceHeld_ = false;
    QPoint panFrom_;
};

} // namespace strata::gui
