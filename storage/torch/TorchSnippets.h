// The Python source of the PyTorch export's layer classes (model.py): one snippet per Strata layer
// type, each a torch.nn.Module with Strata's (Keras') semantics on channels-last tensors, and the
// helpers they share. TorchCode writes only the snippets a model uses, in dependency order (each
// layer type's row of TorchLayerTable.cpp lists its snippets, helpers first).
#pragma once

#include <string>
#include <vector>

namespace strata::storage::torch_snippets {

// The imports and the activation table (always written first).
const std::string& prelude();

// The source of one snippet by name (the names a layer type needs are in its row of the PyTorch
// table, TorchLayerTable.cpp); throws std::out_of_range for an unknown name.
const std::string& snippet(const std::string& name);

// GlobalMaxPooling2D, UpSampling2D and Cropping2D (TorchImageSnippets.cpp); nullptr for another name.
const std::string* imageSnippet(const std::string& name);

// RandomFlip, RandomContrast, GeometricAugmentation, Resizing, RandomCrop and Normalization
// (TorchPreprocessingSnippets.cpp); nullptr for another name.
const std::string* preprocessingSnippet(const std::string& name);

// Conv1D, MaxPooling1D, AveragePooling1D, GlobalAveragePooling1D and GlobalMaxPooling1D
// (TorchSequenceSnippets.cpp); nullptr for another name.
const std::string* sequenceSnippet(const std::string& name);

// Embedding, KerasRecurrent (the mixin of LSTM, GRU and SimpleRNN over torch's modules) and
// RecurrentLoop (TorchRecurrentSnippets.cpp); nullptr for another name.
const std::string* recurrentSnippet(const std::string& name);

// MultiHeadAttention, Dot, RepeatVector and PositionEmbedding (TorchAttentionSnippets.cpp);
// nullptr for another name.
const std::string* attentionSnippet(const std::string& name);

// The load()/build() helpers that read weights.json and weights.bin (written after the classes).
const std::string& loader();

} // namespace strata::storage::torch_snippets
