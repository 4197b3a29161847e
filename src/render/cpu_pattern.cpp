#include "render/cpu_pattern.hpp"

#include "drm/format_info.hpp"

#include <algorithm>

namespace dmafeed::render {

PixelRect align_to_blocks(PixelRect rect, uint32_t hsub, uint32_t vsub, uint32_t width, uint32_t height) noexcept
{
    if (rect.x >= width || rect.y >= height || rect.width == 0 || rect.height == 0) return {};
    const uint32_t x0 = rect.x / hsub * hsub, y0 = rect.y / vsub * vsub;
    const uint64_t x1 = std::min<uint64_t>(width, (uint64_t{rect.x} + rect.width + hsub - 1) / hsub * hsub);
    const uint64_t y1 = std::min<uint64_t>(height, (uint64_t{rect.y} + rect.height + vsub - 1) / vsub * vsub);
    return {x0, y0, static_cast<uint32_t>(x1 - x0), static_cast<uint32_t>(y1 - y0)};
}

std::string CpuPatternDrawer::cannot_draw(const Buffer& buffer)
{
    const DrmModifier layout = buffer.layout_modifier();
    if (!layout.is_linear()) {
        return "the CPU draws into LINEAR buffers only; this one's layout is " +
               (layout.is_implicit() ? std::string{"not known (INVALID)"} : name(layout));
    }
    // Asked per frame: packable() is a table lookup; Packer::create only for its message.
    if (!pixels::packable(buffer.format())) return pixels::Packer::create(buffer.format(), 1, 1).error().message();
    return {};
}

Result<void> CpuPatternDrawer::draw(const Buffer& buffer, const sources::PatternFrame& frame,
                                    pixels::YuvEncoding encoding, std::optional<std::span<const PixelRect>> regions)
{
    const FormatInfo* info = format_info(buffer.format());
    if (!info) return Error{"CPU pattern: " + name(buffer.format()) + " is not in the format table"};
    if (auto fits = sources::check_pattern_format(frame.kind, buffer.format()); !fits) {
        return std::move(fits).error().context("CPU pattern");
    }
    if (frame.width != buffer.width() || frame.height != buffer.height()) {
        return Error{"CPU pattern: a " + std::to_string(frame.width) + "x" + std::to_string(frame.height) + " frame for a " +
                     std::to_string(buffer.width()) + "x" + std::to_string(buffer.height()) + " buffer"};
    }
    uint32_t hsub = 1, vsub = 1;
    for (uint32_t p = 0; p < info->plane_count; ++p) {
        hsub = std::max<uint32_t>(hsub, info->planes[p].h_subsampling);
        vsub = std::max<uint32_t>(vsub, info->planes[p].v_subsampling);
    }
    const PixelRect whole{0, 0, buffer.width(), buffer.height()};
    for (const PixelRect& asked : regions ? *regions : std::span<const PixelRect>{&whole, 1}) {
        const PixelRect r = align_to_blocks(asked, hsub, vsub, buffer.width(), buffer.height());
        if (r.width == 0) continue;
        auto cached = std::find_if(packers_.begin(), packers_.end(), [&](const CachedPacker& c) {
            return c.format == buffer.format() && c.width == r.width && c.height == r.height && c.encoding == encoding;
        });
        if (cached == packers_.end()) {
            auto made = pixels::Packer::create(buffer.format(), r.width, r.height, encoding);
            if (!made) return std::move(made).error().context("CPU pattern");
            if (packers_.size() >= 8) packers_.erase(packers_.begin());  // the oldest
            packers_.push_back({buffer.format(), r.width, r.height, encoding, std::move(*made)});
            cached = std::prev(packers_.end());
        }
        if (sources::needs_10_bits(frame.kind)) {
            scratch_10bit_.width = r.width;
            scratch_10bit_.height = r.height;
            scratch_10bit_.rgb.resize(size_t{r.width} * r.height * 3);
            sources::fill_pattern_10bit(frame, r.x, r.y, scratch_10bit_);
            if (auto packed = cached->packer.pack(scratch_10bit_); !packed) return std::move(packed).error().context("CPU pattern");
        } else {
            scratch_.width = r.width;
            scratch_.height = r.height;
            scratch_.rgb.resize(size_t{r.width} * r.height * 3);
            sources::fill_pattern(frame, r.x, r.y, scratch_);
            cached->packer.pack(scratch_);
        }
        const std::vector<PlanePixels> planes = cached->packer.planes();
        if (auto written = buffer.write_region(planes, r); !written) return std::move(written).error().context("CPU pattern");
    }
    return {};
}

}  // namespace dmafeed::render
