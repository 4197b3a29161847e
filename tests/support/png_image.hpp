// PNG files as RGBA8 pixels, for pixel checks on captures (libpng).
#pragma once

#include "util/result.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace dmafeed::test {

struct Rgba {
    uint8_t r = 0, g = 0, b = 0, a = 0;
    bool operator==(const Rgba&) const = default;
};

struct Image {
    uint32_t width = 0;
    uint32_t height = 0;
    std::vector<Rgba> pixels;  // row-major, width * height

    const Rgba& at(uint32_t x, uint32_t y) const { return pixels.at(size_t{y} * width + x); }
};

// Any PNG colour type and depth is converted to 8-bit RGBA.
Result<Image> read_png(const std::string& path);
Result<void> write_png(const std::string& path, const Image& image);

std::string to_string(const Rgba& c);

}  // namespace dmafeed::test
