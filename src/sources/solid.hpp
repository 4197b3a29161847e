// A solid colour as CPU pixels of any format the Packer fills (pixels/packer.hpp), for filling a buffer
// through write_planes() or vk::Uploader: 8-bit RGB exactly, other RGB as near as its bits allow,
// YUV as the nearest BT.601 limited-range code (see pixels/color.hpp).
#pragma once

#include "drm/format.hpp"
#include "pixels/color.hpp"
#include "pixels/packer.hpp"
#include "pixels/plane_pixels.hpp"
#include "util/result.hpp"

#include <cstdint>
#include <vector>

namespace dmafeed::sources {

// Tightly packed planes of `format` at width x height, every pixel `colour`.
class SolidFrame {
public:
    // Errors: a format the Packer does not fill (R8, YUYV, ...).
    static Result<SolidFrame> make(DrmFormat format, uint32_t width, uint32_t height, pixels::Rgb colour);
    std::vector<PlanePixels> planes() const { return packer_.planes(); }

private:
    explicit SolidFrame(pixels::Packer packer) : packer_{std::move(packer)} {}
    pixels::Packer packer_;
};

}  // namespace dmafeed::sources
