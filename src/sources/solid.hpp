// A solid colour as CPU pixels of any 8-bit RGB or YUV format of the format table, for filling a
// buffer through write_planes() or vk::Uploader.
//
// RGB formats get the colour exactly (alpha 255 where there is alpha). YUV formats get the nearest
// BT.601 limited-range code (what a compositor assumes without a colour-representation protocol:
// measured on weston 14, NV12 Y=128 Cb=96 Cr=192 is shown as RGB 233,91,66).
#pragma once

#include "alloc/buffer.hpp"
#include "drm/format.hpp"
#include "util/result.hpp"

#include <cstdint>
#include <vector>

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

// Tightly packed planes of `format` at width x height, every pixel `colour`.
class SolidFrame {
public:
    // Errors: an unknown format, or one whose channels are not 8-bit (RGB565, P010, ...).
    static Result<SolidFrame> make(DrmFormat format, uint32_t width, uint32_t height, Rgb colour);
    std::vector<PlanePixels> planes() const;

private:
    struct Plane {
        std::vector<uint8_t> bytes;
        uint32_t row_bytes = 0;
    };
    std::vector<Plane> planes_;
};

}  // namespace dmafeed::sources
