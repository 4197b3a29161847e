// Packing RGB images into the planes of the RGB and YUV formats that have a texel layout
// (pixels/texel.hpp): 8-bit RGB (XRGB8888 family), RGB565/BGR565, 10-bit RGB (XRGB2101010
// family), 16-bit unorm and half-float RGB (XBGR16161616, XBGR16161616F families), 8-bit YUV (NV12,
// NV16, NV24, YUV420, YVU420, YUV422, YUV444) and 10- to 16-bit YUV (P010, P012, P016, P210, Q410,
// Q401). RGB is stored as texel.hpp says (8 bits exactly, other widths rounded; X and alpha all
// ones), YUV in a YuvEncoding (BT.601 limited range by default) with the RGB of each subsampled block
// averaged (rounded) before it is converted to 8-bit codes, which wider samples hold shifted up
// (limited range) or scaled (full range).
#pragma once

#include "drm/format.hpp"
#include "pixels/color.hpp"
#include "pixels/plane_pixels.hpp"
#include "util/result.hpp"

#include <array>
#include <cstdint>
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

// Whether Packer::create takes `format`: the table knows it and it has a texel layout a plane.
bool packable(DrmFormat format);

// Packs RGB images into the planes of a format. Its plane buffers are reused from frame to frame.
class Packer {
public:
    // Errors: a format the table does not know, or one without a texel layout (see above).
    static Result<Packer> create(DrmFormat format, uint32_t width, uint32_t height, YuvEncoding encoding = {});
    void pack(const RgbImage& image);
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
    };
    std::vector<Plane> planes_;
    YuvCoefficients coefficients_;
};

}  // namespace dmafeed::pixels
