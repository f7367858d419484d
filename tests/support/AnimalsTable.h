// The CSV table the tests of models with two inputs and two outputs train on (two_heads.json):
// columns a0..a3, an id, b0..b2, a class name ("cat", "dog", "owl") that a0 + b0 decide, and a
// real value; every cell made by a formula of the row.
#pragma once

#include <cmath>
#include <fstream>
#include <string>

namespace animals {

// The class of row r (0 cat, 1 dog, 2 owl).
inline int kindOf(int r) {
    const double s = std::sin(0.37 * r) + std::cos(0.23 * r);
    return s > 0.5 ? 2 : s > -0.5 ? 1 : 0;
}

inline double sizeOf(int r) { return 0.5 * std::sin(0.37 * r) - std::cos(0.23 * r + 0.7); }

// Writes `rows` rows under a header to `path`; returns `path`.
inline std::string writeTable(const std::string& path, int rows) {
    std::ofstream out(path);
    out << "a0,a1,a2,a3,id,b0,b1,b2,kind,size\n";
    const char* kinds[] = {"cat", "dog", "owl"};
    for (int r = 0; r < rows; ++r) {
        for (int j = 0; j < 4; ++j) out << std::sin(0.37 * r + 1.3 * j) << ",";
        out << r << ",";
        for (int j = 0; j < 3; ++j) out << std::cos(0.23 * r + 0.7 * j) << ",";
        out << kinds[kindOf(r)] << "," << sizeOf(r) << "\n";
    }
    return path;
}

} // namespace animals
