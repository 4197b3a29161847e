// A solid colour as CPU pixels of any format the Packer fills (packer.hpp), for filling a buffer
// through write_planes() or vk::Uploader: 8-bit RGB exactly, other RGB as near as its bits allow,
// YUV as the nearest BT.601 limited-range code (see color.hpp).
#pragma once

#include "alloc/buffer.hpp"
#include "drm/format.hpp"
#include "sources/color.hpp"
#include "sources/packer.hpp"
#include "util/result.hpp"

#include <cstdint>
#include <vector>

namespace dmafeed::sources {

// Tightly packed planes of `format` at width x height, every pixel `colour`.
class SolidFrame {
public:
    // Errors: a format the Packer does not fill (R8, YUYV, ...).
    static Result<SolidFrame> make(DrmFormat format, uint32_t width, uint32_t height, Rgb colour);
    std::vector<PlanePixels> planes() const { return packer_.planes(); }

private:
    explicit SolidFrame(Packer packer) : packer_{std::move(packer)} {}
    Packer packer_;
};

}  // namespace dmafeed::sources
