#include "sources/solid.hpp"

#include "drm/format_info.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <drm_fourcc.h>
#include <optional>

namespace dmafeed::sources {
namespace {

uint8_t clamp8(double v) { return static_cast<uint8_t>(std::clamp(std::lround(v), 0L, 255L)); }

// Byte order in memory of 32-bit RGB formats: indices of R, G, B, A (-1: padding) per byte.
struct Packed32 {
    uint32_t fourcc;
    std::array<char, 4> bytes;  // 'r','g','b','a','x'
};
constexpr std::array packed32{
    Packed32{DRM_FORMAT_XRGB8888, {'b', 'g', 'r', 'x'}}, Packed32{DRM_FORMAT_ARGB8888, {'b', 'g', 'r', 'a'}},
    Packed32{DRM_FORMAT_XBGR8888, {'r', 'g', 'b', 'x'}}, Packed32{DRM_FORMAT_ABGR8888, {'r', 'g', 'b', 'a'}},
    Packed32{DRM_FORMAT_RGBX8888, {'x', 'b', 'g', 'r'}}, Packed32{DRM_FORMAT_RGBA8888, {'a', 'b', 'g', 'r'}},
    Packed32{DRM_FORMAT_BGRX8888, {'x', 'r', 'g', 'b'}}, Packed32{DRM_FORMAT_BGRA8888, {'a', 'r', 'g', 'b'}},
};

// The 8-bit YUV formats of the format table: the components of one texel of each plane.
struct YuvLayout {
    uint32_t fourcc;
    std::array<const char*, 3> planes;  // per plane, the components of one texel in byte order
};
constexpr std::array yuv_layouts{
    YuvLayout{DRM_FORMAT_NV12, {"y", "uv", nullptr}}, YuvLayout{DRM_FORMAT_NV16, {"y", "uv", nullptr}},
    YuvLayout{DRM_FORMAT_NV24, {"y", "uv", nullptr}}, YuvLayout{DRM_FORMAT_YUV420, {"y", "u", "v"}},
    YuvLayout{DRM_FORMAT_YVU420, {"y", "v", "u"}},    YuvLayout{DRM_FORMAT_YUV422, {"y", "u", "v"}},
    YuvLayout{DRM_FORMAT_YUV444, {"y", "u", "v"}},
};

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

Result<SolidFrame> SolidFrame::make(DrmFormat format, uint32_t width, uint32_t height, Rgb colour)
{
    const FormatInfo* info = format_info(format);
    if (!info) return Error{"no solid colour for " + name(format) + ": dmafeed does not know its layout"};
    SolidFrame frame;
    auto plane_of = [&](uint32_t p) {
        Plane plane;
        plane.row_bytes = static_cast<uint32_t>(min_stride(*info, p, width));
        plane.bytes.resize(size_t{plane.row_bytes} * plane_height(*info, p, height));
        return plane;
    };
    const auto rgb = std::find_if(packed32.begin(), packed32.end(), [&](const Packed32& p) { return p.fourcc == format.fourcc(); });
    if (rgb != packed32.end()) {
        Plane plane = plane_of(0);
        std::array<uint8_t, 4> px{};
        for (size_t i = 0; i < 4; ++i) {
            const char c = rgb->bytes[i];
            px[i] = c == 'r' ? colour.r : c == 'g' ? colour.g : c == 'b' ? colour.b : 255;
        }
        for (size_t i = 0; i < plane.bytes.size(); i += 4) std::copy(px.begin(), px.end(), plane.bytes.begin() + static_cast<std::ptrdiff_t>(i));
        frame.planes_.push_back(std::move(plane));
        return frame;
    }
    const auto yuv = std::find_if(yuv_layouts.begin(), yuv_layouts.end(), [&](const YuvLayout& l) { return l.fourcc == format.fourcc(); });
    if (yuv == yuv_layouts.end()) {
        return Error{"no solid colour for " + name(format) + ": only 8-bit RGB (XRGB8888 family) and 8-bit YUV formats"};
    }
    const Ycbcr ycc = rgb_to_bt601_limited(colour);
    for (uint32_t p = 0; p < info->plane_count; ++p) {
        Plane plane = plane_of(p);
        const char* texel = yuv->planes[p];
        const size_t n = std::char_traits<char>::length(texel);
        for (size_t i = 0; i < plane.bytes.size(); ++i) {
            const char c = texel[i % n];
            plane.bytes[i] = c == 'y' ? ycc.y : c == 'u' ? ycc.cb : ycc.cr;
        }
        frame.planes_.push_back(std::move(plane));
    }
    return frame;
}

std::vector<PlanePixels> SolidFrame::planes() const
{
    std::vector<PlanePixels> out;
    for (const Plane& p : planes_) out.push_back({p.bytes, p.row_bytes});
    return out;
}

}  // namespace dmafeed::sources
