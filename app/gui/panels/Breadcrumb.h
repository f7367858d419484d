// The path of open blocks above the canvas: "model › encoder › inner"; each part opens that level.
#pragma once

#include <QWidget>

class QHBoxLayout;

namespace strata::gui {

class GraphModel;

class Breadcrumb : public QWidget {
    Q_OBJECT
public:
    explicit Breadcrumb(GraphModel* model, QWidget* parent = nullptr);
    QStringList parts() const;

public slots:
    void refresh();

private:
    GraphModel* model_;
    QHBoxLayout* layout_;
};

} // namespace strata::gui
