// Packing RGB images into the planes of the RGB and YUV formats that have a texel layout
// (pixels/texel.hpp): 8-bit RGB (XRGB8888 family), RGB565/BGR565, 10-bit RGB (XRGB2101010
// family), 16-bit unorm and half-float RGB (XBGR16161616, XBGR16161616F families), 8-bit YUV (NV12,
// NV16, NV24, YUV420, YVU420, YUV422, YUV444) and 10- to 16-bit YUV (P010, P012, P016, P210, Q410,
// Q401). RGB is stored as texel.hpp says (8 bits exactly, other widths rounded; X and alpha all
// ones), YUV in a YuvEncoding (BT.601 limited range by default) with the RGB of each subsampled block
// averaged (rounded) before it is converted to 8-bit codes, which wider samples hold shifted up
// (limited range) or scaled (full range).
//
// Images of 10-bit codes (Rgb10Image: values that 8 bits cannot hold, such as the PQ steps of the
// pq-ramp pattern) go only into RGB formats whose channels keep them (keeps_10_bit_rgb): the
// 10-bit RGB formats hold each code exactly, 16-bit unorm ones round(code * 65535 / 1023), half
// floats the half nearest to code / 1023 (texel.hpp's field_value_10bit).
#pragma once

#include "drm/format.hpp"
#include "pixels/color.hpp"
#include "pixels/plane_pixels.hpp"
#include "pixels/texel.hpp"
#include "util/result.hpp"

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace dmafeed::pixels {

// An RGB image, 3 bytes a pixel, rows of width * 3 bytes.
struct RgbImage {
    uint32_t width = 0;
    uint32_t height = 0;
    std::vector<uint8_t> rgb;
    Rgb at(uint32_t x, uint32_t y) const;
    void set(uint32_t x, uint32_t y, Rgb c);
};

// An RGB image of 10-bit codes (0..1023, 1023 = 1.0), three uint16_t a pixel, rows of width * 3.
struct Rgb10 {
    uint16_t r = 0, g = 0, b = 0;
    friend bool operator==(const Rgb10&, const Rgb10&) = default;
};
struct Rgb10Image {
    uint32_t width = 0;
    uint32_t height = 0;
    std::vector<uint16_t> rgb;
    Rgb10 at(uint32_t x, uint32_t y) const;
    void set(uint32_t x, uint32_t y, Rgb10 c);
};

// Whether `format` keeps 10-bit RGB codes (Packer::pack of an Rgb10Image): a packable RGB format
// whose R, G and B are unorm fields of 10 bits or more, or half floats.
bool keeps_10_bit_rgb(DrmFormat format);
// Those formats, for messages: "XRGB2101010, ARGB2101010, ..., ABGR16161616F".
std::string formats_keeping_10_bit_rgb();

// Whether Packer::create takes `format`: the table knows it and it has a texel layout a plane.
bool packable(DrmFormat format);

// Packs RGB images into the planes of a format. Its plane buffers are reused from frame to frame.
class Packer {
public:
    // Errors: a format the table does not know, or one without a texel layout (see above).
    static Result<Packer> create(DrmFormat format, uint32_t width, uint32_t height, YuvEncoding encoding = {});
    void pack(const RgbImage& image);
    // The same for 10-bit codes; an error (and nothing packed) for a format that does not keep
    // them (keeps_10_bit_rgb).
    Result<void> pack(const Rgb10Image& image);
    std::vector<PlanePixels> planes() const;

private:
    // One field of a texel: its value for each 8-bit input (R, G, B or a Y'CbCr code), in place in
    // the word. Built once, so that a texel costs a lookup per field.
    struct FieldTable {
        uint8_t input = 0;  // 0..5: R, G, B, Y', Cb, Cr
        std::array<uint64_t, 256> word{};
    };
    struct Plane {
        std::vector<uint8_t> bytes;
        uint32_t row_bytes = 0;
        uint32_t width = 0, height = 0;  // texels
        uint8_t hsub = 1, vsub = 1;
        uint8_t texel_bytes = 0;
        bool yuv = false;
        uint64_t constant = 0;  // the fields that hold no colour (X, A)
        std::vector<FieldTable> fields;
        TexelLayout layout;  // for 10-bit codes, whose fields are worked out per colour
    };
    std::vector<Plane> planes_;
    DrmFormat format_;
    YuvCoefficients coefficients_;
};

}  // namespace dmafeed::pixels
