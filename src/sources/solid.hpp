// A solid colour as CPU pixels of any 8-bit RGB or YUV format of the format table, for filling a
// buffer through write_planes() or vk::Uploader: RGB exactly, YUV as the nearest BT.601
// limited-range code (see color.hpp).
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
    // Errors: an unknown format, or one whose channels are not 8-bit (RGB565, P010, ...).
    static Result<SolidFrame> make(DrmFormat format, uint32_t width, uint32_t height, Rgb colour);
    std::vector<PlanePixels> planes() const { return packer_.planes(); }

private:
    explicit SolidFrame(Packer packer) : packer_{std::move(packer)} {}
    Packer packer_;
};

}  // namespace dmafeed::sources
