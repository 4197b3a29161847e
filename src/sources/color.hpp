// Colours: 8-bit RGB and BT.601 limited-range Y'CbCr, which is what compositors assume for YUV
// buffers without a colour-representation protocol (measured on weston 14: NV12 Y=128 Cb=96 Cr=192
// is shown as RGB 233,91,66).
#pragma once

#include <cstdint>

namespace dmafeed::sources {

struct Rgb {
    uint8_t r = 0, g = 0, b = 0;
    friend bool operator==(const Rgb&, const Rgb&) = default;
};

struct Ycbcr {
    uint8_t y = 0, cb = 0, cr = 0;
    friend bool operator==(const Ycbcr&, const Ycbcr&) = default;
};

// BT.601 limited range, rounded to nearest.
Ycbcr rgb_to_bt601_limited(Rgb rgb) noexcept;
Rgb bt601_limited_to_rgb(Ycbcr ycc) noexcept;

}  // namespace dmafeed::sources
