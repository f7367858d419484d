// strata-bench-editor: one edit (add a node and connect it) on a generated model of N layers,
// through the graph model, the engine's shape inference, the scene sync and a synchronous repaint
// of the canvas. Prints one JSON line with the times (ms) and peak RSS, like strata-bench.
//   strata-bench-editor [--layers 500] [--repeats 50]     (QT_QPA_PLATFORM=offscreen works)
#include "app/gui/canvas/GraphScene.h"
#include "app/gui/canvas/GraphView.h"
#include "app/gui/canvas/NodeItem.h"
#include "app/gui/model/AutoLayout.h"
#include "app/gui/project/Document.h"

#include <QApplication>
#include <QElapsedTimer>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include <sys/resource.h>

using namespace strata;
using namespace strata::gui;

namespace {
// A residual MLP: Input, then blocks of Dense -> Dense -> Add(skip) -> LayerNormalization.
ModelSpec generated(int layers) {
    ModelSpec spec;
    spec.name = "generated";
    spec.layers.push_back(layerEntry("x", "Input", {{"shape", {64}}}));
    std::string last = "x";
    int i = 0;
    while (int(spec.layers.size()) < layers) {
        std::string a = "dense_" + std::to_string(i++), b = "dense_" + std::to_string(i++);
        std::string add = "add_" + std::to_string(i), norm = "norm_" + std::to_string(i);
        spec.layers.push_back(layerEntry(a, "Dense", {{"units", 64}, {"activation", "relu"}}, {last}));
        spec.layers.push_back(layerEntry(b, "Dense", {{"units", 64}}, {a}));
        spec.layers.push_back(layerEntry(add, "Add", nlohmann::json::object(), {b, last}));
        spec.layers.push_back(layerEntry(norm, "LayerNormalization", nlohmann::json::object(), {add}));
        last = norm;
    }
    spec.layers.resize(std::size_t(layers));
    normalizeInputsOutputs(spec);
    return spec;
}

double percentile(std::vector<double> v, double p) {
    std::sort(v.begin(), v.end());
    return v[std::min(v.size() - 1, std::size_t(p * double(v.size() - 1) + 0.5))];
}
} // namespace

int main(int argc, char** argv) {
    int layers = 500, repeats = 50;
    for (int i = 1; i + 1 < argc; ++i) {
        if (!std::strcmp(argv[i], "--layers")) layers = std::atoi(argv[++i]);
        else if (!std::strcmp(argv[i], "--repeats")) repeats = std::atoi(argv[++i]);
    }
    QApplication app(argc, argv);
    Document doc;
    doc.setModel(generated(layers), {}, false);
    GraphScene scene(doc.model(), doc.editor());
    GraphView view(&scene);
    view.resize(1600, 1000);
    view.show();
    QApplication::processEvents();

    auto run = [&](const char* label, double zoom) {
        if (zoom > 0) {
            view.setZoom(zoom);
            view.centerOn(scene.node(doc.model()->spec().layers.back().name));
        } else {
            view.fitAll();
        }
        view.viewport()->repaint();
        std::vector<double> ms;
        const std::string tail = doc.model()->spec().layers.back().name;
        const QPointF at = doc.model()->position(tail) + QPointF(260, 0);
        for (int r = 0; r < repeats; ++r) {
            QElapsedTimer t;
            t.start();
            std::string added;
            doc.editor()->addNode("Dense", at, &added);
            doc.editor()->connect(tail, added, 0);
            double editMs = double(t.nsecsElapsed()) / 1e6;
            view.viewport()->repaint(); // synchronous: the frame is painted when this returns
            ms.push_back(double(t.nsecsElapsed()) / 1e6);
            if (qEnvironmentVariableIsSet("STRATA_BENCH_VERBOSE"))
                std::fprintf(stderr, "edit %.2f ms, paint %.2f ms\n", editMs, ms.back() - editMs);
            doc.undoStack()->undo();
            doc.undoStack()->undo();
            view.viewport()->repaint();
        }
        std::printf("\"%s\": {\"median_ms\": %.3f, \"p95_ms\": %.3f, \"max_ms\": %.3f}", label, percentile(ms, 0.5),
                    percentile(ms, 0.95), *std::max_element(ms.begin(), ms.end()));
        return percentile(ms, 0.5);
    };

    // Shape inference alone, for comparison.
    QElapsedTimer ti;
    ti.start();
    for (int r = 0; r < repeats; ++r) (void)ShapeInference::run(doc.model()->state().spec);
    double inferenceMs = double(ti.nsecsElapsed()) / 1e6 / repeats;

    std::printf("{\"bench\": \"editor-edit\", \"layers\": %d, \"repeats\": %d, \"inference_ms\": %.3f, ", layers, repeats,
                inferenceMs);
    double medianZoomed = run("zoom_100", 1.0);
    std::printf(", ");
    double medianFit = run("fit_all", 0);
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    // The target is on the median: p95 on a shared machine measures its other load as much as the editor.
    double worst = std::max(medianZoomed, medianFit);
    std::printf(", \"target_ms\": 16, \"pass\": %s, \"peak_rss_mb\": %.1f}\n", worst < 16 ? "true" : "false",
                double(ru.ru_maxrss) / 1024.0);
    return worst < 16 ? 0 : 1;
}
