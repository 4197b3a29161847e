// Packing RGB images into the planes of any 8-bit RGB or YUV format of the format table: RGB
// exactly (alpha 255), YUV in a YuvEncoding (BT.601 limited range by default) with the RGB of each
// subsampled block averaged (rounded) before it is converted.
#pragma once

#include "alloc/buffer.hpp"
#include "drm/format.hpp"
#include "sources/color.hpp"
#include "util/result.hpp"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace dmafeed::sources {

// An RGB image, 3 bytes a pixel, rows of width * 3 bytes.
struct RgbImage {
    uint32_t width = 0;
    uint32_t height = 0;
    std::vector<uint8_t> rgb;
    Rgb at(uint32_t x, uint32_t y) const;
    void set(uint32_t x, uint32_t y, Rgb c);
};

// The texel components of each plane of an 8-bit format the packer handles, in byte order
// ("bgrx"; "y", "uv"; "y", "u", "v"): 'x' and 'a' are 255. Empty for any other format.
std::vector<std::string_view> plane_components(DrmFormat format);

// Packs RGB images into the planes of a format. Its plane buffers are reused from frame to frame.
class Packer {
public:
    // Errors: an unknown format, or one whose channels are not 8-bit.
    static Result<Packer> create(DrmFormat format, uint32_t width, uint32_t height, YuvEncoding encoding = {});
    void pack(const RgbImage& image);
    std::vector<PlanePixels> planes() const;

private:
    struct Plane {
        std::vector<uint8_t> bytes;
        uint32_t row_bytes = 0;
        uint32_t width = 0, height = 0;  // texels
        uint8_t hsub = 1, vsub = 1;
        std::string components;  // per texel, in byte order: "bgrx", "y", "uv", ...
    };
    std::vector<Plane> planes_;
    YuvCoefficients coefficients_;
};

}  // namespace dmafeed::sources
