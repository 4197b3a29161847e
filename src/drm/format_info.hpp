// The one table that maps DRM fourccs to Vulkan formats, with the geometry of every plane.
//
// Byte order: DRM fourccs describe a little-endian packed word, so DRM_FORMAT_XRGB8888 ([31:0]
// x:R:G:B) is the bytes B,G,R,X in memory, which is VK_FORMAT_B8G8R8A8_UNORM with alpha ignored.
// Packed Vulkan formats (_PACK16/_PACK32) name bits from most to least significant, like DRM:
// DRM_FORMAT_RGB565 == VK_FORMAT_R5G6B5_UNORM_PACK16, ARGB2101010 == A2R10G10B10_UNORM_PACK32.
//
// Every plane has its own single-plane VkFormat, for when it is imported or rendered as an image of
// its own (NV12: R8 luma + R8G8 chroma), except in the formats Vulkan has none for
// (XRGB16161616, ARGB16161616 and their F twins: no B16G16R16A16): VK_FORMAT_UNDEFINED, known
// here for their geometry, made by GBM only. YUV formats also name the multi-planar VkFormat of the
// whole image where one matches exactly (NV12 -> G8_B8R8_2PLANE_420_UNORM).
#pragma once

#include "drm/format.hpp"
#include "util/result.hpp"

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>
#include <vulkan/vulkan_core.h>

namespace dmafeed {

struct PlaneInfo {
    VkFormat vk_format = VK_FORMAT_UNDEFINED;  // this plane as an image of its own
    uint8_t h_subsampling = 1;                  // plane width = ceil(image width / h_subsampling)
    uint8_t v_subsampling = 1;                  // plane height = ceil(image height / v_subsampling)
    uint8_t bytes_per_pixel = 0;                // bytes of one texel of this plane
};

struct FormatInfo {
    DrmFormat format;
    // The whole image: the plane's format for single-plane formats; for multi-plane formats the
    // multi-planar VkFormat when one matches the planes' order, else VK_FORMAT_UNDEFINED (YVU420
    // stores V before U; use one image per plane).
    VkFormat vk_format = VK_FORMAT_UNDEFINED;
    uint32_t plane_count = 1;
    std::array<PlaneInfo, 4> planes{};
    bool has_alpha = false;  // false for X formats even when the VkFormat has an A channel
    bool is_yuv = false;

    std::span<const PlaneInfo> plane_infos() const noexcept { return {planes.data(), plane_count}; }
    bool is_subsampled() const noexcept;
};

// nullptr when the table does not know the format.
const FormatInfo* format_info(DrmFormat format);
// Every format of the table, RGB before YUV.
std::span<const FormatInfo> known_formats();

// The DRM format whose memory layout `vk_format` describes. `alpha` picks between formats that
// share a VkFormat (B8G8R8A8_UNORM: ARGB8888 with alpha, XRGB8888 without); where only one format
// has the VkFormat it is returned whatever `alpha` says. _SRGB formats map like their _UNORM twins
// (same bytes; the transfer function is a property of the view, as in Mesa's WSI).
std::optional<DrmFormat> drm_format_for(VkFormat vk_format, bool alpha);

// Plane geometry. `plane` must be below info.plane_count. Subsampled planes round up: NV12 63x35
// has a 32x18 chroma plane.
uint32_t plane_width(const FormatInfo& info, uint32_t plane, uint32_t width);
uint32_t plane_height(const FormatInfo& info, uint32_t plane, uint32_t height);
// plane_width * bytes_per_pixel, in 64 bits so that it cannot overflow.
uint64_t min_stride(const FormatInfo& info, uint32_t plane, uint32_t width);

// Whether width x height is a legal image size: nonzero, and, when `multiplanar_image` (one
// VkImage of the multi-planar VkFormat), a multiple of the subsampling (Vulkan requires even widths
// for _422/_420 formats and even heights for _420). Planes imported as separate images, and
// linux-dmabuf itself, allow odd sizes.
Result<void> check_size(const FormatInfo& info, uint32_t width, uint32_t height, bool multiplanar_image);

// One plane of a buffer, as linux-dmabuf's add() request and VkSubresourceLayout describe it.
struct PlaneLayout {
    uint32_t offset = 0;  // from the start of the plane's buffer (dma-buf)
    uint32_t stride = 0;  // bytes from one row to the next
    uint32_t size = 0;    // stride * plane height
    friend bool operator==(const PlaneLayout&, const PlaneLayout&) = default;
};

// A LINEAR layout for every plane of `format` at width x height. Each stride is the plane's
// min_stride rounded up to `stride_align` (1 for tight rows). With `one_buffer` the planes follow
// each other in one buffer, each offset rounded up to `stride_align` too; otherwise every plane sits
// at offset 0 of a buffer of its own. Fails for an unknown format, a zero size or alignment, or when
// a stride, offset or plane end does not fit the 32-bit fields of linux-dmabuf.
Result<std::vector<PlaneLayout>> linear_layout(DrmFormat format, uint32_t width, uint32_t height,
                                               uint32_t stride_align, bool one_buffer);
// Bytes a buffer must have to hold all `planes` that share it: the largest offset + size.
uint64_t buffer_size(std::span<const PlaneLayout> planes);

}  // namespace dmafeed
