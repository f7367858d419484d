// OnnxGraphImport: what transformers add to a graph (torch 1.13's nn.TransformerEncoder,
// torchvision's VisionTransformer).
//
//  - TorchMultiheadAttention, the fused node OnnxImportAttention.cpp makes of torch's attention:
//    a MultiHeadAttention layer (inbound query, value[, key]) holding the node's Keras-layout
//    variables. Dropout is not in an inference graph: the layer's is 0.
//  - A learned position table added to a sequence, Add(x, constant (1, T, E)) (vit's
//    pos_embedding): PositionEmbedding(sequence_length T) holding the table, then Add; the table
//    stays a trainable parameter as in PyTorch.
//  - A constant expanded to the batch, Expand(constant (1, k, E), [batch, k, E]) (vit's class token,
//    class_token.expand(n, -1, -1)), concatenated before a computed sequence along the steps:
//    PositionEmbedding(sequence_length k) holding the constant, over the sequence's first k steps
//    (a Slice layer; a PositionEmbedding reads only its input's shape), so the token is a
//    trainable parameter too; then Concatenate.
#include "storage/onnx/OnnxGraphImport.h"
#include "storage/onnx/OnnxImportAttention.h"

namespace strata::storage {

using json = nlohmann::json;

void OnnxGraphImport::torchAttention(const OnnxNode& n) {
    std::vector<int> inbound;
    std::vector<int64_t> queryShape;
    const char* roles[] = {"query", "value", "key"};
    for (std::size_t k = 0; k < n.inputs.size() && k < 3; ++k) {
        Value x = input(n, k);
        if (x.shape.size() != 3 || x.layout == Layout::FlatChw || x.layout == Layout::ChannelsFirst)
            fail(n, std::string("its ") + roles[k] + " '" + n.inputs[k] + "' is not a (batch, steps, features) sequence");
        x = materialize(n, x);
        inbound.push_back(x.layer);
        if (k == 0) queryShape = x.shape;
    }
    if (inbound.size() < 2) fail(n, "expected a query and a value");
    const int64_t heads = n.intAttr("num_heads", 0), keyDim = n.intAttr("key_dim", 0);
    const json config = {{"num_heads", heads},
                         {"key_dim", keyDim},
                         {"value_dim", n.intAttr("value_dim", keyDim)},
                         {"dropout", 0.0},
                         {"use_bias", n.intAttr("use_bias", 1) != 0},
                         {"output_shape", nullptr},
                         {"attention_axes", nullptr},
                         {"kernel_initializer", "glorot_uniform"},
                         {"bias_initializer", "zeros"},
                         {"use_causal_mask", n.intAttr("causal", 0) != 0},
                         {"seed", nullptr}};
    const int l = addLayer(n, "MultiHeadAttention", config, inbound, Layout::Same, queryShape);
    for (const OnnxAttribute& a : n.attributes)
        if (a.type == 4) layers_[std::size_t(l)].weights[a.name] = importedTensor(a.t.dims, a.t.floats);
    notes_.push_back(n.label() + ": torch's multi-head attention is one MultiHeadAttention layer (" + std::to_string(heads) +
                     " heads of " + std::to_string(keyDim) + "; its dropout, absent from an inference graph, is 0)");
}

bool OnnxGraphImport::batchExpand(const OnnxNode& n) {
    if (n.inputs.size() != 2 || !isConstant(n, 0) || !isConstant(n, 1)) return false;
    const OnnxTensor& x = *constant(n.inputs[0]);
    const OnnxTensor& shape = *constant(n.inputs[1]);
    if (shape.isFloat() || shape.ints.empty() || shape.ints[0] != kBatchDim) return false;
    std::vector<int64_t> dims = x.dims; // NumPy broadcasting: missing leading axes are 1
    if (dims.size() < shape.ints.size()) dims.insert(dims.begin(), shape.ints.size() - dims.size(), 1);
    if (!x.isFloat() || dims.size() != shape.ints.size() || dims[0] != 1)
        fail(n, "only a float constant of at most the shape's rank with a first dimension of 1 can be expanded to the batch");
    for (std::size_t d = 1; d < dims.size(); ++d)
        if (shape.ints[d] != 1 && shape.ints[d] != dims[d])
            fail(n, "expanding " + json(x.dims).dump() + " to the batch and " + json(shape.ints).dump() + " is not supported (only the batch may grow)");
    // A table's first rows expanded to the shape of a sequence with as many steps (Strata's own
    // PositionEmbedding export): that sequence's PositionEmbedding over the whole table.
    if (const auto of = shapeOf_.find(n.inputs[1]); of != shapeOf_.end() && dims.size() == 3) {
        const auto v = values_.find(of->second);
        const auto rows = firstRowsOf_.find(n.inputs[0]);
        const OnnxTensor& table = rows != firstRowsOf_.end() ? *constant(rows->second) : x;
        if (v != values_.end() && v->second.shape.size() == 3 && v->second.shape[1] == dims[1] && v->second.shape[2] == dims[2] &&
            v->second.layout != Layout::FlatChw && v->second.layout != Layout::ChannelsFirst && table.dims.size() == 2 &&
            table.dims[1] == dims[2] && table.dims[0] >= dims[1] && table.elementCount() == int64_t(table.floats.size())) {
            const Value seq = materialize(n, v->second);
            const int l = addLayer(n, "PositionEmbedding", {{"sequence_length", table.dims[0]}, {"initializer", "zeros"}}, {seq.layer},
                                   Layout::Same, seq.shape);
            layers_[std::size_t(l)].weights["embeddings"] = importedTensor(table.dims, table.floats);
            return true;
        }
    }
    batchExpanded_[n.outputs.at(0)] = n.inputs[0];
    return true;
}

void OnnxGraphImport::concatWithBatchConstants(const OnnxNode& n) {
    int source = -1;
    Value sequence;
    std::string sequenceName;
    for (std::size_t k = 0; k < n.inputs.size(); ++k)
        if (!batchExpanded_.count(n.inputs[k]) && !isConstant(n, k)) {
            sequence = materialize(n, input(n, k));
            source = sequence.layer, sequenceName = n.inputs[k];
            break;
        }
    if (source < 0) fail(n, "it joins only constants expanded to the batch");
    if (sequence.shape.size() != 3 || (n.intAttr("axis", 1) + 3) % 3 != 1)
        fail(n, "a constant expanded to the batch is only supported joined to a (batch, steps, features) sequence along the steps");
    std::vector<int> inbound;
    std::vector<int64_t> shape = sequence.shape;
    shape[1] = 0;
    for (std::size_t k = 0; k < n.inputs.size(); ++k) {
        const auto it = batchExpanded_.find(n.inputs[k]);
        if (it == batchExpanded_.end() && !isConstant(n, k)) {
            const Value x = materialize(n, input(n, k));
            if (x.shape.size() != 3 || x.shape[2] != sequence.shape[2]) fail(n, "its sequences differ in rank or features");
            inbound.push_back(x.layer);
            shape[1] = x.shape[1] < 0 || shape[1] < 0 ? -1 : shape[1] + x.shape[1];
            continue;
        }
        // A constant joined as it is: a file exported with a fixed batch of 1 (torch folded the expand).
        const std::string name = it != batchExpanded_.end() ? it->second : n.inputs[k];
        const OnnxTensor& c = *constant(name);
        if (!c.isFloat() || c.dims.size() != 3 || c.dims[0] != 1 || c.elementCount() != int64_t(c.floats.size()))
            fail(n, "the constant '" + name + "' joined to a sequence is not a float (1, steps, features) tensor");
        const int64_t steps = c.dims[1], features = c.dims[2];
        if (features != sequence.shape[2]) fail(n, "the constant '" + name + "' has " + std::to_string(features) + " features, the sequence " + std::to_string(sequence.shape[2]));
        if (steps < 1 || (sequence.shape[1] >= 0 && sequence.shape[1] < steps))
            fail(n, "the constant '" + name + "' has no steps or more steps than the sequence it is joined to");
        const int slice = addInnerLayer(n, "Slice", {{"axis", 1}, {"start", 0}, {"stop", steps}}, {source});
        layers_[std::size_t(slice)].nameHint = name + "_steps";
        const int table = addInnerLayer(n, "PositionEmbedding", {{"sequence_length", steps}, {"initializer", "zeros"}}, {slice});
        layers_[std::size_t(table)].nameHint = name;
        layers_[std::size_t(table)].weights["embeddings"] = importedTensor({steps, features}, c.floats);
        inbound.push_back(table);
        shape[1] = shape[1] < 0 ? -1 : shape[1] + steps;
        notes_.push_back(n.label() + ": the constant '" + name + "' joined to every sample is a PositionEmbedding (trainable) over the first " +
                         std::to_string(steps) + " step(s) of '" + sequenceName + "'");
    }
    addLayer(n, "Concatenate", {{"axis", 1}}, inbound, Layout::Same, shape);
}

bool OnnxGraphImport::positionAdd(const OnnxNode& n, const Value& x, const OnnxTensor& table, const std::string& tableName) {
    std::vector<int64_t> dims = table.dims;
    if (dims.size() == 3 && dims[0] == 1) dims.erase(dims.begin());
    if (!table.isFloat() || table.elementCount() != int64_t(table.floats.size()) || x.shape.size() != 3 || dims.size() != 2 || x.shape[1] < 1 || dims[0] != x.shape[1] || dims[1] != x.shape[2] ||
        x.layout == Layout::FlatChw || x.layout == Layout::ChannelsFirst)
        return false;
    const Value in = materialize(n, x);
    const int pe = addInnerLayer(n, "PositionEmbedding", {{"sequence_length", dims[0]}, {"initializer", "zeros"}}, {in.layer});
    layers_[std::size_t(pe)].nameHint = tableName;
    layers_[std::size_t(pe)].weights["embeddings"] = importedTensor(dims, table.floats);
    addLayer(n, "Add", json::object(), {in.layer, pe}, Layout::Same, in.shape);
    notes_.push_back(n.label() + ": adding the (steps, features) constant '" + tableName + "' is a PositionEmbedding (trainable) and an Add");
    return true;
}

} // namespace strata::storage
