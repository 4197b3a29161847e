// The matrix's known picture and how a capture is checked against it. Pure: unit-tested.
//
// The picture: 4 x 2 blocks of 8 saturated colours (none black, white or grey, so that a
// compositor's background is never taken for them), blocks edges on multiples of 4. For RGB
// formats every pixel also carries a texture (red ^ (x & 7), green ^ (y & 7), blue ^ ((x + y) & 7)),
// so that a buffer shifted, sheared or flipped by a single pixel differs. In a channel of fewer than
// 8 bits (RGB565's 5 and 6) the low 3 bits of the 8-bit value would mostly round away, so there the
// texture is XORed into the low 3 bits of the channel's own code and the picture holds that code
// decoded to 8 bits (round(q * 255 / max)): a 1-pixel shift still changes every pixel by a code step.
// YUV formats get the flat blocks, and what they should show is the BT.601 limited-range decode of
// each block's encoding (what compositors assume without wp_color_representation_v1); 10- to 16-bit
// YUV holds the same 8-bit codes shifted up, so it should show the same.
//
// The check: the buffer is found in the capture where its four corners match (the compositor
// places the surface: centred by a fullscreen shell, anywhere by others), then compared pixel by
// pixel (expectation_for: what to expect and within what, for each format): exactly for 8-bit RGB;
// within 1 for other RGB formats (the compositor converts them through floats on the GPU); for YUV
// within `tolerance` and only at pixels at least `margin` away from a block edge (chroma is
// subsampled and filtered there).
#pragma once

#include "drm/format.hpp"
#include "pixels/packer.hpp"

#include <cstdint>
#include <optional>
#include <string>

namespace dmafeed::conform {

pixels::RgbImage matrix_picture(uint32_t width, uint32_t height, bool textured);
// The picture for `format`: textured for RGB formats (in the channels' codes below 8 bits), flat
// blocks for YUV formats and for formats the packer does not know.
pixels::RgbImage matrix_picture(DrmFormat format, uint32_t width, uint32_t height);
// What a YUV buffer packed from `picture` decodes to (BT.601 limited), pixel by pixel.
pixels::RgbImage yuv_expectation(const pixels::RgbImage& picture);

struct CheckRules {
    int tolerance = 0;    // per channel
    uint32_t margin = 0;  // pixels this close to a colour edge of `wanted` are not compared
};
// How buffers are checked (the report states these): 8-bit RGB exactly; other RGB formats within 1
// (RGB565, 10- and 16-bit unorm, half float: the compositor's GPU converts through floats); YUV
// within 3, away from colour edges.
inline constexpr CheckRules rgb_rules{0, 0};
inline constexpr CheckRules wide_rgb_rules{1, 0};
inline constexpr CheckRules yuv_rules{3, 2};

struct Expectation {
    pixels::RgbImage picture;  // what the capture should show
    CheckRules rules;
};
// What a compositor shows on an 8-bit capture of `picture` packed into `format`, and how closely:
// YUV: yuv_expectation (yuv_rules); RGB: every channel as its packed value decodes, which is the
// picture itself where a channel has 8 bits or more (10-bit round(v * 1023 / 255) and half float
// v / 255 decode back to v) and round(q * 255 / max) of q = round(v * max / 255) below 8 bits
// (RGB565), with rgb_rules for 8 bits a channel and wide_rgb_rules otherwise. nullopt for a format
// the packer cannot fill.
std::optional<Expectation> expectation_for(DrmFormat format, const pixels::RgbImage& picture);

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
Comparison locate_and_compare(const pixels::RgbImage& capture, const pixels::RgbImage& wanted, const CheckRules& rules);

// The `width` x `height` part of `image` at (x, y) (clipped).
pixels::RgbImage crop(const pixels::RgbImage& image, uint32_t x, uint32_t y, uint32_t width, uint32_t height);

}  // namespace dmafeed::conform
