#include "app/cli/ReportImages.h"

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wsign-compare"
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#define STB_IMAGE_WRITE_STATIC
#define STB_IMAGE_WRITE_IMPLEMENTATION
#include <stb/stb_image_write.h>
#include <stb/stb_easy_font.h>
#pragma GCC diagnostic pop

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <vector>

namespace strata::cli {

namespace {

struct Rgb {
    uint8_t r, g, b;
};

const Rgb kWhite{255, 255, 255}, kBlack{17, 24, 39}, kGrey{156, 163, 175}, kLight{229, 231, 235}, kBlue{37, 99, 235};

// An RGB raster with rectangles, lines, dots and stb_easy_font's text (scaled: 1 unit = `scale` px).
class Canvas {
public:
    Canvas(int w, int h) : w_(w), h_(h), px_(std::size_t(w * h * 3), 255) {}

    void rect(double x, double y, double w, double h, Rgb c) {
        const int x0 = std::max(0, int(std::lround(x))), y0 = std::max(0, int(std::lround(y)));
        const int x1 = std::min(w_, int(std::lround(x + w))), y1 = std::min(h_, int(std::lround(y + h)));
        for (int yy = y0; yy < y1; ++yy)
            for (int xx = x0; xx < x1; ++xx) set(xx, yy, c);
    }
    void line(double x0, double y0, double x1, double y1, Rgb c) {
        const int steps = std::max(1, int(std::max(std::fabs(x1 - x0), std::fabs(y1 - y0))));
        for (int i = 0; i <= steps; ++i) {
            const double t = double(i) / steps;
            set(int(std::lround(x0 + (x1 - x0) * t)), int(std::lround(y0 + (y1 - y0) * t)), c);
        }
    }
    void dot(double x, double y, int radius, Rgb c) {
        for (int dy = -radius; dy <= radius; ++dy)
            for (int dx = -radius; dx <= radius; ++dx)
                if (dx * dx + dy * dy <= radius * radius) set(int(std::lround(x)) + dx, int(std::lround(y)) + dy, c);
    }
    static double textWidth(const std::string& s, int scale) {
        std::string copy = s;
        return double(stb_easy_font_width(copy.data()) * scale);
    }
    // Text with its top-left corner at (x, y); `align` 0 left, 1 centred, 2 right of x.
    void text(double x, double y, const std::string& s, Rgb c, int scale = 2, int align = 0) {
        std::string copy = s;
        x -= align == 1 ? textWidth(s, scale) / 2 : align == 2 ? textWidth(s, scale) : 0;
        std::vector<char> buffer(copy.size() * 1024 + 64); // a character takes up to ~10 quads of 64 bytes
        const int quads = stb_easy_font_print(0, 0, copy.data(), nullptr, buffer.data(), int(buffer.size()));
        struct Vertex {
            float x, y, z;
            unsigned char color[4];
        };
        const auto* v = reinterpret_cast<const Vertex*>(buffer.data());
        for (int q = 0; q < quads; ++q) {
            const Vertex& a = v[q * 4];
            const Vertex& b = v[q * 4 + 2];
            rect(x + a.x * scale, y + a.y * scale, (b.x - a.x) * scale, (b.y - a.y) * scale, c);
        }
    }
    std::string png() const {
        std::string out;
        stbi_write_png_to_func(
            [](void* context, void* data, int size) { static_cast<std::string*>(context)->append(static_cast<const char*>(data), std::size_t(size)); },
            &out, w_, h_, 3, px_.data(), w_ * 3);
        return out;
    }

private:
    void set(int x, int y, Rgb c) {
        if (x < 0 || y < 0 || x >= w_ || y >= h_) return;
        uint8_t* p = &px_[std::size_t((y * w_ + x) * 3)];
        p[0] = c.r, p[1] = c.g, p[2] = c.b;
    }
    int w_, h_;
    std::vector<uint8_t> px_;
};

Rgb mix(Rgb a, Rgb b, double t) {
    t = std::clamp(t, 0.0, 1.0);
    auto m = [t](uint8_t x, uint8_t y) { return uint8_t(std::lround(x + (y - x) * t)); };
    return {m(a.r, b.r), m(a.g, b.g), m(a.b, b.b)};
}

std::string shortNumber(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.3g", v);
    return buf;
}

std::string clipped(const std::string& s, std::size_t n) { return s.size() <= n ? s : s.substr(0, n - 1) + "~"; }

// Axes with 5 labelled ticks on each side of the plot area (x, y, w, h) for the given ranges.
void axes(Canvas& c, double x, double y, double w, double h, double xLow, double xHigh, double yLow, double yHigh) {
    c.rect(x, y, w, h, Rgb{249, 250, 251});
    for (int i = 0; i <= 4; ++i) {
        const double gx = x + w * i / 4, gy = y + h - h * i / 4;
        c.line(gx, y, gx, y + h, kLight);
        c.line(x, gy, x + w, gy, kLight);
        c.text(gx, y + h + 6, shortNumber(xLow + (xHigh - xLow) * i / 4), kBlack, 2, 1);
        c.text(x - 6, gy - 7, shortNumber(yLow + (yHigh - yLow) * i / 4), kBlack, 2, 2);
    }
    c.line(x, y + h, x + w, y + h, kGrey);
    c.line(x, y, x, y + h, kGrey);
}

} // namespace

std::string confusionMatrixPng(const train::EvalReport& r) {
    const int n = std::max(1, r.classCount());
    const int cell = std::clamp(560 / n, 24, 64);
    std::size_t longest = 1;
    for (const auto& name : r.classNames) longest = std::max(longest, std::min<std::size_t>(name.size(), 14));
    const int labelWidth = int(Canvas::textWidth(std::string(longest, '0'), 2)) + 12;
    const int left = 40 + labelWidth, top = 56, matrix = cell * n;
    const int width = left + matrix + 30, height = top + matrix + 70;
    Canvas c(width, height);
    c.text(width / 2.0, 12, "Confusion matrix (" + std::to_string(r.samples) + " samples, accuracy " + shortNumber(100 * r.accuracy) + "%)",
           kBlack, 2, 1);
    const auto normalised = r.normalisedConfusion();
    for (int t = 0; t < r.classCount(); ++t) {
        for (int p = 0; p < r.classCount(); ++p) {
            const double v = normalised[std::size_t(t)][std::size_t(p)];
            const int64_t count = r.confusion[std::size_t(t)][std::size_t(p)];
            const double x = left + p * cell, y = top + t * cell;
            c.rect(x, y, cell - 1, cell - 1, mix(kWhite, Rgb{30, 64, 175}, v));
            if (count || cell >= 32) {
                const int scale = cell >= 40 ? 2 : 1;
                c.text(x + cell / 2.0, y + cell / 2.0 - 3.5 * scale, std::to_string(count), v > 0.5 ? kWhite : kBlack, scale, 1);
            }
        }
        const std::string name = clipped(r.classNames[std::size_t(t)], 14);
        c.text(left - 8, top + t * cell + cell / 2.0 - 7, name, kBlack, 2, 2);
        const std::string column = Canvas::textWidth(name, 2) <= cell - 4 ? name : std::to_string(t);
        c.text(left + t * cell + cell / 2.0, top + matrix + 6, column, kBlack, Canvas::textWidth(column, 2) <= cell - 2 ? 2 : 1, 1);
    }
    c.text(left + matrix / 2.0, top + matrix + 34, "predicted", kGrey, 2, 1);
    c.text(8, top - 24, "true", kGrey, 2, 0);
    return c.png();
}

std::string scatterPng(const train::EvalReport& r) {
    const int width = 560, height = 570, left = 80, top = 66, plot = 440;
    Canvas c(width, height);
    double low = 0, high = 1;
    if (!r.trueValues.empty()) {
        const auto [tl, th] = std::minmax_element(r.trueValues.begin(), r.trueValues.end());
        const auto [pl, ph] = std::minmax_element(r.predictedValues.begin(), r.predictedValues.end());
        low = std::min(*tl, *pl), high = std::max(*th, *ph);
        if (!(high > low)) low -= 0.5, high += 0.5;
        const double pad = (high - low) * 0.05;
        low -= pad, high += pad;
    }
    c.text(width / 2.0, 12, "Predicted against true (MAE " + shortNumber(r.mae) + ", R2 " + shortNumber(r.r2) + ")", kBlack, 2, 1);
    axes(c, left, top, plot, plot, low, high, low, high);
    c.line(left, top + plot, left + plot, top, kGrey); // predicted = true
    auto px = [&](double v) { return left + (v - low) / (high - low) * plot; };
    auto py = [&](double v) { return top + plot - (v - low) / (high - low) * plot; };
    for (std::size_t i = 0; i < r.trueValues.size(); ++i) c.dot(px(r.trueValues[i]), py(r.predictedValues[i]), 2, kBlue);
    c.text(left + plot / 2.0, top + plot + 30, "true", kGrey, 2, 1);
    c.text(8, top - 32, "predicted", kGrey, 2, 0);
    return c.png();
}

std::string residualHistogramPng(const train::EvalReport& r) {
    const int width = 640, height = 410, left = 80, top = 66, plotW = 530, plotH = 280;
    Canvas c(width, height);
    const auto& h = r.residuals;
    int64_t most = 1;
    for (int64_t v : h.counts) most = std::max(most, v);
    c.text(width / 2.0, 12, "Residuals, predicted - true (RMSE " + shortNumber(r.rmse) + ")", kBlack, 2, 1);
    axes(c, left, top, plotW, plotH, h.low, h.high, 0, double(most));
    const double bar = h.counts.empty() ? 0 : double(plotW) / double(h.counts.size());
    for (std::size_t b = 0; b < h.counts.size(); ++b) {
        const double barH = double(h.counts[b]) / double(most) * plotH;
        c.rect(left + bar * double(b) + 1, top + plotH - barH, bar - 2, barH, kBlue);
    }
    if (h.low < 0 && h.high > 0) {
        const double zero = left + (0 - h.low) / (h.high - h.low) * plotW;
        c.line(zero, top, zero, top + plotH, Rgb{220, 38, 38});
    }
    c.text(left + plotW / 2.0, top + plotH + 30, "residual", kGrey, 2, 1);
    c.text(8, top - 32, "samples", kGrey, 2, 0);
    return c.png();
}

} // namespace strata::cli
