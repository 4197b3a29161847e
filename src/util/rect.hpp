// A rectangle of pixels of an image: [x, x + width) x [y, y + height).
#pragma once

#include <cstdint>

namespace dmafeed {

struct PixelRect {
    uint32_t x = 0, y = 0, width = 0, height = 0;
    friend bool operator==(const PixelRect&, const PixelRect&) = default;
};

}  // namespace dmafeed
