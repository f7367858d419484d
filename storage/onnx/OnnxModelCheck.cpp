#include "storage/onnx/OnnxModelCheck.h"

#include "engine/Shape.h"
#include "storage/onnx/OnnxGraphImport.h"
#include "storage/StorageError.h"

#include <onnx/checker.h>
#include <onnx/shape_inference/implementation.h>
#include <onnx/version_converter/convert.h>

#include <cctype>
#include <map>
#include <memory>
#include <new>
#include <set>

namespace strata::storage {

namespace {

// libonnx's messages span lines ("...\n\n==> Context: Bad node spec ..."): one line for ours.
std::string oneLine(const std::string& text) {
    std::string out;
    for (char c : text) {
        if (std::isspace(static_cast<unsigned char>(c))) {
            if (!out.empty() && out.back() != ' ') out.push_back(' ');
        } else {
            out.push_back(c);
        }
    }
    while (!out.empty() && out.back() == ' ') out.pop_back();
    return out;
}

// Runs a libonnx step; any exception it throws is a StorageError "SOURCE: WHAT: its message".
template <class F>
void libonnxStep(const std::string& source, const std::string& what, F&& step) {
    try {
        step();
    } catch (const std::bad_alloc&) {
        throw StorageError(source + ": " + what + ": out of memory");
    } catch (const std::exception& e) {
        throw StorageError(source + ": " + what + ": " + oneLine(e.what()));
    }
}

// libonnx 1.12's shape functions trust the ranks of what they index: ConvTranspose reads dim 1 of
// its weight, Conv without kernel_shape takes as many spatial dims from the weight as it then reads
// from the input, MaxUnpool reads dim 1 of its indices. A rank-1 weight is a SEGV inside libonnx
// (fuzz_onnx), not an exception. This registry hands out those schemas with their shape function
// behind a rank check that fails inference for the node instead; the importer then names it.
class RankGuardedSchemas final : public ::onnx::ISchemaRegistry {
public:
    const ::onnx::OpSchema* GetSchema(const std::string& key, const int maxInclusiveVersion,
                                      const std::string& domain) const override {
        const ::onnx::OpSchema* schema = ::onnx::OpSchemaRegistry::Instance()->GetSchema(key, maxInclusiveVersion, domain);
        if (schema == nullptr || !schema->has_type_and_shape_inference_function()) return schema;
        const int weight = weightInput(key, domain);
        if (weight < 0) return schema;
        auto found = guarded_.find(schema);
        if (found != guarded_.end()) return found->second.get();
        auto copy = std::make_unique<::onnx::OpSchema>(*schema);
        copy->TypeAndShapeInferenceFunction(
            [inner = schema->GetTypeAndShapeInferenceFunction(), weight, key](::onnx::InferenceContext& ctx) {
                checkRanks(ctx, weight, key);
                inner(ctx);
            });
        return guarded_.emplace(schema, std::move(copy)).first->second.get();
    }

private:
    // The input whose rank must match the data input's (input 0), or -1 for an op left as it is.
    static int weightInput(const std::string& op, const std::string& domain) {
        if (!domain.empty() && domain != "ai.onnx") return -1;
        if (op == "Conv" || op == "ConvTranspose" || op == "ConvInteger" || op == "MaxUnpool") return 1;
        if (op == "QLinearConv") return 3;
        return -1;
    }
    static int rankOf(::onnx::InferenceContext& ctx, int input) {
        if (size_t(input) >= ctx.getNumInputs()) return -1;
        const ::onnx::TypeProto* t = ctx.getInputType(size_t(input));
        if (t == nullptr || !t->has_tensor_type() || !t->tensor_type().has_shape()) return -1;
        return t->tensor_type().shape().dim_size();
    }
    static void checkRanks(::onnx::InferenceContext& ctx, int weight, const std::string& op) {
        const int x = rankOf(ctx, 0), w = rankOf(ctx, weight);
        if (w >= 0 && w < 3)
            fail_shape_inference(op, ": input ", weight, " has rank ", w, "; it needs at least 3");
        if (x >= 0 && w >= 0 && x != w)
            fail_shape_inference(op, ": input ", weight, " has rank ", w, " and input 0 rank ", x, "; they must be equal");
    }

    mutable std::map<const ::onnx::OpSchema*, std::unique_ptr<::onnx::OpSchema>> guarded_;
};

// Shapes as far as libonnx can infer them, for the version converter (its Softmax 12 -> 13 step
// reads the input's rank). A contradiction with a shape the file declares (an output of rank 0
// that a Conv makes rank 4) throws; like onnxruntime's lenient merge, that is no reason to refuse
// the file: the importer computes its own shapes and names the node it cannot translate. What was
// inferred before the throw stays.
void inferShapes(::onnx::ModelProto& model) {
    const RankGuardedSchemas schemas;
    try {
        ::onnx::shape_inference::InferShapes(model, &schemas);
    } catch (const std::exception&) {
    }
}

// Upsample (opsets 7 to 9) and Resize-10 sample at asymmetric coordinates, nearest rounding down
// (scales >= 1); the version converter's Resize 10 -> 11 step leaves Resize-11's default, half_pixel,
// which changes what a linear resize computes. The old semantics are written out instead.
void keepAsymmetricResizes(::onnx::GraphProto& g) {
    for (::onnx::NodeProto& n : *g.mutable_node()) {
        if (n.op_type() != "Resize") continue;
        std::string mode = "nearest";
        bool coordinatesGiven = false, nearestGiven = false;
        for (const auto& a : n.attribute()) {
            if (a.name() == "mode") mode = a.s();
            coordinatesGiven = coordinatesGiven || a.name() == "coordinate_transformation_mode";
            nearestGiven = nearestGiven || a.name() == "nearest_mode";
        }
        auto set = [&](const char* name, const char* value) {
            ::onnx::AttributeProto& a = *n.add_attribute();
            a.set_name(name);
            a.set_type(::onnx::AttributeProto::STRING);
            a.set_s(value);
        };
        if (!coordinatesGiven) set("coordinate_transformation_mode", "asymmetric");
        if (!nearestGiven && mode == "nearest") set("nearest_mode", "floor");
    }
}

std::string label(const ::onnx::NodeProto& n) {
    OnnxNode node;
    node.name = n.name();
    node.opType = n.op_type();
    if (n.output_size() > 0) node.outputs.push_back(n.output(0));
    return node.label();
}

void checkTensor(const ::onnx::TensorProto& t, const std::string& source) {
    if (t.data_location() == ::onnx::TensorProto::EXTERNAL || t.external_data_size() > 0)
        throw StorageError(source + ": tensor '" + t.name() + "' keeps its data in an external file, which is not supported");
}

// Declared dimensions bounded, so shape arithmetic (libonnx's and the importer's) cannot overflow.
void checkDims(const ::onnx::ValueInfoProto& v, const std::string& source) {
    if (!v.type().has_tensor_type() || !v.type().tensor_type().has_shape()) return;
    for (const auto& d : v.type().tensor_type().shape().dim())
        if (d.has_dim_value() && (d.dim_value() < 0 || d.dim_value() > kMaxDim))
            throw StorageError(source + ": a dimension of value '" + v.name() + "' is " + std::to_string(d.dim_value()) +
                               ", outside 0 to " + std::to_string(kMaxDim));
}

void checkGraph(const ::onnx::GraphProto& g, const std::string& source);

// The attributes libonnx's shape functions divide by (Conv, ConvTranspose and the pools by
// strides; SpaceToDepth and DepthToSpace by blocksize), and tensors and subgraphs inside them.
void checkNode(const ::onnx::NodeProto& n, const std::string& source) {
    for (const auto& a : n.attribute()) {
        if (a.has_t()) checkTensor(a.t(), source);
        for (const auto& t : a.tensors()) checkTensor(t, source);
        if (a.has_g()) checkGraph(a.g(), source);
        for (const auto& g : a.graphs()) checkGraph(g, source);
        std::vector<int64_t> values(a.ints().begin(), a.ints().end());
        if (a.name() == "blocksize") values = {a.i()};
        else if (a.name() != "strides" && a.name() != "dilations" && a.name() != "kernel_shape") continue;
        if (const std::string why = windowAttrRangeProblem(a.name(), values, 1); !why.empty())
            throw StorageError(source + ": " + label(n) + ": " + why);
    }
}

void checkGraph(const ::onnx::GraphProto& g, const std::string& source) {
    for (const auto& t : g.initializer()) checkTensor(t, source);
    for (const auto* values : {&g.input(), &g.output(), &g.value_info()})
        for (const auto& v : *values) checkDims(v, source);
    for (const auto& n : g.node()) checkNode(n, source);
}

} // namespace

int64_t defaultOnnxOpset(const ::onnx::ModelProto& model) {
    for (const auto& o : model.opset_import())
        if (o.domain().empty() || o.domain() == "ai.onnx") return o.version();
    return 0;
}

void prepareOnnxModel(::onnx::ModelProto& model, const std::string& source) {
    if (!model.has_graph()) throw StorageError(source + ": the file holds no ONNX graph (is it an ONNX model?)");
    const int64_t opset = defaultOnnxOpset(model);
    if (opset == 0) throw StorageError(source + ": the model imports no opset of the default ONNX domain (ai.onnx)");
    if (opset < kOldestOnnxOpset || opset > kNewestOnnxOpset)
        throw StorageError(source + ": opset " + std::to_string(opset) + " of the default ONNX domain is not supported (Strata reads opsets " +
                           std::to_string(kOldestOnnxOpset) + " to " + std::to_string(kNewestOnnxOpset) + ")");
    checkGraph(model.graph(), source);
    { // libonnx 1.12's graph import (the version converter's first step) dereferences the producer of
      // every graph output: one that no node, input or initializer gives crashes it (fuzz_onnx).
        std::set<std::string> defined;
        for (const auto& i : model.graph().input()) defined.insert(i.name());
        for (const auto& i : model.graph().initializer()) defined.insert(i.name());
        for (const auto& n : model.graph().node())
            for (const auto& o : n.output()) defined.insert(o);
        for (const auto& o : model.graph().output())
            if (!defined.count(o.name()))
                throw StorageError(source + ": graph output '" + o.name() + "' is produced by no node, input or initializer");
    }
    for (const auto& f : model.functions())
        for (const auto& n : f.node()) checkNode(n, source);

    // libonnx 1.12's checker knows IR versions up to 8 and refuses later ones outright; onnx 1.13+
    // writes 9 or 10 even for older opsets. What those add (new element types) Strata's own tensor
    // checks refuse, so such a file is checked as IR 8.
    if (model.ir_version() > ::onnx::IR_VERSION) model.set_ir_version(::onnx::IR_VERSION);
    libonnxStep(source, "the ONNX checker refuses the model", [&] { ::onnx::checker::check_model(model); });
    if (opset >= kOnnxConvertedOpset) return;
    inferShapes(model);
    libonnxStep(source, "converting opset " + std::to_string(opset) + " to " + std::to_string(kOnnxConvertedOpset) + " failed",
                [&] { model = ::onnx::version_conversion::ConvertVersion(model, int(kOnnxConvertedOpset)); });
    if (opset <= 10) keepAsymmetricResizes(*model.mutable_graph());
}

} // namespace strata::storage
