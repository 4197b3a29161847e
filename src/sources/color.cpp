#include "sources/color.hpp"

#include <algorithm>
#include <cmath>

namespace dmafeed::sources {
namespace {

uint8_t clamp8(double v) { return static_cast<uint8_t>(std::clamp(std::lround(v), 0L, 255L)); }

}  // namespace
Ycbcr rgb_to_bt601_limited(Rgb c) noexcept
{
    const double r = c.r, g = c.g, b = c.b;
    const double y = 16.0 + (65.481 * r + 128.553 * g + 24.966 * b) / 255.0;
    const double cb = 128.0 + (-37.797 * r - 74.203 * g + 112.0 * b) / 255.0;
    const double cr = 128.0 + (112.0 * r - 93.786 * g - 18.214 * b) / 255.0;
    return {clamp8(y), clamp8(cb), clamp8(cr)};
}

Rgb bt601_limited_to_rgb(Ycbcr c) noexcept
{
    const double y = 1.164383 * (c.y - 16.0);
    const double cb = c.cb - 128.0, cr = c.cr - 128.0;
    return {clamp8(y + 1.596027 * cr), clamp8(y - 0.391762 * cb - 0.812968 * cr), clamp8(y + 2.017232 * cb)};
}

}  // namespace dmafeed::sources
