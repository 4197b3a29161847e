#include "drm/format_info.hpp"

#include <algorithm>
#include <cassert>
#include <limits>
#include <string>

namespace dmafeed {

namespace {

constexpr FormatInfo rgb(uint32_t fourcc, VkFormat vk, uint8_t bytes_per_pixel, bool alpha)
{
    FormatInfo info{};
    info.format = DrmFormat{fourcc};
    info.vk_format = vk;
    info.plane_count = 1;
    info.planes[0] = PlaneInfo{vk, 1, 1, bytes_per_pixel};
    info.has_alpha = alpha;
    return info;
}

// Luma plane + one interleaved chroma plane (NV12 family).
constexpr FormatInfo semi_planar(uint32_t fourcc, VkFormat whole, VkFormat luma, VkFormat chroma,
                                 uint8_t bytes_per_sample, uint8_t h_sub, uint8_t v_sub)
{
    FormatInfo info{};
    info.format = DrmFormat{fourcc};
    info.vk_format = whole;
    info.plane_count = 2;
    info.planes[0] = PlaneInfo{luma, 1, 1, bytes_per_sample};
    info.planes[1] = PlaneInfo{chroma, h_sub, v_sub, static_cast<uint8_t>(2 * bytes_per_sample)};
    info.is_yuv = true;
    return info;
}

// Three planes of one sample each: 8-bit (YUV420 family), or 16-bit (Q410: 10 bits in the high
// bits of 16, sampled per plane as R16 UNORM).
constexpr FormatInfo planar(uint32_t fourcc, VkFormat whole, uint8_t h_sub, uint8_t v_sub,
                            VkFormat sample = VK_FORMAT_R8_UNORM, uint8_t bytes_per_sample = 1)
{
    FormatInfo info{};
    info.format = DrmFormat{fourcc};
    info.vk_format = whole;
    info.plane_count = 3;
    info.planes[0] = PlaneInfo{sample, 1, 1, bytes_per_sample};
    info.planes[1] = PlaneInfo{sample, h_sub, v_sub, bytes_per_sample};
    info.planes[2] = PlaneInfo{sample, h_sub, v_sub, bytes_per_sample};
    info.is_yuv = true;
    return info;
}

const FormatInfo format_table[] = {
    rgb(DRM_FORMAT_XRGB8888, VK_FORMAT_B8G8R8A8_UNORM, 4, false),
    rgb(DRM_FORMAT_ARGB8888, VK_FORMAT_B8G8R8A8_UNORM, 4, true),
    rgb(DRM_FORMAT_XBGR8888, VK_FORMAT_R8G8B8A8_UNORM, 4, false),
    rgb(DRM_FORMAT_ABGR8888, VK_FORMAT_R8G8B8A8_UNORM, 4, true),
    rgb(DRM_FORMAT_RGB888, VK_FORMAT_B8G8R8_UNORM, 3, false),
    rgb(DRM_FORMAT_BGR888, VK_FORMAT_R8G8B8_UNORM, 3, false),
    rgb(DRM_FORMAT_RGB565, VK_FORMAT_R5G6B5_UNORM_PACK16, 2, false),
    rgb(DRM_FORMAT_BGR565, VK_FORMAT_B5G6R5_UNORM_PACK16, 2, false),
    rgb(DRM_FORMAT_XRGB2101010, VK_FORMAT_A2R10G10B10_UNORM_PACK32, 4, false),
    rgb(DRM_FORMAT_ARGB2101010, VK_FORMAT_A2R10G10B10_UNORM_PACK32, 4, true),
    rgb(DRM_FORMAT_XBGR2101010, VK_FORMAT_A2B10G10R10_UNORM_PACK32, 4, false),
    rgb(DRM_FORMAT_ABGR2101010, VK_FORMAT_A2B10G10R10_UNORM_PACK32, 4, true),
#ifdef DRM_FORMAT_XBGR16161616
    rgb(DRM_FORMAT_XBGR16161616, VK_FORMAT_R16G16B16A16_UNORM, 8, false),
    rgb(DRM_FORMAT_ABGR16161616, VK_FORMAT_R16G16B16A16_UNORM, 8, true),
    // B, G, R, A in memory: Vulkan has no B16G16R16A16 format. GBM may make them (and fill them
    // through a mapping); Vulkan cannot.
    rgb(DRM_FORMAT_XRGB16161616, VK_FORMAT_UNDEFINED, 8, false),
    rgb(DRM_FORMAT_ARGB16161616, VK_FORMAT_UNDEFINED, 8, true),
#endif
    rgb(DRM_FORMAT_XBGR16161616F, VK_FORMAT_R16G16B16A16_SFLOAT, 8, false),
    rgb(DRM_FORMAT_ABGR16161616F, VK_FORMAT_R16G16B16A16_SFLOAT, 8, true),
    rgb(DRM_FORMAT_XRGB16161616F, VK_FORMAT_UNDEFINED, 8, false),  // no B16G16R16A16_SFLOAT either
    rgb(DRM_FORMAT_ARGB16161616F, VK_FORMAT_UNDEFINED, 8, true),
    rgb(DRM_FORMAT_R8, VK_FORMAT_R8_UNORM, 1, false),
    rgb(DRM_FORMAT_GR88, VK_FORMAT_R8G8_UNORM, 2, false),
    rgb(DRM_FORMAT_R16, VK_FORMAT_R16_UNORM, 2, false),
    rgb(DRM_FORMAT_GR1616, VK_FORMAT_R16G16_UNORM, 4, false),

    semi_planar(DRM_FORMAT_NV12, VK_FORMAT_G8_B8R8_2PLANE_420_UNORM, VK_FORMAT_R8_UNORM, VK_FORMAT_R8G8_UNORM,
                1, 2, 2),
    semi_planar(DRM_FORMAT_NV16, VK_FORMAT_G8_B8R8_2PLANE_422_UNORM, VK_FORMAT_R8_UNORM, VK_FORMAT_R8G8_UNORM,
                1, 2, 1),
    semi_planar(DRM_FORMAT_NV24, VK_FORMAT_G8_B8R8_2PLANE_444_UNORM, VK_FORMAT_R8_UNORM, VK_FORMAT_R8G8_UNORM,
                1, 1, 1),
    // 10/12 bits in the high bits of 16: sampled per plane as R16/R16G16 UNORM.
    semi_planar(DRM_FORMAT_P010, VK_FORMAT_G10X6_B10X6R10X6_2PLANE_420_UNORM_3PACK16, VK_FORMAT_R16_UNORM,
                VK_FORMAT_R16G16_UNORM, 2, 2, 2),
    semi_planar(DRM_FORMAT_P012, VK_FORMAT_G12X4_B12X4R12X4_2PLANE_420_UNORM_3PACK16, VK_FORMAT_R16_UNORM,
                VK_FORMAT_R16G16_UNORM, 2, 2, 2),
    semi_planar(DRM_FORMAT_P016, VK_FORMAT_G16_B16R16_2PLANE_420_UNORM, VK_FORMAT_R16_UNORM,
                VK_FORMAT_R16G16_UNORM, 2, 2, 2),
    semi_planar(DRM_FORMAT_P210, VK_FORMAT_G10X6_B10X6R10X6_2PLANE_422_UNORM_3PACK16, VK_FORMAT_R16_UNORM,
                VK_FORMAT_R16G16_UNORM, 2, 2, 1),

    planar(DRM_FORMAT_YUV420, VK_FORMAT_G8_B8_R8_3PLANE_420_UNORM, 2, 2),
    // V before U: the planes do not match G8_B8_R8's order.
    planar(DRM_FORMAT_YVU420, VK_FORMAT_UNDEFINED, 2, 2),
    planar(DRM_FORMAT_YUV422, VK_FORMAT_G8_B8_R8_3PLANE_422_UNORM, 2, 1),
    planar(DRM_FORMAT_YUV444, VK_FORMAT_G8_B8_R8_3PLANE_444_UNORM, 1, 1),
    // 10-bit 4:4:4 in the high bits of 16 (Y, Cb, Cr planes); Q401 stores Cr before Cb, which
    // G10X6_B10X6_R10X6's plane order does not match.
    planar(DRM_FORMAT_Q410, VK_FORMAT_G10X6_B10X6_R10X6_3PLANE_444_UNORM_3PACK16, 1, 1, VK_FORMAT_R16_UNORM, 2),
    planar(DRM_FORMAT_Q401, VK_FORMAT_UNDEFINED, 1, 1, VK_FORMAT_R16_UNORM, 2),
};

// Formats with the same bytes as a table entry's VkFormat.
VkFormat storage_twin(VkFormat f)
{
    switch (f) {
    case VK_FORMAT_B8G8R8A8_SRGB:
        return VK_FORMAT_B8G8R8A8_UNORM;
    case VK_FORMAT_R8G8B8A8_SRGB:
    case VK_FORMAT_A8B8G8R8_UNORM_PACK32:
    case VK_FORMAT_A8B8G8R8_SRGB_PACK32:
        return VK_FORMAT_R8G8B8A8_UNORM;
    case VK_FORMAT_B8G8R8_SRGB:
        return VK_FORMAT_B8G8R8_UNORM;
    case VK_FORMAT_R8G8B8_SRGB:
        return VK_FORMAT_R8G8B8_UNORM;
    case VK_FORMAT_R8_SRGB:
        return VK_FORMAT_R8_UNORM;
    case VK_FORMAT_R8G8_SRGB:
        return VK_FORMAT_R8G8_UNORM;
    default:
        return f;
    }
}

uint32_t ceil_div(uint32_t value, uint32_t divisor)
{
    return static_cast<uint32_t>((uint64_t{value} + divisor - 1) / divisor);
}

uint64_t align_up(uint64_t value, uint64_t alignment)
{
    return (value + alignment - 1) / alignment * alignment;
}

constexpr uint64_t u32_max = std::numeric_limits<uint32_t>::max();

std::string describe(DrmFormat format, uint32_t width, uint32_t height)
{
    return name(format) + " " + std::to_string(width) + "x" + std::to_string(height);
}

}  // namespace

bool FormatInfo::is_subsampled() const noexcept
{
    return std::any_of(planes.begin(), planes.begin() + plane_count,
                       [](const PlaneInfo& p) { return p.h_subsampling > 1 || p.v_subsampling > 1; });
}

const FormatInfo* format_info(DrmFormat format)
{
    for (const FormatInfo& info : format_table) {
        if (info.format == format) {
            return &info;
        }
    }
    return nullptr;
}

std::span<const FormatInfo> known_formats()
{
    return format_table;
}

std::optional<DrmFormat> drm_format_for(VkFormat vk_format, bool alpha)
{
    const VkFormat wanted = storage_twin(vk_format);
    if (wanted == VK_FORMAT_UNDEFINED) {
        return std::nullopt;
    }
    std::optional<DrmFormat> any;
    for (const FormatInfo& info : format_table) {
        if (info.vk_format != wanted) {
            continue;
        }
        if (info.has_alpha == alpha) {
            return info.format;
        }
        if (!any) {
            any = info.format;
        }
    }
    return any;
}

uint32_t plane_width(const FormatInfo& info, uint32_t plane, uint32_t width)
{
    assert(plane < info.plane_count);
    return ceil_div(width, info.planes[plane].h_subsampling);
}

uint32_t plane_height(const FormatInfo& info, uint32_t plane, uint32_t height)
{
    assert(plane < info.plane_count);
    return ceil_div(height, info.planes[plane].v_subsampling);
}

uint64_t min_stride(const FormatInfo& info, uint32_t plane, uint32_t width)
{
    return uint64_t{plane_width(info, plane, width)} * info.planes[plane].bytes_per_pixel;
}

Result<void> check_size(const FormatInfo& info, uint32_t width, uint32_t height, bool multiplanar_image)
{
    if (width == 0 || height == 0) {
        return Error{describe(info.format, width, height) + ": width and height must be nonzero"};
    }
    if (!multiplanar_image) {
        return {};
    }
    for (const PlaneInfo& p : info.plane_infos()) {
        if (width % p.h_subsampling != 0 || height % p.v_subsampling != 0) {
            return Error{describe(info.format, width, height) + ": a multi-planar Vulkan image of this format needs a "
                         "width that is a multiple of " + std::to_string(p.h_subsampling) +
                         " and a height that is a multiple of " + std::to_string(p.v_subsampling)};
        }
    }
    return {};
}

Result<std::vector<PlaneLayout>> linear_layout(DrmFormat format, uint32_t width, uint32_t height,
                                               uint32_t stride_align, bool one_buffer)
{
    const FormatInfo* info = format_info(format);
    if (info == nullptr) {
        return Error{"linear layout of " + name(format) + ": the format table does not know this format"};
    }
    if (auto ok = check_size(*info, width, height, false); !ok) {
        return std::move(ok).error().context("linear layout");
    }
    if (stride_align == 0) {
        return Error{"linear layout of " + describe(format, width, height) + ": stride alignment must be nonzero"};
    }

    std::vector<PlaneLayout> planes;
    planes.reserve(info->plane_count);
    uint64_t next_offset = 0;
    for (uint32_t i = 0; i < info->plane_count; ++i) {
        const auto where = [&] {
            return "linear layout of " + describe(format, width, height) + ": plane " + std::to_string(i);
        };
        const uint64_t stride = align_up(min_stride(*info, i, width), stride_align);
        if (stride > u32_max) {
            return Error{where() + " stride " + std::to_string(stride) + " does not fit 32 bits"};
        }
        // Both factors fit 32 bits, so neither the product nor the sum below overflows 64 bits.
        const uint64_t size = stride * plane_height(*info, i, height);
        const uint64_t offset = one_buffer ? align_up(next_offset, stride_align) : 0;
        if (offset + size > u32_max) {
            return Error{where() + " ends at byte " + std::to_string(offset + size) +
                         ", past the 4 GiB that 32-bit dma-buf offsets reach"};
        }
        planes.push_back(PlaneLayout{static_cast<uint32_t>(offset), static_cast<uint32_t>(stride),
                                     static_cast<uint32_t>(size)});
        next_offset = offset + size;
    }
    return planes;
}

uint64_t buffer_size(std::span<const PlaneLayout> planes)
{
    uint64_t end = 0;
    for (const PlaneLayout& p : planes) {
        end = std::max(end, uint64_t{p.offset} + p.size);
    }
    return end;
}

}  // namespace dmafeed
