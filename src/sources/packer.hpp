// Packing RGB images into the planes of any 8-bit RGB or YUV format of the format table: RGB
// exactly (alpha 255), YUV as BT.601 limited range with chroma averaged over each subsampled block.
#pragma once

#include "alloc/buffer.hpp"
#include "drm/format.hpp"
#include "sources/color.hpp"
#include "util/result.hpp"

#include <cstdint>
#include <string>
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

// Packs RGB images into the planes of a format. Its plane buffers are reused from frame to frame.
class Packer {
public:
    // Errors: an unknown format, or one whose channels are not 8-bit.
    static Result<Packer> create(DrmFormat format, uint32_t width, uint32_t height);
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
};

}  // namespace dmafeed::sources
