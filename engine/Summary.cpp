#include "engine/Summary.h"

#include "engine/Error.h"
#include "engine/MemoryBudget.h"
#include "engine/layers/Block.h"

#include <algorithm>
#include <cstdio>

namespace strata {

std::string withThousands(int64_t n) {
    std::string digits = std::to_string(n < 0 ? -n : n);
    std::string out;
    for (std::size_t i = 0; i < digits.size(); ++i) {
        if (i && (digits.size() - i) % 3 == 0) out += ',';
        out += digits[i];
    }
    return n < 0 ? "-" + out : out;
}

std::string readableParamBytes(int64_t params) {
    double size = double(params) * 4.0;
    const char* units[] = {"B", "KB", "MB", "GB", "TB"};
    int u = 0;
    while (size >= 1024.0 && u < 4) size /= 1024.0, ++u;
    char buf[48];
    std::snprintf(buf, sizeof buf, "%.2f %s", size, units[u]);
    return buf;
}

namespace {

std::vector<SummaryRow> rowsOf(const ModelSpec& spec, const InferenceResult& r, int depth) {
    std::vector<SummaryRow> rows;
    for (std::size_t i = 0; i < spec.layers.size(); ++i) {
        const auto& ls = spec.layers[i];
        const auto& li = r.layers[i];
        SummaryRow row;
        row.name = ls.name;
        row.type = ls.type == "Input" ? "InputLayer" : ls.type;
        row.outputShape = li.outputShape;
        row.extraOutputShapes = li.extraOutputShapes;
        row.params = li.params;
        row.inbound = ls.inbound;
        for (std::size_t a = 0; a < ls.inbound.size(); ++a) {
            const int j = a < li.inbound.size() ? li.inbound[a] : -1;
            const int k = j >= 0 && a < li.inboundOutput.size() ? li.inboundOutput[a] : 0;
            row.connectedTo.push_back((j >= 0 ? spec.layers[std::size_t(j)].name : ls.inbound[a]) + "[0][" + std::to_string(k) + "]");
        }
        row.depth = depth;
        row.hasError = !li.errors.empty() || !li.outputShape;
        if (!row.hasError && li.layer) {
            try {
                row.cost = layerCost(*li.layer, li.inputShapes, *li.outputShape);
            } catch (const StrataError&) { // an unknown dimension: the cost is unknown, not an error
            }
        }
        if (auto* block = dynamic_cast<const layers::Block*>(li.layer.get()); block && li.outputShape) {
            const InferenceResult& inner = block->innerInference(li.inputShapes);
            row.children = rowsOf(block->innerSpec(), inner, depth + 1);
        }
        rows.push_back(std::move(row));
    }
    return rows;
}

std::size_t displayWidth(const std::string& s) { // UTF-8 code points
    std::size_t n = 0;
    for (unsigned char c : s) n += (c & 0xC0) != 0x80;
    return n;
}

std::string pad(const std::string& s, std::size_t width, bool right) {
    std::size_t w = displayWidth(s);
    std::string fill(width > w ? width - w : 0, ' ');
    return right ? fill + s : s + fill;
}

std::string repeat(const char* unit, std::size_t n) {
    std::string s;
    for (std::size_t i = 0; i < n; ++i) s += unit;
    return s;
}

struct Line {
    std::vector<std::string> cells;
};

std::string costCell(const SummaryRow& row) { return row.cost ? withThousands(row.cost->macs) : std::string("?"); }

void addRowLines(const SummaryRow& row, bool functional, bool expand, bool costs, std::vector<std::vector<Line>>& out) {
    std::vector<Line> lines;
    std::string indent(std::size_t(row.depth) * 2, ' ');
    std::string shape = row.outputShape ? row.outputShape->toString() : std::string("error");
    if (row.outputShape && !row.extraOutputShapes.empty()) { // Keras lists every output's shape
        shape = "[" + shape;
        for (const Shape& s : row.extraOutputShapes) shape += ", " + s.toString();
        shape += "]";
    }
    std::string params = row.hasError ? std::string("?") : withThousands(row.params.total());
    std::vector<std::string> connected;
    if (row.type == "InputLayer") connected.push_back("-");
    for (const auto& in : row.connectedTo) connected.push_back(in);
    std::size_t count = std::max<std::size_t>(1, functional ? connected.size() : 1);
    for (std::size_t k = 0; k < count; ++k) {
        Line l;
        l.cells.push_back(k == 0 ? indent + row.name + " (" + row.type + ")" : "");
        l.cells.push_back(k == 0 ? shape : "");
        l.cells.push_back(k == 0 ? params : "");
        if (costs) l.cells.push_back(k == 0 ? costCell(row) : "");
        if (functional) l.cells.push_back(k < connected.size() ? connected[k] : "");
        lines.push_back(std::move(l));
    }
    out.push_back(std::move(lines));
    if (expand)
        for (const auto& c : row.children)
            if (c.type != "InputLayer") addRowLines(c, functional, expand, costs, out); // the block's row stands for it
}

} // namespace

SummaryTable SummaryTable::fromSpec(const ModelSpec& spec, const InferenceResult& inference, bool expandBlocks) {
    SummaryTable t;
    t.modelName = spec.name;
    t.functional = !spec.isSequential();
    t.expandBlocks = expandBlocks;
    t.rows = rowsOf(spec, inference, 0);
    t.totals = inference.totals;
    for (const auto& row : t.rows) {
        if (row.cost) {
            try {
                t.costTotals += *row.cost;
            } catch (const ShapeError&) {
                t.costsComplete = false;
            }
        } else {
            t.costsComplete = false;
        }
    }
    return t;
}

void SummaryTable::estimateTraining(int64_t batch, const std::string& optimizer) {
    const int slots = optimizerSlotsPerVariable(optimizer);
    training.reset();
    trainingOptimizer = optimizer;
    if (costsComplete) training = trainingMemory(totals, costTotals.activationBytes, batch, slots);
}

std::string SummaryTable::format() const {
    std::vector<std::string> headers{"Layer (type)", "Output Shape", "Param #"};
    if (showCosts) headers.push_back("MACs");
    if (functional) headers.push_back("Connected to");
    std::vector<std::vector<Line>> groups;
    for (const auto& row : rows) {
        if (!functional && row.type == "InputLayer" && row.depth == 0) continue; // Keras omits it in Sequential
        addRowLines(row, functional, expandBlocks, showCosts, groups);
    }
    std::vector<std::size_t> width(headers.size());
    for (std::size_t c = 0; c < headers.size(); ++c) width[c] = displayWidth(headers[c]);
    for (const auto& g : groups)
        for (const auto& l : g)
            for (std::size_t c = 0; c < l.cells.size(); ++c) width[c] = std::max(width[c], displayWidth(l.cells[c]));
    width[0] = std::max<std::size_t>(width[0], 29);
    width[1] = std::max<std::size_t>(width[1], 22);
    width[2] = std::max<std::size_t>(width[2], 11);

    auto rule = [&](const char* left, const char* fill, const char* mid, const char* right) {
        std::string s = left;
        for (std::size_t c = 0; c < width.size(); ++c) s += repeat(fill, width[c] + 2) + (c + 1 < width.size() ? mid : right);
        return s + "\n";
    };
    auto line = [&](const std::vector<std::string>& cells, const char* sep) {
        std::string s = sep;
        for (std::size_t c = 0; c < width.size(); ++c)
            s += " " + pad(c < cells.size() ? cells[c] : "", width[c], c == 2 || (showCosts && c == 3)) + " " + sep;
        return s + "\n";
    };
    std::string s = "Model: \"" + modelName + "\"\n";
    s += rule("┏", "━", "┳", "┓");
    s += line(headers, "┃");
    s += rule("┡", "━", "╇", "┩");
    for (std::size_t g = 0; g < groups.size(); ++g) {
        for (const auto& l : groups[g]) s += line(l.cells, "│");
        s += g + 1 < groups.size() ? rule("├", "─", "┼", "┤") : "";
    }
    s += rule("└", "─", "┴", "┘");
    s += " Total params: " + withThousands(totals.total()) + " (" + readableParamBytes(totals.total()) + ")\n";
    s += " Trainable params: " + withThousands(totals.trainable) + " (" + readableParamBytes(totals.trainable) + ")\n";
    s += " Non-trainable params: " + withThousands(totals.nonTrainable) + " (" +
         readableParamBytes(totals.nonTrainable) + ")\n";
    if (!showCosts) return s;
    const std::string partial = costsComplete ? "" : " (layers with unknown dimensions left out)";
    s += " Multiply-adds per sample: " + withThousands(costTotals.macs) + " (" + readableCount(costTotals.macs) +
         " MACs), other ops: " + withThousands(costTotals.ops) + partial + "\n";
    s += " Activations per sample: " + readableBytes(double(costTotals.activationBytes)) + partial + "\n";
    if (training)
        s += " Training memory at batch " + std::to_string(training->batch) + " (" + trainingOptimizer + "): " +
             readableBytes(double(training->totalBytes())) + " = weights " + readableBytes(double(training->weightBytes)) +
             " + gradients " + readableBytes(double(training->gradientBytes)) + " + optimizer " +
             readableBytes(double(training->optimizerBytes)) + " + activations " +
             readableBytes(double(training->activationBytes)) + "\n";
    return s;
}

namespace {
nlohmann::json rowJson(const SummaryRow& row) {
    nlohmann::json j = {{"name", row.name},
                        {"type", row.type},
                        {"output_shape", row.outputShape ? row.outputShape->toJson() : nlohmann::json(nullptr)},
                        {"params", row.params.total()},
                        {"trainable_params", row.params.trainable},
                        {"non_trainable_params", row.params.nonTrainable},
                        {"inbound", row.inbound}};
    if (!row.extraOutputShapes.empty()) {
        auto extra = nlohmann::json::array();
        for (const Shape& s : row.extraOutputShapes) extra.push_back(s.toJson());
        j["extra_output_shapes"] = std::move(extra);
    }
    j["macs"] = row.cost ? nlohmann::json(row.cost->macs) : nlohmann::json(nullptr);
    j["ops"] = row.cost ? nlohmann::json(row.cost->ops) : nlohmann::json(nullptr);
    j["activation_bytes"] = row.cost ? nlohmann::json(row.cost->activationBytes) : nlohmann::json(nullptr);
    if (!row.children.empty()) {
        auto arr = nlohmann::json::array();
        for (const auto& c : row.children) arr.push_back(rowJson(c));
        j["layers"] = std::move(arr);
    }
    return j;
}
} // namespace

nlohmann::json SummaryTable::toJson() const {
    auto arr = nlohmann::json::array();
    for (const auto& row : rows) arr.push_back(rowJson(row));
    nlohmann::json j = {{"model", modelName},
                        {"sequential", !functional},
                        {"layers", std::move(arr)},
                        {"total_params", totals.total()},
                        {"trainable_params", totals.trainable},
                        {"non_trainable_params", totals.nonTrainable},
                        {"total_macs", costTotals.macs},
                        {"total_ops", costTotals.ops},
                        {"activation_bytes_per_sample", costTotals.activationBytes},
                        {"costs_complete", costsComplete}};
    if (training)
        j["training_memory"] = {{"batch", training->batch},
                                {"optimizer", trainingOptimizer},
                                {"slots_per_parameter", training->slotsPerVariable},
                                {"weight_bytes", training->weightBytes},
                                {"gradient_bytes", training->gradientBytes},
                                {"optimizer_bytes", training->optimizerBytes},
                                {"activation_bytes", training->activationBytes},
                                {"total_bytes", training->totalBytes()},
                                {"assumptions", trainingMemoryAssumptions()}};
    else
        j["training_memory"] = nullptr; // not estimated, or the costs are incomplete
    return j;
}

} // namespace strata
