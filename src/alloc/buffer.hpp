// An allocated, exported buffer: what linux-dmabuf's params need (one fd, offset and stride per
// plane, one modifier), plus how the producer fills it.
#pragma once

#include "alloc/dmabuf_mapping.hpp"
#include "drm/format.hpp"
#include "pixels/plane_pixels.hpp"
#include "util/rect.hpp"
#include "util/result.hpp"
#include "util/unique_fd.hpp"
#include "vk/upload.hpp"

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

namespace dmafeed {

struct BufferPlane {
    UniqueFd fd;          // a dma-buf; planes of one memory hold separate fds of the same dma-buf
    uint32_t offset = 0;  // of the plane in its dma-buf
    uint32_t stride = 0;  // bytes per row
    uint64_t size = 0;    // bytes of the plane (stride * plane rows, or the driver's figure)
};

enum class FillPath {
    vulkan,       // a VkImage bound to the exported memory: render or copy with Vulkan
    cpu_mapping,  // only a CPU mapping of the dma-buf (bracketed by DMA_BUF_IOCTL_SYNC)
};

std::string_view fill_path_name(FillPath path) noexcept;

class Buffer {
public:
    Buffer(const Buffer&) = delete;
    Buffer& operator=(const Buffer&) = delete;
    virtual ~Buffer() = default;

    DrmFormat format() const noexcept { return format_; }
    DrmModifier modifier() const noexcept { return modifier_; }
    uint32_t width() const noexcept { return width_; }
    uint32_t height() const noexcept { return height_; }
    std::span<const BufferPlane> planes() const noexcept { return planes_; }
    // One fd for each distinct dma-buf of the planes (planes of one memory are one dma-buf), in
    // plane order: for what is done once per dma-buf (implicit-sync fences).
    std::span<const int> dmabuf_fds() const;
    // The index in dmabuf_fds() of plane p's dma-buf.
    size_t dmabuf_of_plane(size_t p) const;
    // Bytes of memory behind the planes (each distinct dma-buf counted once).
    uint64_t allocated_bytes() const noexcept { return allocated_bytes_; }
    virtual FillPath fill_path() const noexcept = 0;
    // "vulkan", "gbm".
    virtual std::string_view allocator_name() const noexcept = 0;
    // What the layout is known to be; differs from modifier() only where a buffer reports INVALID
    // but its layout is known (GBM's kms_swrast, see gbm_allocator.hpp).
    virtual DrmModifier layout_modifier() const noexcept { return modifier_; }

    // Writes every format plane (one entry of `planes` per plane) through CPU mappings of the plane
    // fds, bracketed by DMA_BUF_IOCTL_SYNC. Needs a LINEAR layout and writable fds. The mappings
    // are made on the first write and kept for the buffer's life.
    Result<void> write_planes(std::span<const PlanePixels> planes) const { return write_region(planes, {0, 0, width_, height_}); }
    // The same for the pixels of `region` only: `planes` hold that region (plane p: the texels of
    // plane p that the region covers, from its first row and column). The region's x and y are
    // multiples of the format's subsampling, and so are its width and height unless it reaches the
    // image's right or bottom edge (so that every texel it touches is whole).
    virtual Result<void> write_region(std::span<const PlanePixels> planes, PixelRect region) const;
    // The same mappings, for a caller that writes the planes itself (a reader that reads straight
    // into them): each plane's first byte and stride, after DMA_BUF_IOCTL_SYNC start on every
    // plane; end_cpu_write() ends the access. LINEAR layouts and writable fds only.
    struct MappedPlane {
        uint8_t* data = nullptr;
        uint32_t stride = 0;
    };
    // One per format plane (at most 4), held in place: a frame's access allocates nothing.
    struct MappedPlanes {
        std::array<MappedPlane, 4> planes{};
        size_t count = 0;
        size_t size() const noexcept { return count; }
        const MappedPlane& operator[](size_t i) const noexcept { return planes[i]; }
    };
    virtual Result<MappedPlanes> begin_cpu_write() const;
    void end_cpu_write() const noexcept;
    // The regions that fill every format plane with vk::Uploader (the vulkan fill path only; the
    // base class has no images and says so).
    virtual Result<std::vector<vk::ImageRegion>> upload_regions(std::span<const PlanePixels> planes) const;

protected:
    Buffer(DrmFormat format, DrmModifier modifier, uint32_t width, uint32_t height)
        : format_{format}, modifier_{modifier}, width_{width}, height_{height}
    {
    }
    void set_modifier(DrmModifier modifier) noexcept { modifier_ = modifier; }
    std::vector<BufferPlane> planes_;
    uint64_t allocated_bytes_ = 0;
    mutable std::vector<std::optional<DmabufMapping>> cpu_maps_;  // per dma-buf, after planes_: unmapped first
    mutable std::vector<size_t> dmabuf_of_plane_;  // plane -> its dma-buf's index (dmabuf_fds_, cpu_maps_)
    mutable std::vector<int> dmabuf_fds_;          // of planes_, which outlive it
    mutable std::vector<uint64_t> map_bytes_;      // per dma-buf: its mapping's size (to its last plane's end)
    // Fills the four above on first use (planes_ is complete by then).
    void group_planes() const;
    // Plane p's kept mapping (made on first use, from the dma-buf's start to the end of the last
    // plane in it): planes of one dma-buf share one.
    Result<DmabufMapping*> plane_mapping(uint32_t p) const;

private:
    DrmFormat format_;
    DrmModifier modifier_;
    uint32_t width_ = 0;
    uint32_t height_ = 0;
};

}  // namespace dmafeed
