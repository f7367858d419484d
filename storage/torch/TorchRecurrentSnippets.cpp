// The PyTorch export's classes for Embedding and the recurrent layers (engine/layers/
// EmbeddingLayers.h, RecurrentLayers.h): nn.Embedding on token ids; nn.LSTM, nn.GRU and nn.RNN
// (batch_first) with Keras' return_sequences, go_backwards and Bidirectional merge around them;
// and RecurrentLoop, the same layers written out step by step for what torch's modules cannot
// express (other activations, GRU without reset_after). Beside TorchSnippets.cpp.
#include "storage/torch/TorchSnippets.h"

#include <map>

namespace strata::storage::torch_snippets {

namespace {

const char* kEmbedding = R"py(

class Embedding(nn.Embedding):
    """Strata (Keras) Embedding: row `id` of weight (Strata's embeddings, (input_dim, output_dim))
    for each token id. Ids may be integers or floats (truncated toward zero, as Strata casts them)."""

    def forward(self, ids):
        return super().forward(ids.long())
)py";

const char* kKerasRecurrent = R"py(

MERGE_MODES = {
    "concat": lambda f, b: torch.cat((f, b), dim=-1),
    "sum": lambda f, b: f + b,
    "mul": lambda f, b: f * b,
    "ave": lambda f, b: (f + b) * 0.5,
}


def keras_recurrent_output(module, y, h):
    """Keras' output of a recurrent layer from the states y (N, steps, units or 2 * units) in the
    order they were taken and the last states h (directions, N, units): every step's with
    return_sequences, else the last; a Bidirectional layer merges its two directions (the backward
    direction's steps already in the input's order, as Keras reverses them back)."""
    if not module.bidirectional:
        return y if module.return_sequences else h[-1]
    if module.return_sequences:
        f, b = y.chunk(2, dim=-1)
    else:
        f, b = h[-2], h[-1]
    return MERGE_MODES[module.merge_mode](f, b)


def keras_recurrent_states(module, h, c):
    """Keras' return_state outputs from the final states h and c (LSTM; None otherwise), each
    (directions, N, units): (h,) or (h, c), for a Bidirectional layer the forward copy's then the
    backward copy's."""
    out = []
    for d in range(h.shape[0]):
        out.append(h[d])
        if c is not None:
            out.append(c[d])
    return tuple(out)


class KerasRecurrent:
    """Keras' recurrent layer around torch's nn.LSTM, nn.GRU and nn.RNN (batch_first): the input
    is (N, steps, features); go_backwards reads the steps last to first and returns them in that
    order; Keras' Bidirectional is bidirectional=True and merge_mode (concat, sum, mul, ave).
    Weights: weight_ih = Strata's kernel transposed, weight_hh = its recurrent_kernel transposed,
    gates in torch's order (LSTM i, f, g, o is Keras' i, f, c, o; a GRU's z, r, h become r, z, n).
    Keras has one bias where torch adds two (bias_ih + bias_hh): bias_ih is Strata's bias and
    bias_hh a zero constant, neither saved nor trained; except a GRU (reset_after, torch's form),
    whose bias_ih and bias_hh are the two rows of Strata's (2, 3 * units) bias.
    Keras' return_state: forward returns (output, h) or, for an LSTM, (output, h, c), the final
    states (N, units). Keras' initial_state: forward(x, h0) or forward(x, h0, c0), each (N, units)."""

    def keras_setup(self, return_sequences, go_backwards, merge_mode, single_bias, return_state=False):
        self.return_sequences, self.go_backwards, self.merge_mode = return_sequences, go_backwards, merge_mode
        self.return_state = return_state
        if single_bias:
            for name in list(self._flat_weights_names):
                if name.startswith("bias_hh"):
                    zeros = torch.zeros_like(getattr(self, name)).detach()
                    delattr(self, name)
                    self.register_buffer(name, zeros, persistent=False)
            self._flat_weights = [getattr(self, n) for n in self._flat_weights_names]

    def forward(self, x, *initial_state):
        hx = None
        if initial_state:
            hx = tuple(s.unsqueeze(0) for s in initial_state)
            hx = hx if len(hx) > 1 else hx[0]
        y, h = super().forward(x.flip(1) if self.go_backwards else x, hx)
        h, c = h if isinstance(h, tuple) else (h, None)
        out = keras_recurrent_output(self, y, h)
        return (out,) + keras_recurrent_states(self, h, c) if self.return_state else out

    def extra_repr(self):
        return (f"{super().extra_repr()}, return_sequences={self.return_sequences}, "
                f"return_state={self.return_state}, go_backwards={self.go_backwards}, "
                f"merge_mode={self.merge_mode!r}")
)py";

const char* kLSTM = R"py(

class LSTM(KerasRecurrent, nn.LSTM):
    """Strata (Keras) LSTM (and Bidirectional LSTM): nn.LSTM, see KerasRecurrent."""

    def __init__(self, input_size, units, bias=True, return_sequences=False, return_state=False,
                 go_backwards=False, bidirectional=False, merge_mode="concat"):
        super().__init__(input_size, units, bias=bias, batch_first=True, bidirectional=bidirectional)
        self.keras_setup(return_sequences, go_backwards, merge_mode, single_bias=bias, return_state=return_state)
)py";

const char* kGRU = R"py(

class GRU(KerasRecurrent, nn.GRU):
    """Strata (Keras) GRU with reset_after (and Bidirectional GRU): nn.GRU, see KerasRecurrent."""

    def __init__(self, input_size, units, bias=True, return_sequences=False, return_state=False,
                 go_backwards=False, bidirectional=False, merge_mode="concat"):
        super().__init__(input_size, units, bias=bias, batch_first=True, bidirectional=bidirectional)
        self.keras_setup(return_sequences, go_backwards, merge_mode, single_bias=False, return_state=return_state)
)py";

const char* kSimpleRNN = R"py(

class SimpleRNN(KerasRecurrent, nn.RNN):
    """Strata (Keras) SimpleRNN with tanh or relu (and Bidirectional SimpleRNN): nn.RNN, see
    KerasRecurrent."""

    def __init__(self, input_size, units, bias=True, activation="tanh", return_sequences=False,
                 return_state=False, go_backwards=False, bidirectional=False, merge_mode="concat"):
        super().__init__(input_size, units, nonlinearity=activation, bias=bias, batch_first=True,
                         bidirectional=bidirectional)
        self.keras_setup(return_sequences, go_backwards, merge_mode, single_bias=bias, return_state=return_state)
)py";

const char* kRecurrentLoop = R"py(

class RecurrentLoop(nn.Module):
    """A Strata (Keras) SimpleRNN, LSTM or GRU (or a Bidirectional one) written out step by step,
    for what torch's modules cannot express: activations other than tanh (relu for SimpleRNN) and
    sigmoid, and GRU without reset_after (the reset gate multiplies the state before the recurrent
    kernel). Parameters are named, shaped and ordered as nn.LSTM's, nn.GRU's and nn.RNN's (see
    KerasRecurrent); a GRU without reset_after has only bias_ih."""

    GATES = {"SimpleRNN": 1, "LSTM": 4, "GRU": 3}

    def __init__(self, cell, input_size, units, bias=True, activation="tanh", recurrent_activation="sigmoid",
                 reset_after=True, return_sequences=False, go_backwards=False, bidirectional=False,
                 merge_mode="concat", return_state=False):
        super().__init__()
        self.return_state = return_state
        self.cell, self.units, self.activation, self.recurrent_activation = cell, units, activation, recurrent_activation
        self.reset_after = reset_after and cell == "GRU"
        self.return_sequences, self.go_backwards, self.merge_mode = return_sequences, go_backwards, merge_mode
        self.bidirectional = bidirectional
        width = self.GATES[cell] * units
        for suffix in ("_l0", "_l0_reverse") if bidirectional else ("_l0",):
            self.register_parameter("weight_ih" + suffix, nn.Parameter(torch.empty(width, input_size)))
            self.register_parameter("weight_hh" + suffix, nn.Parameter(torch.empty(width, units)))
            if bias:
                self.register_parameter("bias_ih" + suffix, nn.Parameter(torch.empty(width)))
                if self.reset_after:
                    self.register_parameter("bias_hh" + suffix, nn.Parameter(torch.empty(width)))
        bound = 1.0 / math.sqrt(units)  # torch's initialization of its recurrent modules
        for p in self.parameters():
            nn.init.uniform_(p, -bound, bound)

    def run(self, x, suffix, h0=None, c0=None):
        """Every step's state (N, steps, units) of one direction over x, in the order given, and
        the final h and c (c: an LSTM's), starting from h0 and c0 (zeros when None)."""
        act, gate = ACTIVATIONS[self.activation], ACTIVATIONS[self.recurrent_activation]
        w_hh = getattr(self, "weight_hh" + suffix)
        b_hh = getattr(self, "bias_hh" + suffix, None)
        xw = F.linear(x, getattr(self, "weight_ih" + suffix), getattr(self, "bias_ih" + suffix, None))
        h = x.new_zeros(x.shape[0], self.units) if h0 is None else h0
        c = x.new_zeros(x.shape[0], self.units) if c0 is None else c0
        states = []
        for t in range(x.shape[1]):
            xt = xw[:, t]
            if self.cell == "LSTM":
                i, f, g, o = (xt + F.linear(h, w_hh)).chunk(4, dim=1)
                c = gate(f) * c + gate(i) * act(g)
                h = gate(o) * act(c)
            elif self.cell == "GRU":
                xr, xz, xn = xt.chunk(3, dim=1)
                if self.reset_after:
                    hr, hz, hn = F.linear(h, w_hh, b_hh).chunk(3, dim=1)
                    r, z = gate(xr + hr), gate(xz + hz)
                    n = act(xn + r * hn)
                else:
                    u_r, u_z, u_n = w_hh.chunk(3, dim=0)
                    r, z = gate(xr + F.linear(h, u_r)), gate(xz + F.linear(h, u_z))
                    n = act(xn + F.linear(r * h, u_n))
                h = (1 - z) * n + z * h
            else:
                h = act(xt + F.linear(h, w_hh))
            states.append(h)
        return torch.stack(states, dim=1), h, (c if self.cell == "LSTM" else None)

    def forward(self, x, *initial_state):
        y, fh, fc = self.run(x.flip(1) if self.go_backwards else x, "_l0", *initial_state)
        if not self.bidirectional:
            out = y if self.return_sequences else y[:, -1]
            states = (fh,) if fc is None else (fh, fc)
            return (out,) + states if self.return_state else out
        b, bh, bc = self.run(x if self.go_backwards else x.flip(1), "_l0_reverse")
        if self.return_sequences:
            out = MERGE_MODES[self.merge_mode](y, b.flip(1))
        else:
            out = MERGE_MODES[self.merge_mode](y[:, -1], b[:, -1])
        if not self.return_state:
            return out
        return (out, fh, bh) if fc is None else (out, fh, fc, bh, bc)

    def extra_repr(self):
        return (f"{self.cell}, units={self.units}, activation={self.activation!r}, "
                f"recurrent_activation={self.recurrent_activation!r}, reset_after={self.reset_after}, "
                f"return_sequences={self.return_sequences}, return_state={self.return_state}, "
                f"go_backwards={self.go_backwards}, "
                f"bidirectional={self.bidirectional}, merge_mode={self.merge_mode!r}")
)py";

} // namespace

const std::string* recurrentSnippet(const std::string& name) {
    static const std::map<std::string, std::string> t = {
        {"Embedding", kEmbedding}, {"KerasRecurrent", kKerasRecurrent}, {"LSTM", kLSTM},
        {"GRU", kGRU},             {"SimpleRNN", kSimpleRNN},           {"RecurrentLoop", kRecurrentLoop},
    };
    const auto it = t.find(name);
    return it == t.end() ? nullptr : &it->second;
}

} // namespace strata::storage::torch_snippets
