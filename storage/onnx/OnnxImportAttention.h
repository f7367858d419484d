// Recognizing the attention torch 1.13 exports for nn.MultiheadAttention (batch_first, as
// nn.TransformerEncoderLayer(batch_first=True) and torchvision's vit_b_16 use it) before
// translation, and replacing the whole region by one fused node, TorchMultiheadAttention, that
// OnnxGraphImport translates into a MultiHeadAttention layer. torch's F.multi_head_attention_forward
// folds the heads into the batch ((T, N * heads, head_dim)), which no Strata layer can hold, so
// its nodes cannot import one by one. The region, from its Softmax outwards:
//
//   Transpose(1, 0, 2) of each batch-first input           (time-major, as torch computes)
//   MatMul by a constant [+ Add of a constant]             (in_proj; torch's chunk of one packed
//     [Slice of the last axis into 2 or 3 equal parts]       projection: self- or key = value attention)
//   Reshape (T, N * heads, head_dim), Transpose (1, 0, 2)   (q, v; k Transposed (1, 2, 0))
//   Div by sqrt(head_dim) of q, MatMul q k^T [Add a constant causal mask], Softmax(-1), MatMul with v
//   Transpose (1, 0, 2), Reshape (T * N, E), Gemm or MatMul [+ Add] (out_proj), Reshape (T, N, E),
//   Transpose (1, 0, 2)                                    (batch-first again: the fused node's output)
//
// The fused node's inputs are the query, value and key (batch-first; the key's omitted when it is
// the value); attributes num_heads, key_dim, causal, use_bias and the Keras-layout variables as
// tensors ("query/kernel" (E_in, heads, head_dim), "query/bias" (heads, head_dim), ...,
// "attention_output/kernel" (heads, head_dim, E)). Nodes no longer used afterwards (the shape
// arithmetic torch writes around the region, attention weights nobody reads) are dropped.
//
// A Softmax over a MatMul of two computed tensors that is not this pattern is a StorageError
// naming the node and what differs (a time-major input, a mask other than the causal one, ...).
#pragma once

#include "storage/onnx/OnnxReader.h"

#include <functional>
#include <set>
#include <string>
#include <vector>

namespace strata::storage {

inline constexpr const char* kFusedAttentionOp = "TorchMultiheadAttention";

std::vector<OnnxNode> fuseTorchAttention(const std::vector<OnnxNode>& nodes,
                                         const std::function<const OnnxTensor*(const std::string&)>& constant,
                                         const std::set<std::string>& graphOutputs, const std::string& source);

// The nodes without those whose outputs nothing reads (no node and no graph output), repeatedly.
std::vector<OnnxNode> dropUnusedOnnxNodes(const std::vector<OnnxNode>& nodes, const std::set<std::string>& graphOutputs);

} // namespace strata::storage
