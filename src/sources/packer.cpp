#include "sources/packer.hpp"

#include "drm/format_info.hpp"

#include <algorithm>
#include <array>
#include <drm_fourcc.h>

namespace dmafeed::sources {
namespace {

// The texel components of each plane of the 8-bit formats, in byte order.
struct Layout {
    uint32_t fourcc;
    std::array<const char*, 3> planes;
};
constexpr std::array layouts{
    Layout{DRM_FORMAT_XRGB8888, {"bgrx", nullptr, nullptr}}, Layout{DRM_FORMAT_ARGB8888, {"bgra", nullptr, nullptr}},
    Layout{DRM_FORMAT_XBGR8888, {"rgbx", nullptr, nullptr}}, Layout{DRM_FORMAT_ABGR8888, {"rgba", nullptr, nullptr}},
    Layout{DRM_FORMAT_RGBX8888, {"xbgr", nullptr, nullptr}}, Layout{DRM_FORMAT_RGBA8888, {"abgr", nullptr, nullptr}},
    Layout{DRM_FORMAT_BGRX8888, {"xrgb", nullptr, nullptr}}, Layout{DRM_FORMAT_BGRA8888, {"argb", nullptr, nullptr}},
    Layout{DRM_FORMAT_NV12, {"y", "uv", nullptr}},           Layout{DRM_FORMAT_NV16, {"y", "uv", nullptr}},
    Layout{DRM_FORMAT_NV24, {"y", "uv", nullptr}},           Layout{DRM_FORMAT_YUV420, {"y", "u", "v"}},
    Layout{DRM_FORMAT_YVU420, {"y", "v", "u"}},              Layout{DRM_FORMAT_YUV422, {"y", "u", "v"}},
    Layout{DRM_FORMAT_YUV444, {"y", "u", "v"}},
};

const Layout* find_layout(DrmFormat format)
{
    const auto it = std::find_if(layouts.begin(), layouts.end(), [&](const Layout& l) { return l.fourcc == format.fourcc(); });
    return it == layouts.end() ? nullptr : &*it;
}

}  // namespace

std::vector<std::string_view> plane_components(DrmFormat format)
{
    std::vector<std::string_view> out;
    if (const Layout* layout = find_layout(format)) {
        for (const char* p : layout->planes) {
            if (p) out.emplace_back(p);
        }
    }
    return out;
}

Rgb RgbImage::at(uint32_t x, uint32_t y) const
{
    const size_t i = (size_t{y} * width + x) * 3;
    return {rgb[i], rgb[i + 1], rgb[i + 2]};
}

void RgbImage::set(uint32_t x, uint32_t y, Rgb c)
{
    const size_t i = (size_t{y} * width + x) * 3;
    rgb[i] = c.r;
    rgb[i + 1] = c.g;
    rgb[i + 2] = c.b;
}

Result<Packer> Packer::create(DrmFormat format, uint32_t width, uint32_t height, YuvEncoding encoding)
{
    const FormatInfo* info = format_info(format);
    const Layout* layout = find_layout(format);
    if (!info || !layout) {
        return Error{"no CPU patterns for " + name(format) + ": only 8-bit RGB (XRGB8888 family) and 8-bit YUV formats"};
    }
    Packer p;
    p.coefficients_ = yuv_coefficients(encoding);
    for (uint32_t i = 0; i < info->plane_count; ++i) {
        Plane plane;
        plane.components = layout->planes[i];
        plane.width = plane_width(*info, i, width);
        plane.height = plane_height(*info, i, height);
        plane.hsub = info->planes[i].h_subsampling;
        plane.vsub = info->planes[i].v_subsampling;
        plane.row_bytes = static_cast<uint32_t>(min_stride(*info, i, width));
        plane.bytes.resize(size_t{plane.row_bytes} * plane.height);
        p.planes_.push_back(std::move(plane));
    }
    return p;
}

void Packer::pack(const RgbImage& image)
{
    for (Plane& plane : planes_) {
        const size_t n = plane.components.size();
        for (uint32_t ty = 0; ty < plane.height; ++ty) {
            uint8_t* row = plane.bytes.data() + size_t{ty} * plane.row_bytes;
            for (uint32_t tx = 0; tx < plane.width; ++tx) {
                // The block of image pixels this texel covers, averaged.
                unsigned r = 0, g = 0, b = 0, count = 0;
                for (uint32_t y = ty * plane.vsub; y < std::min(image.height, (ty + 1) * plane.vsub); ++y) {
                    for (uint32_t x = tx * plane.hsub; x < std::min(image.width, (tx + 1) * plane.hsub); ++x) {
                        const Rgb c = image.at(x, y);
                        r += c.r, g += c.g, b += c.b, ++count;
                    }
                }
                const Rgb c{static_cast<uint8_t>((r + count / 2) / count), static_cast<uint8_t>((g + count / 2) / count),
                            static_cast<uint8_t>((b + count / 2) / count)};
                const Ycbcr ycc = plane.components.size() == 4 ? Ycbcr{} : rgb_to_ycbcr(c, coefficients_);  // RGB: unused
                for (size_t k = 0; k < n; ++k) {
                    uint8_t v = 255;
                    switch (plane.components[k]) {
                    case 'r': v = c.r; break;
                    case 'g': v = c.g; break;
                    case 'b': v = c.b; break;
                    case 'y': v = ycc.y; break;
                    case 'u': v = ycc.cb; break;
                    case 'v': v = ycc.cr; break;
                    default: break;  // x, a
                    }
                    row[tx * n + k] = v;
                }
            }
        }
    }
}

std::vector<PlanePixels> Packer::planes() const
{
    std::vector<PlanePixels> out;
    for (const Plane& p : planes_) out.push_back({p.bytes, p.row_bytes});
    return out;
}

}  // namespace dmafeed::sources
