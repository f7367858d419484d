#include "app/gui/train/WeightsKeeper.h"

#include "app/gui/project/Document.h"
#include "app/gui/project/VersionWeights.h"
#include "app/gui/train/TrainPanel.h"

namespace strata::gui {

QString saveWeightsWithVersion(const Document& doc, TrainPanel& train, const VersionInfo& saved) {
    const ModelSpec& spec = doc.model()->state().spec;
    const auto* weights = train.trainedWeights(spec);
    if (!weights || doc.filePath().isEmpty() || train.weightsStoredIn(doc.filePath(), saved.id)) return {};
    const int64_t id = storeVersionWeights(doc.filePath(), saved.id, *weights);
    train.setWeightsStoredIn(doc.filePath(), saved.id);
    return QObject::tr("with its weights (checkpoint %1)").arg(id);
}

QString adoptVersionWeights(const Document& doc, TrainPanel& train) {
    if (doc.filePath().isEmpty() || !doc.version()) return {};
    const ModelSpec& spec = doc.model()->state().spec;
    const int64_t version = doc.version()->id;
    if (train.trainedWeights(spec)) {
        if (train.weightsStoredIn(doc.filePath(), version)) return {}; // these already
        if (!train.weightsStored()) return {}; // fresh weights of this very spec: kept, Save stores them
    }
    const auto stored = latestVersionWeights(doc.filePath(), version);
    if (!stored) return {};
    train.adoptWeights(spec, stored->values, doc.filePath(), version);
    return QObject::tr("with the weights of checkpoint %1").arg(stored->checkpointId);
}

} // namespace strata::gui
