// Deterministic variable values for the float64 re-derivation tests (recurrent, attention and
// mask suites): every variable of a built model set to a sine wave, a different phase per
// variable in the model's variable order.
#pragma once

#include "engine/Model.h"
#include "engine/Tensor.h"
#include "engine/Variable.h"

#include <cmath>
#include <map>
#include <string>
#include <vector>

namespace strata::test {

inline double wave(std::size_t i, double phase) { return 0.6 * std::sin(double(i) * 0.91 + phase); }

// Sets every variable of m to waves; returns their values by path as the engine holds them
// (rounded to float32), in float64.
inline std::map<std::string, std::vector<double>> setWaveVariables(Model& m) {
    std::map<std::string, std::vector<double>> values;
    double phase = 0.3;
    for (Variable* v : m.variables()) {
        std::vector<float> f(std::size_t(v->value().shape().numElements()));
        for (std::size_t i = 0; i < f.size(); ++i) f[i] = float(wave(i, phase));
        phase += 1.1;
        v->assign(Tensor::fromVector(v->value().shape(), f));
        values[v->path()] = std::vector<double>(f.begin(), f.end());
    }
    return values;
}

} // namespace strata::test
