#include "alloc/buffer.hpp"

#include "alloc/dmabuf_mapping.hpp"
#include "drm/format_info.hpp"
#include "util/frame_copy.hpp"

#include <algorithm>
#include <string>
#include <sys/stat.h>

namespace dmafeed {

std::string_view fill_path_name(FillPath path) noexcept
{
    switch (path) {
    case FillPath::vulkan: return "vulkan";
    case FillPath::cpu_mapping: return "cpu-mapping";
    }
    return "?";
}

Result<void> Buffer::write_region(std::span<const PlanePixels> planes, PixelRect region) const
{
    const bool whole = region == PixelRect{0, 0, width(), height()};
    // Called for every changed rectangle of a frame: the message is made only for an error.
    const auto what = [&] {
        return "write " + name(format()) + " " + std::to_string(width()) + "x" + std::to_string(height()) +
               (whole ? "" : " region " + std::to_string(region.width) + "x" + std::to_string(region.height) + "+" +
                                 std::to_string(region.x) + "+" + std::to_string(region.y)) +
               " (" + std::string{allocator_name()} + " buffer)";
    };
    const FormatInfo* info = format_info(format());
    if (!info || planes.size() != info->plane_count || planes_.size() < info->plane_count) {
        return Error{what() + ": " + std::to_string(planes.size()) + " planes given, " +
                     std::to_string(info ? info->plane_count : 0) + " needed"};
    }
    if (region.width == 0 || region.height == 0 || region.x >= width() || region.y >= height() ||
        region.width > width() - region.x || region.height > height() - region.y) {
        return Error{what() + ": the region is empty or not inside the image"};
    }
    const DrmModifier layout = layout_modifier();
    if (!layout.is_linear()) {
        return Error{what() + ": a CPU mapping needs a LINEAR layout; this buffer's is " +
                     (layout.is_implicit() ? std::string{"not known (INVALID)"} : name(layout))};
    }
    // Planes of one dma-buf share a mapping: one DMA_BUF_IOCTL_SYNC start (the first begin()) and
    // one end for the whole write, however it returns.
    struct EndAccess {
        const Buffer& buffer;
        ~EndAccess() { buffer.end_cpu_write(); }
    } end_access{*this};
    for (uint32_t p = 0; p < info->plane_count; ++p) {
        const BufferPlane& plane = planes_[p];
        const uint32_t hsub = info->planes[p].h_subsampling, vsub = info->planes[p].v_subsampling;
        const bool right = region.x + region.width == width(), bottom = region.y + region.height == height();
        if (region.x % hsub || region.y % vsub || (!right && region.width % hsub) || (!bottom && region.height % vsub)) {
            return Error{what() + ": plane " + std::to_string(p) + " is subsampled " + std::to_string(hsub) + "x" +
                         std::to_string(vsub) + "; the region splits its texels"};
        }
        // The plane's texels the region covers.
        const uint32_t col = region.x / hsub, row0 = region.y / vsub;
        const uint32_t rows = plane_height(*info, p, region.y + region.height) - row0;
        const uint64_t bytes = uint64_t{plane_width(*info, p, region.x + region.width) - col} * info->planes[p].bytes_per_pixel;
        if (planes[p].row_bytes < bytes || planes[p].data.size() < uint64_t{planes[p].row_bytes} * (rows - 1) + bytes) {
            return Error{what() + ": plane " + std::to_string(p) + " source is smaller than the plane (" +
                         std::to_string(planes[p].data.size()) + " bytes, rows " + std::to_string(planes[p].row_bytes) +
                         " apart)"};
        }
        auto mapped = plane_mapping(p);
        if (!mapped) return std::move(mapped).error().context(what() + ": plane " + std::to_string(p));
        DmabufMapping* map = *mapped;
        map->begin();
        uint8_t* dst = map->bytes().data() + plane.offset + size_t{row0} * plane.stride + size_t{col} * info->planes[p].bytes_per_pixel;
        for (uint32_t y = 0; y < rows; ++y) {
            copy_frame_bytes(dst + size_t{y} * plane.stride, planes[p].data.data() + size_t{y} * planes[p].row_bytes, bytes);
        }
    }
    return {};
}

void Buffer::group_planes() const
{
    if (!dmabuf_of_plane_.empty()) return;
    // Planes whose fds are one dma-buf (one file: device and inode) form one group, so that what
    // is done once per dma-buf is: one mapping and one DMA_BUF_IOCTL_SYNC start and end a frame,
    // one implicit-sync fence.
    std::vector<struct stat> files(planes_.size());
    dmabuf_of_plane_.assign(planes_.size(), 0);
    for (size_t q = 0; q < planes_.size(); ++q) {
        const bool known = fstat(planes_[q].fd.get(), &files[q]) == 0;
        size_t same = q;
        for (size_t r = 0; known && r < q && same == q; ++r) {
            if (files[r].st_dev == files[q].st_dev && files[r].st_ino == files[q].st_ino) same = r;
        }
        if (same == q) {
            dmabuf_of_plane_[q] = dmabuf_fds_.size();
            dmabuf_fds_.push_back(planes_[q].fd.get());
        } else {
            dmabuf_of_plane_[q] = dmabuf_of_plane_[same];
        }
    }
    cpu_maps_.resize(dmabuf_fds_.size());
    // Each mapping's size: from the dma-buf's start to the end of the last plane in it.
    map_bytes_.assign(dmabuf_fds_.size(), 0);
    if (const FormatInfo* info = format_info(format())) {
        for (uint32_t q = 0; q < std::min<size_t>(info->plane_count, planes_.size()); ++q) {
            uint64_t& end = map_bytes_[dmabuf_of_plane_[q]];
            end = std::max(end, planes_[q].offset + uint64_t{planes_[q].stride} * (plane_height(*info, q, height()) - 1) +
                                    min_stride(*info, q, width()));
        }
    }
}

std::span<const int> Buffer::dmabuf_fds() const
{
    group_planes();
    return dmabuf_fds_;
}

size_t Buffer::dmabuf_of_plane(size_t p) const
{
    group_planes();
    return dmabuf_of_plane_.at(p);
}

Result<DmabufMapping*> Buffer::plane_mapping(uint32_t p) const
{
    const FormatInfo* info = format_info(format());
    if (!info || p >= info->plane_count || p >= planes_.size()) return Error{"no plane " + std::to_string(p)};
    group_planes();
    // The mapping spans the planes that share it (kept for the next write).
    const size_t index = dmabuf_of_plane_[p];
    const uint64_t end = map_bytes_[index];
    std::optional<DmabufMapping>& map = cpu_maps_[index];
    if (!map || map->bytes().size() < end) {
        map.reset();
        auto made = DmabufMapping::map_persistent(planes_[p].fd.get(), end, DmabufMapping::Access::write);
        if (!made) return std::move(made).error();
        map.emplace(std::move(*made));
    }
    return &*map;
}

Result<Buffer::MappedPlanes> Buffer::begin_cpu_write() const
{
    // Called once a frame: the message is made only for an error.
    const auto what = [this] {
        return "map " + name(format()) + " " + std::to_string(width()) + "x" + std::to_string(height()) + " (" +
               std::string{allocator_name()} + " buffer)";
    };
    const FormatInfo* info = format_info(format());
    if (!info) return Error{what() + ": not in the format table"};
    if (!layout_modifier().is_linear()) return Error{what() + ": a CPU mapping needs a LINEAR layout"};
    MappedPlanes out;
    for (uint32_t p = 0; p < info->plane_count; ++p) {
        auto mapped = plane_mapping(p);
        if (!mapped) {
            end_cpu_write();
            return std::move(mapped).error().context(what() + ": plane " + std::to_string(p));
        }
        (*mapped)->begin();
        out.planes[out.count++] = {(*mapped)->bytes().data() + planes_[p].offset, planes_[p].stride};
    }
    return out;
}

void Buffer::end_cpu_write() const noexcept
{
    for (std::optional<DmabufMapping>& map : cpu_maps_) {
        if (map) map->end();
    }
}

Result<std::vector<vk::ImageRegion>> Buffer::upload_regions(std::span<const PlanePixels>) const
{
    return Error{"a " + std::string{allocator_name()} + " buffer has no Vulkan images to upload to; use write_planes"};
}

}  // namespace dmafeed
