#include "sources/solid.hpp"

namespace dmafeed::sources {

Result<SolidFrame> SolidFrame::make(DrmFormat format, uint32_t width, uint32_t height, pixels::Rgb colour)
{
    auto packer = pixels::Packer::create(format, width, height);
    if (!packer) return std::move(packer).error();
    pixels::RgbImage image{width, height, std::vector<uint8_t>(size_t{width} * height * 3)};
    for (size_t i = 0; i < image.rgb.size(); i += 3) {
        image.rgb[i] = colour.r;
        image.rgb[i + 1] = colour.g;
        image.rgb[i + 2] = colour.b;
    }
    packer->pack(image);
    return SolidFrame{std::move(*packer)};
}

}  // namespace dmafeed::sources
