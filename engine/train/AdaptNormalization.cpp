#include "engine/train/AdaptNormalization.h"

#include "engine/Error.h"
#include "engine/Variable.h"
#include "engine/cpu/CpuBackend.h"
#include "engine/layers/FeatureNormalization.h"
#include "engine/train/Tracer.h"

#include <algorithm>
#include <cstring>
#include <set>

namespace strata::train {

namespace {

const layers::FeatureNormalization* adapting(const Layer* l) {
    const auto* n = dynamic_cast<const layers::FeatureNormalization*>(l);
    return n && n->adapts() ? n : nullptr;
}

// The spec of the model that computes layer `index`'s (one) input: the layers it depends on.
ModelSpec inputSpec(const Model& model, int index) {
    const Layer& target = *model.layers()[std::size_t(index)];
    const auto& in = model.inbound(index);
    if (in.size() != 1) throw StrataError("layer '" + target.name() + "': Normalization takes one input");
    std::set<int> needed;
    std::vector<int> todo{in[0]};
    while (!todo.empty()) {
        const int i = todo.back();
        todo.pop_back();
        if (!needed.insert(i).second) continue;
        const Layer& l = *model.layers()[std::size_t(i)];
        if (!l.variables().empty())
            throw StrataError("layer '" + target.name() + "': cannot adapt its mean and variance: its input depends on layer '" +
                              l.name() + "', which has variables (give mean and variance in its config instead)");
        for (int j : model.inbound(i)) todo.push_back(j);
    }
    ModelSpec spec = model.spec();
    std::vector<LayerSpec> layers;
    std::vector<std::string> inputs;
    for (const LayerSpec& ls : spec.layers) {
        const int i = spec.indexOf(ls.name);
        if (!needed.count(i)) continue;
        layers.push_back(ls);
        if (ls.type == "Input") inputs.push_back(ls.name);
    }
    if (inputs.size() != 1 || model.inputIndices().size() != 1)
        throw StrataError("layer '" + target.name() + "': cannot adapt its mean and variance: its input must come from the model's one Input");
    spec.layers = std::move(layers);
    spec.inputs = inputs;
    spec.outputs = {model.layers()[std::size_t(in[0])]->name()};
    return spec;
}

} // namespace

bool needsNormalizationAdapt(const Model& model) {
    for (const Layer* l : model.layers())
        if (adapting(l)) return true;
    return false;
}

std::vector<std::string> adaptNormalization(Model& model, const data::Dataset& data, int64_t batchSize) {
    std::vector<std::string> adapted;
    for (int index = 0; index < int(model.layers().size()); ++index) {
        const layers::FeatureNormalization* norm = adapting(model.layers()[std::size_t(index)]);
        if (!norm) continue;
        const int64_t n = data.size();
        if (n < 1) throw StrataError("layer '" + norm->name() + "': cannot adapt its mean and variance on an empty dataset");
        auto sub = Model::fromSpec(inputSpec(model, index));
        sub->build(0);
        const Shape sample = sub->outputShape(sub->inputIndices()[0]).withoutFirst();
        if (data.featureShape().numElements() != sample.numElements())
            throw StrataError("layer '" + norm->name() + "': cannot adapt on samples of shape " + data.featureShape().toString() +
                              " for the model input " + sample.toString());
        cpu::CpuBackend be;
        std::vector<double> sum, sumSq;
        int64_t count = 0;
        std::vector<float> buffer;
        TraceCache traces(*sub, 0);
        std::unique_ptr<ir::PreparedGraph> plan;
        int64_t planRows = 0;
        for (int64_t first = 0; first < n; first += batchSize) {
            const int64_t rows = std::min(batchSize, n - first);
            const Shape xs = sample.prepended(rows);
            const TracedModel& t = traces.get({{xs}, false});
            if (rows != planRows) plan = be.prepare(t.graph, {t.outputs[0]}), planRows = rows;
            buffer.assign(std::size_t(xs.numElements()), 0.0f);
            const int64_t per = sample.numElements();
            for (int64_t r = 0; r < rows; ++r) {
                if (data.isStreamed()) data.streamed->read(first + r, buffer.data() + r * per);
                else std::memcpy(buffer.data() + r * per, data.x.f32() + (first + r) * per, std::size_t(per) * sizeof(float));
            }
            const Tensor x = Tensor::fromVector(xs, buffer);
            const std::vector<ir::Feed> feeds = {{t.inputNames[0], ir::TensorView(x)}};
            std::vector<Tensor> out;
            be.run(*plan, feeds, {}, out);
            const Tensor& y = out.at(0);
            const int64_t c = y.shape()[y.shape().rank() - 1];
            sum.resize(std::size_t(c), 0.0), sumSq.resize(std::size_t(c), 0.0);
            for (int64_t i = 0; i < y.size(); ++i) {
                const double v = y.f32()[i];
                sum[std::size_t(i % c)] += v, sumSq[std::size_t(i % c)] += v * v;
            }
            count += y.size() / c;
        }
        Tensor& mean = model.layers()[std::size_t(index)]->findVariable("mean")->value();
        Tensor& var = model.layers()[std::size_t(index)]->findVariable("variance")->value();
        if (mean.size() != int64_t(sum.size()))
            throw StrataError("layer '" + norm->name() + "': adapted " + std::to_string(sum.size()) + " channels for " +
                              std::to_string(mean.size()) + " variables");
        for (std::size_t ch = 0; ch < sum.size(); ++ch) {
            const double m = sum[ch] / double(count);
            mean.f32()[ch] = float(m);
            var.f32()[ch] = float(std::max(0.0, sumSq[ch] / double(count) - m * m));
        }
        adapted.push_back(norm->name());
    }
    return adapted;
}

} // namespace strata::train
