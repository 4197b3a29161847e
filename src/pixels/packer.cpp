#include "pixels/packer.hpp"

#include "drm/format_info.hpp"
#include "pixels/texel.hpp"

#include <algorithm>
#include <cstring>
#include <drm_fourcc.h>
#include <optional>

namespace dmafeed::pixels {

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

Rgb10 Rgb10Image::at(uint32_t x, uint32_t y) const
{
    const size_t i = (size_t{y} * width + x) * 3;
    return {rgb[i], rgb[i + 1], rgb[i + 2]};
}

void Rgb10Image::set(uint32_t x, uint32_t y, Rgb10 c)
{
    const size_t i = (size_t{y} * width + x) * 3;
    rgb[i] = c.r;
    rgb[i + 1] = c.g;
    rgb[i + 2] = c.b;
}

bool keeps_10_bit_rgb(DrmFormat format)
{
    if (!packable(format)) return false;
    const std::span<const TexelLayout> layouts = texel_layouts(format);
    if (layouts.size() != 1 || layouts[0].is_yuv()) return false;
    const auto fields = layouts[0].used();
    return layouts[0].encoding == FieldEncoding::float16 ||
           std::all_of(fields.begin(), fields.end(), [](const Field& f) { return f.channel == Channel::one || f.bits >= 10; });
}

std::string formats_keeping_10_bit_rgb()
{
    // The table's order: 10-bit, then 16-bit unorm, then half floats.
    std::string list;
    for (const uint32_t fourcc : {DRM_FORMAT_XRGB2101010, DRM_FORMAT_ARGB2101010, DRM_FORMAT_XBGR2101010,
                                  DRM_FORMAT_ABGR2101010,
#ifdef DRM_FORMAT_XRGB16161616
                                  DRM_FORMAT_XRGB16161616, DRM_FORMAT_ARGB16161616, DRM_FORMAT_XBGR16161616,
                                  DRM_FORMAT_ABGR16161616,
#endif
                                  DRM_FORMAT_XRGB16161616F, DRM_FORMAT_ARGB16161616F, DRM_FORMAT_XBGR16161616F,
                                  DRM_FORMAT_ABGR16161616F}) {
        if (!keeps_10_bit_rgb(DrmFormat{fourcc})) continue;
        list += (list.empty() ? "" : ", ") + name(DrmFormat{fourcc});
    }
    return list;
}

bool packable(DrmFormat format)
{
    const FormatInfo* info = format_info(format);
    return info && texel_layouts(format).size() == info->plane_count;
}

Result<Packer> Packer::create(DrmFormat format, uint32_t width, uint32_t height, YuvEncoding encoding)
{
    if (!packable(format)) {
        return Error{"no CPU patterns for " + name(format) +
                     ": RGB (XRGB8888, RGB565, XRGB2101010, XBGR16161616, XBGR16161616F families) and YUV "
                     "(NV12, NV16, NV24, YUV420, YVU420, YUV422, YUV444, P010, P012, P016, P210, Q410, Q401) only"};
    }
    const FormatInfo* info = format_info(format);
    const std::span<const TexelLayout> layouts = texel_layouts(format);
    Packer p;
    p.format_ = format;
    p.coefficients_ = yuv_coefficients(encoding);
    for (uint32_t i = 0; i < info->plane_count; ++i) {
        const TexelLayout& layout = layouts[i];
        Plane plane;
        plane.width = plane_width(*info, i, width);
        plane.height = plane_height(*info, i, height);
        plane.hsub = info->planes[i].h_subsampling;
        plane.vsub = info->planes[i].v_subsampling;
        plane.texel_bytes = layout.bytes;
        plane.yuv = layout.is_yuv();
        plane.layout = layout;
        plane.row_bytes = static_cast<uint32_t>(min_stride(*info, i, width));
        plane.bytes.resize(size_t{plane.row_bytes} * plane.height);
        for (const Field& f : layout.used()) {
            if (f.channel == Channel::one) {
                plane.constant |= uint64_t{field_value(f, layout.encoding, 0)} << f.offset;
                continue;
            }
            FieldTable& table = plane.fields.emplace_back();
            table.input = static_cast<uint8_t>(f.channel);
            for (unsigned v = 0; v < 256; ++v) {
                table.word[v] = uint64_t{field_value(f, layout.encoding, static_cast<uint8_t>(v), encoding.range)} << f.offset;
            }
        }
        p.planes_.push_back(std::move(plane));
    }
    return p;
}

void Packer::pack(const RgbImage& image)
{
    const size_t image_row = size_t{image.width} * 3;
    // Whether the image rows a texel row covers are the same bytes as those the row before covers
    // (test patterns repeat rows for long stretches): then the packed row is the same too.
    const auto same_rows_as_above = [&](const Plane& plane, uint32_t ty) {
        const uint32_t top = ty * plane.vsub;
        if (ty == 0 || top + plane.vsub > image.height) return false;  // the first row, or a short one at the bottom
        return std::memcmp(image.rgb.data() + size_t{top} * image_row, image.rgb.data() + size_t{top - plane.vsub} * image_row,
                           size_t{plane.vsub} * image_row) == 0;
    };
    for (Plane& plane : planes_) {
        const size_t n = plane.texel_bytes;
        for (uint32_t ty = 0; ty < plane.height; ++ty) {
            uint8_t* row = plane.bytes.data() + size_t{ty} * plane.row_bytes;
            if (same_rows_as_above(plane, ty)) {
                std::memcpy(row, row - plane.row_bytes, plane.row_bytes);
                continue;
            }
            std::optional<Rgb> last;  // the colour of the texel before, and its word
            uint64_t last_word = 0;
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
                if (!last || *last != c) {
                    const Ycbcr ycc = plane.yuv ? rgb_to_ycbcr(c, coefficients_) : Ycbcr{};
                    const uint8_t inputs[6] = {c.r, c.g, c.b, ycc.y, ycc.cb, ycc.cr};  // in Channel order
                    last_word = plane.constant;
                    for (const FieldTable& f : plane.fields) last_word |= f.word[inputs[f.input]];
                    last = c;
                }
                store_le(row + tx * n, last_word, static_cast<unsigned>(n));
            }
        }
    }
}

Result<void> Packer::pack(const Rgb10Image& image)
{
    if (!keeps_10_bit_rgb(format_)) {
        return Error{"10-bit codes cannot be packed into " + name(format_) +
                     ", which is YUV or holds fewer bits a channel; these keep them: " + formats_keeping_10_bit_rgb()};
    }
    Plane& plane = planes_.front();  // one RGB plane, not subsampled
    if (image.width != plane.width || image.height != plane.height) {
        return Error{"a " + std::to_string(image.width) + "x" + std::to_string(image.height) + " image for a packer of " +
                     std::to_string(plane.width) + "x" + std::to_string(plane.height)};
    }
    const size_t n = plane.texel_bytes;
    const size_t image_row = size_t{image.width} * 3 * sizeof(uint16_t);
    const auto* pixels = reinterpret_cast<const uint8_t*>(image.rgb.data());
    for (uint32_t y = 0; y < plane.height; ++y) {
        uint8_t* row = plane.bytes.data() + size_t{y} * plane.row_bytes;
        if (y > 0 && std::memcmp(pixels + y * image_row, pixels + (y - 1) * image_row, image_row) == 0) {
            std::memcpy(row, row - plane.row_bytes, plane.row_bytes);  // a row like the one above
            continue;
        }
        std::optional<Rgb10> last;  // the colour of the texel before, and its word
        uint64_t last_word = 0;
        for (uint32_t x = 0; x < plane.width; ++x) {
            const Rgb10 c = image.at(x, y);
            if (!last || *last != c) {
                last_word = 0;
                for (const Field& f : plane.layout.used()) {
                    const uint16_t code = f.channel == Channel::r ? c.r : f.channel == Channel::g ? c.g : c.b;
                    last_word |= uint64_t{field_value_10bit(f, plane.layout.encoding, code)} << f.offset;
                }
                last = c;
            }
            store_le(row + x * n, last_word, static_cast<unsigned>(n));
        }
    }
    return {};
}

std::vector<PlanePixels> Packer::planes() const
{
    std::vector<PlanePixels> out;
    for (const Plane& p : planes_) out.push_back({p.bytes, p.row_bytes});
    return out;
}

}  // namespace dmafeed::pixels
