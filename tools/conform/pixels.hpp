// The matrix's known picture and how a capture is checked against it. Pure: unit-tested.
//
// The picture: 4 x 2 blocks of 8 saturated colours (none black, white or grey, so that a
// compositor's background is never taken for them), blocks edges on multiples of 4. For RGB
// formats every pixel also carries a texture (red ^ (x & 7), green ^ (y & 7), blue ^ ((x + y) & 7)),
// so that a buffer shifted, sheared or flipped by a single pixel differs. YUV formats get the flat
// blocks, and what they should show is the BT.601 limited-range decode of each block's encoding
// (what compositors assume without wp_color_representation_v1).
//
// The check: the buffer is found in the capture where its four corners match (the compositor
// places the surface: centred by a fullscreen shell, anywhere by others), then compared pixel by
// pixel: exactly for RGB; for YUV within `tolerance` and only at pixels at least `margin` away
// from a block edge (chroma is subsampled and filtered there).
#pragma once

#include "sources/packer.hpp"

#include <cstdint>
#include <string>

namespace dmafeed::conform {

sources::RgbImage matrix_picture(uint32_t width, uint32_t height, bool textured);
// What a YUV buffer packed from `picture` decodes to (BT.601 limited), pixel by pixel.
sources::RgbImage yuv_expectation(const sources::RgbImage& picture);

struct CheckRules {
    int tolerance = 0;    // per channel
    uint32_t margin = 0;  // pixels this close to a colour edge of `wanted` are not compared
};
// How RGB and YUV buffers are checked (the report states these).
inline constexpr CheckRules rgb_rules{0, 0};
inline constexpr CheckRules yuv_rules{3, 2};

struct Comparison {
    bool found = false;       // a place where the corners match
    uint32_t x = 0, y = 0;    // where (the best place, when several)
    uint64_t compared = 0;    // pixels compared there
    uint64_t differing = 0;   // of those, off by more than the tolerance
    int max_difference = 0;   // largest channel difference among the compared pixels
    std::string first_difference;  // "(3,5): got 10,20,30, want 12,20,30"
    bool matches() const noexcept { return found && differing == 0 && compared > 0; }
    std::string describe(const CheckRules& rules) const;
};
Comparison locate_and_compare(const sources::RgbImage& capture, const sources::RgbImage& wanted, const CheckRules& rules);

// The `width` x `height` part of `image` at (x, y) (clipped).
sources::RgbImage crop(const sources::RgbImage& image, uint32_t x, uint32_t y, uint32_t width, uint32_t height);

}  // namespace dmafeed::conform
