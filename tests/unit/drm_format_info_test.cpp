#include "drm/format_info.hpp"

#include <gtest/gtest.h>
#include <map>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

using dmafeed::buffer_size;
using dmafeed::check_size;
using dmafeed::drm_format_for;
using dmafeed::DrmFormat;
using dmafeed::format_info;
using dmafeed::FormatInfo;
using dmafeed::known_formats;
using dmafeed::linear_layout;
using dmafeed::PlaneLayout;

namespace {

const FormatInfo& info_of(uint32_t fourcc)
{
    const FormatInfo* info = format_info(DrmFormat{fourcc});
    if (info == nullptr) {
        throw std::runtime_error{"format missing from the table: " + dmafeed::name(DrmFormat{fourcc})};
    }
    return *info;
}

}  // namespace

TEST(FormatTable, HasTheFormatsProducersNeed)
{
    for (uint32_t f : {DRM_FORMAT_XRGB8888, DRM_FORMAT_ARGB8888, DRM_FORMAT_XBGR8888, DRM_FORMAT_ABGR8888,
                       DRM_FORMAT_RGB565, DRM_FORMAT_XRGB2101010, DRM_FORMAT_ARGB2101010, DRM_FORMAT_XBGR2101010,
                       DRM_FORMAT_ABGR2101010, DRM_FORMAT_ABGR16161616F, DRM_FORMAT_XBGR16161616F, DRM_FORMAT_NV12,
                       DRM_FORMAT_NV16, DRM_FORMAT_P010, DRM_FORMAT_YUV420, DRM_FORMAT_YVU420}) {
        EXPECT_NE(format_info(DrmFormat{f}), nullptr) << dmafeed::name(DrmFormat{f});
    }
    EXPECT_EQ(format_info(DrmFormat{DRM_FORMAT_C8}), nullptr);
    EXPECT_EQ(format_info(DrmFormat{}), nullptr);
}

TEST(FormatTable, EntriesAreConsistent)
{
    std::set<DrmFormat> seen;
    for (const FormatInfo& info : known_formats()) {
        const std::string n = dmafeed::name(info.format);
        EXPECT_TRUE(seen.insert(info.format).second) << "listed twice: " << n;
        EXPECT_EQ(format_info(info.format), &info) << n;
        ASSERT_GE(info.plane_count, 1U) << n;
        ASSERT_LE(info.plane_count, 4U) << n;
        EXPECT_EQ(info.plane_infos().size(), info.plane_count) << n;
        // Only the formats Vulkan has no VkFormat for go without one (FormatTable.FormatsVulkanLacks).
        const bool no_vk_format = n == "XRGB16161616" || n == "ARGB16161616" || n == "XRGB16161616F" || n == "ARGB16161616F";
        for (const auto& p : info.plane_infos()) {
            EXPECT_EQ(p.vk_format == VK_FORMAT_UNDEFINED, no_vk_format) << n;
            EXPECT_GT(p.bytes_per_pixel, 0U) << n;
        }
        EXPECT_EQ(info.plane_count > 1, info.is_yuv) << n;
        if (info.plane_count == 1) {
            EXPECT_EQ(info.vk_format, info.planes[0].vk_format) << n;
        }
        // Luma is never subsampled.
        EXPECT_EQ(info.planes[0].h_subsampling, 1U) << n;
        EXPECT_EQ(info.planes[0].v_subsampling, 1U) << n;
    }
}

TEST(FormatTable, DrmToVulkanToDrmRoundTrips)
{
    // Where a (VkFormat, alpha) pair names one table entry, the lookup must find exactly that entry.
    std::map<std::pair<VkFormat, bool>, int> uses;
    for (const FormatInfo& info : known_formats()) {
        if (info.vk_format != VK_FORMAT_UNDEFINED) {
            ++uses[{info.vk_format, info.has_alpha}];
        }
    }
    int checked = 0;
    for (const FormatInfo& info : known_formats()) {
        if (info.vk_format == VK_FORMAT_UNDEFINED) {
            continue;
        }
        EXPECT_EQ((uses[{info.vk_format, info.has_alpha}]), 1) << dmafeed::name(info.format);
        const auto back = drm_format_for(info.vk_format, info.has_alpha);
        ASSERT_TRUE(back.has_value()) << dmafeed::name(info.format);
        EXPECT_EQ(*back, info.format) << dmafeed::name(info.format) << " came back as " << dmafeed::name(*back);
        ++checked;
    }
    EXPECT_GE(checked, 20);
}

TEST(FormatTable, ByteOrderOfRgbFormats)
{
    EXPECT_EQ(info_of(DRM_FORMAT_XRGB8888).vk_format, VK_FORMAT_B8G8R8A8_UNORM);
    EXPECT_FALSE(info_of(DRM_FORMAT_XRGB8888).has_alpha);
    EXPECT_EQ(info_of(DRM_FORMAT_ARGB8888).vk_format, VK_FORMAT_B8G8R8A8_UNORM);
    EXPECT_TRUE(info_of(DRM_FORMAT_ARGB8888).has_alpha);
    EXPECT_EQ(info_of(DRM_FORMAT_XBGR8888).vk_format, VK_FORMAT_R8G8B8A8_UNORM);
    EXPECT_EQ(info_of(DRM_FORMAT_ABGR8888).vk_format, VK_FORMAT_R8G8B8A8_UNORM);
    EXPECT_EQ(info_of(DRM_FORMAT_RGB565).vk_format, VK_FORMAT_R5G6B5_UNORM_PACK16);
    EXPECT_EQ(info_of(DRM_FORMAT_RGB565).planes[0].bytes_per_pixel, 2U);
    EXPECT_EQ(info_of(DRM_FORMAT_XRGB2101010).vk_format, VK_FORMAT_A2R10G10B10_UNORM_PACK32);
    EXPECT_EQ(info_of(DRM_FORMAT_ARGB2101010).vk_format, VK_FORMAT_A2R10G10B10_UNORM_PACK32);
    EXPECT_EQ(info_of(DRM_FORMAT_XBGR2101010).vk_format, VK_FORMAT_A2B10G10R10_UNORM_PACK32);
    EXPECT_EQ(info_of(DRM_FORMAT_ABGR2101010).vk_format, VK_FORMAT_A2B10G10R10_UNORM_PACK32);
    EXPECT_EQ(info_of(DRM_FORMAT_ABGR16161616F).vk_format, VK_FORMAT_R16G16B16A16_SFLOAT);
    EXPECT_EQ(info_of(DRM_FORMAT_XBGR16161616F).vk_format, VK_FORMAT_R16G16B16A16_SFLOAT);
    EXPECT_EQ(info_of(DRM_FORMAT_ABGR16161616F).planes[0].bytes_per_pixel, 8U);

    EXPECT_EQ(drm_format_for(VK_FORMAT_B8G8R8A8_UNORM, false), DrmFormat{DRM_FORMAT_XRGB8888});
    EXPECT_EQ(drm_format_for(VK_FORMAT_B8G8R8A8_UNORM, true), DrmFormat{DRM_FORMAT_ARGB8888});
    // SRGB twins share the bytes.
    EXPECT_EQ(drm_format_for(VK_FORMAT_B8G8R8A8_SRGB, false), DrmFormat{DRM_FORMAT_XRGB8888});
    EXPECT_EQ(drm_format_for(VK_FORMAT_R8G8B8A8_SRGB, true), DrmFormat{DRM_FORMAT_ABGR8888});
    // A format with one entry is found whatever alpha says.
    EXPECT_EQ(drm_format_for(VK_FORMAT_R5G6B5_UNORM_PACK16, true), DrmFormat{DRM_FORMAT_RGB565});
    EXPECT_EQ(drm_format_for(VK_FORMAT_UNDEFINED, false), std::nullopt);
    EXPECT_EQ(drm_format_for(VK_FORMAT_BC1_RGB_UNORM_BLOCK, false), std::nullopt);
}

TEST(FormatTable, FormatsVulkanLacks)
{
    // [63:0] x:R:G:B 16:16:16:16 little endian is B, G, R, X in memory: no B16G16R16A16 in Vulkan.
    for (uint32_t f : {DRM_FORMAT_XRGB16161616, DRM_FORMAT_ARGB16161616, DRM_FORMAT_XRGB16161616F,
                       DRM_FORMAT_ARGB16161616F}) {
        const FormatInfo& info = info_of(f);
        const std::string n = dmafeed::name(info.format);
        EXPECT_EQ(info.vk_format, VK_FORMAT_UNDEFINED) << n;
        EXPECT_EQ(info.plane_count, 1U) << n;
        EXPECT_EQ(info.planes[0].bytes_per_pixel, 8U) << n;
        EXPECT_FALSE(info.is_yuv) << n;
        EXPECT_EQ(info.has_alpha, n[0] == 'A') << n;
        auto layout = linear_layout(info.format, 3, 2, 1, true);
        ASSERT_TRUE(layout.ok()) << n;
        EXPECT_EQ((*layout)[0].stride, 24U) << n;
    }
    // Their VkFormat-less entries take nothing from the twins that have one.
    EXPECT_EQ(drm_format_for(VK_FORMAT_R16G16B16A16_UNORM, false), DrmFormat{DRM_FORMAT_XBGR16161616});
    EXPECT_EQ(drm_format_for(VK_FORMAT_R16G16B16A16_SFLOAT, true), DrmFormat{DRM_FORMAT_ABGR16161616F});
}

TEST(FormatTable, YuvPlanes)
{
    const FormatInfo& nv12 = info_of(DRM_FORMAT_NV12);
    EXPECT_TRUE(nv12.is_yuv);
    EXPECT_TRUE(nv12.is_subsampled());
    EXPECT_EQ(nv12.vk_format, VK_FORMAT_G8_B8R8_2PLANE_420_UNORM);
    ASSERT_EQ(nv12.plane_count, 2U);
    EXPECT_EQ(nv12.planes[0].vk_format, VK_FORMAT_R8_UNORM);
    EXPECT_EQ(nv12.planes[1].vk_format, VK_FORMAT_R8G8_UNORM);
    EXPECT_EQ(nv12.planes[1].h_subsampling, 2U);
    EXPECT_EQ(nv12.planes[1].v_subsampling, 2U);
    EXPECT_EQ(nv12.planes[1].bytes_per_pixel, 2U);

    const FormatInfo& p010 = info_of(DRM_FORMAT_P010);
    EXPECT_EQ(p010.vk_format, VK_FORMAT_G10X6_B10X6R10X6_2PLANE_420_UNORM_3PACK16);
    ASSERT_EQ(p010.plane_count, 2U);
    EXPECT_EQ(p010.planes[0].vk_format, VK_FORMAT_R16_UNORM);
    EXPECT_EQ(p010.planes[1].vk_format, VK_FORMAT_R16G16_UNORM);
    EXPECT_EQ(p010.planes[0].bytes_per_pixel, 2U);
    EXPECT_EQ(p010.planes[1].bytes_per_pixel, 4U);

    const FormatInfo& nv16 = info_of(DRM_FORMAT_NV16);
    EXPECT_EQ(nv16.vk_format, VK_FORMAT_G8_B8R8_2PLANE_422_UNORM);
    EXPECT_EQ(nv16.planes[1].h_subsampling, 2U);
    EXPECT_EQ(nv16.planes[1].v_subsampling, 1U);

    const FormatInfo& yuv420 = info_of(DRM_FORMAT_YUV420);
    EXPECT_EQ(yuv420.vk_format, VK_FORMAT_G8_B8_R8_3PLANE_420_UNORM);
    ASSERT_EQ(yuv420.plane_count, 3U);
    for (const auto& p : yuv420.plane_infos()) {
        EXPECT_EQ(p.vk_format, VK_FORMAT_R8_UNORM);
        EXPECT_EQ(p.bytes_per_pixel, 1U);
    }
    EXPECT_EQ(yuv420.planes[2].h_subsampling, 2U);
    EXPECT_EQ(yuv420.planes[2].v_subsampling, 2U);
    // YVU420 has its planes in V,U order, which no multi-planar VkFormat describes.
    EXPECT_EQ(info_of(DRM_FORMAT_YVU420).vk_format, VK_FORMAT_UNDEFINED);
    EXPECT_EQ(drm_format_for(VK_FORMAT_G8_B8_R8_3PLANE_420_UNORM, false), DrmFormat{DRM_FORMAT_YUV420});
    EXPECT_FALSE(info_of(DRM_FORMAT_XRGB8888).is_subsampled());
}

TEST(FormatTable, TenBit444HasThreeSixteenBitPlanes)
{
    // Q410: Y, Cb, Cr planes, 10 bits in the high bits of 16 ([15:0] Y:x 10:6 little endian).
    const FormatInfo& q410 = info_of(DRM_FORMAT_Q410);
    EXPECT_TRUE(q410.is_yuv);
    EXPECT_FALSE(q410.is_subsampled());
    EXPECT_EQ(q410.vk_format, VK_FORMAT_G10X6_B10X6_R10X6_3PLANE_444_UNORM_3PACK16);
    ASSERT_EQ(q410.plane_count, 3U);
    for (const auto& p : q410.plane_infos()) {
        EXPECT_EQ(p.vk_format, VK_FORMAT_R16_UNORM);
        EXPECT_EQ(p.bytes_per_pixel, 2U);
    }
    EXPECT_EQ(drm_format_for(VK_FORMAT_G10X6_B10X6_R10X6_3PLANE_444_UNORM_3PACK16, false), DrmFormat{DRM_FORMAT_Q410});
    // Q401 stores Cr before Cb: no multi-planar VkFormat has that order; one R16 image per plane.
    const FormatInfo& q401 = info_of(DRM_FORMAT_Q401);
    EXPECT_EQ(q401.vk_format, VK_FORMAT_UNDEFINED);
    ASSERT_EQ(q401.plane_count, 3U);
    EXPECT_EQ(q401.planes[2].vk_format, VK_FORMAT_R16_UNORM);

    auto l = linear_layout(DrmFormat{DRM_FORMAT_Q410}, 33, 5, 1, true);
    ASSERT_TRUE(l.ok()) << l.error().message();
    ASSERT_EQ(l->size(), 3U);
    EXPECT_EQ((*l)[1], (PlaneLayout{330, 66, 330}));
    EXPECT_EQ(buffer_size(*l), 990U);
}

TEST(PlaneGeometry, OddSizesRoundChromaUp)
{
    const FormatInfo& nv12 = info_of(DRM_FORMAT_NV12);
    EXPECT_EQ(plane_width(nv12, 0, 63), 63U);
    EXPECT_EQ(plane_height(nv12, 0, 35), 35U);
    EXPECT_EQ(plane_width(nv12, 1, 63), 32U);
    EXPECT_EQ(plane_height(nv12, 1, 35), 18U);
    EXPECT_EQ(min_stride(nv12, 0, 63), 63U);
    EXPECT_EQ(min_stride(nv12, 1, 63), 64U);  // 32 R8G8 texels
    EXPECT_EQ(plane_width(nv12, 1, 1), 1U);
    EXPECT_EQ(plane_width(nv12, 1, 0xffffffffU), 0x80000000U);

    const FormatInfo& nv16 = info_of(DRM_FORMAT_NV16);
    EXPECT_EQ(plane_height(nv16, 1, 35), 35U);

    const FormatInfo& f16 = info_of(DRM_FORMAT_ABGR16161616F);
    EXPECT_EQ(min_stride(f16, 0, 0xffffffffU), 0xffffffffULL * 8);
}

TEST(PlaneGeometry, CheckSize)
{
    const FormatInfo& nv12 = info_of(DRM_FORMAT_NV12);
    EXPECT_TRUE(check_size(nv12, 63, 35, false).ok());
    EXPECT_TRUE(check_size(nv12, 64, 36, true).ok());
    auto odd = check_size(nv12, 63, 36, true);
    ASSERT_FALSE(odd.ok());
    EXPECT_NE(odd.error().message().find("NV12 63x36"), std::string::npos) << odd.error().message();
    EXPECT_FALSE(check_size(nv12, 64, 35, true).ok());
    // 4:2:2 only needs an even width.
    EXPECT_TRUE(check_size(info_of(DRM_FORMAT_NV16), 64, 35, true).ok());
    EXPECT_FALSE(check_size(info_of(DRM_FORMAT_NV16), 63, 35, true).ok());
    // RGB: any nonzero size.
    EXPECT_TRUE(check_size(info_of(DRM_FORMAT_XRGB8888), 1, 1, true).ok());
    EXPECT_FALSE(check_size(info_of(DRM_FORMAT_XRGB8888), 0, 1, false).ok());
    EXPECT_FALSE(check_size(info_of(DRM_FORMAT_XRGB8888), 1, 0, false).ok());
}

TEST(LinearLayout, TightRgb)
{
    auto l = linear_layout(DrmFormat{DRM_FORMAT_XRGB8888}, 64, 64, 1, true);
    ASSERT_TRUE(l.ok()) << l.error().message();
    ASSERT_EQ(l->size(), 1U);
    EXPECT_EQ((*l)[0], (PlaneLayout{0, 256, 16384}));
    EXPECT_EQ(buffer_size(*l), 16384U);
}

TEST(LinearLayout, AlignedStride)
{
    auto l = linear_layout(DrmFormat{DRM_FORMAT_XRGB8888}, 65, 3, 256, true);
    ASSERT_TRUE(l.ok()) << l.error().message();
    ASSERT_EQ(l->size(), 1U);
    EXPECT_EQ((*l)[0], (PlaneLayout{0, 512, 1536}));
    // Already aligned rows stay as they are.
    auto exact = linear_layout(DrmFormat{DRM_FORMAT_XRGB8888}, 64, 1, 256, true);
    ASSERT_TRUE(exact.ok());
    EXPECT_EQ((*exact)[0].stride, 256U);
}

TEST(LinearLayout, Nv12OneBufferAndSeparateBuffers)
{
    auto one = linear_layout(DrmFormat{DRM_FORMAT_NV12}, 64, 64, 1, true);
    ASSERT_TRUE(one.ok()) << one.error().message();
    ASSERT_EQ(one->size(), 2U);
    EXPECT_EQ((*one)[0], (PlaneLayout{0, 64, 4096}));
    EXPECT_EQ((*one)[1], (PlaneLayout{4096, 64, 2048}));
    EXPECT_EQ(buffer_size(*one), 6144U);

    auto separate = linear_layout(DrmFormat{DRM_FORMAT_NV12}, 64, 64, 1, false);
    ASSERT_TRUE(separate.ok());
    EXPECT_EQ((*separate)[0], (PlaneLayout{0, 64, 4096}));
    EXPECT_EQ((*separate)[1], (PlaneLayout{0, 64, 2048}));
    EXPECT_EQ(buffer_size(*separate), 4096U);
}

TEST(LinearLayout, Nv12OddSizeRoundsChromaUpAndAlignsOffsets)
{
    auto l = linear_layout(DrmFormat{DRM_FORMAT_NV12}, 63, 35, 64, true);
    ASSERT_TRUE(l.ok()) << l.error().message();
    // Luma: 63 -> stride 64, 35 rows = 2240 bytes; chroma 32x18 R8G8: stride 64, 1152 bytes at 2240
    // rounded up to 64 = 2240.
    EXPECT_EQ((*l)[0], (PlaneLayout{0, 64, 2240}));
    EXPECT_EQ((*l)[1], (PlaneLayout{2240, 64, 1152}));

    auto tight = linear_layout(DrmFormat{DRM_FORMAT_NV12}, 63, 35, 1, true);
    ASSERT_TRUE(tight.ok());
    EXPECT_EQ((*tight)[0], (PlaneLayout{0, 63, 2205}));
    EXPECT_EQ((*tight)[1], (PlaneLayout{2205, 64, 1152}));

    auto aligned = linear_layout(DrmFormat{DRM_FORMAT_NV12}, 63, 35, 256, true);
    ASSERT_TRUE(aligned.ok());
    EXPECT_EQ((*aligned)[0], (PlaneLayout{0, 256, 8960}));
    EXPECT_EQ((*aligned)[1], (PlaneLayout{8960, 256, 4608}));
}

TEST(LinearLayout, Yuv420ThreePlanes)
{
    auto l = linear_layout(DrmFormat{DRM_FORMAT_YUV420}, 64, 48, 1, true);
    ASSERT_TRUE(l.ok()) << l.error().message();
    ASSERT_EQ(l->size(), 3U);
    EXPECT_EQ((*l)[0], (PlaneLayout{0, 64, 3072}));
    EXPECT_EQ((*l)[1], (PlaneLayout{3072, 32, 768}));
    EXPECT_EQ((*l)[2], (PlaneLayout{3840, 32, 768}));
    EXPECT_EQ(buffer_size(*l), 4608U);  // 1.5 bytes a pixel

    auto odd = linear_layout(DrmFormat{DRM_FORMAT_YUV420}, 5, 3, 1, true);
    ASSERT_TRUE(odd.ok());
    EXPECT_EQ((*odd)[1], (PlaneLayout{15, 3, 6}));
    EXPECT_EQ((*odd)[2], (PlaneLayout{21, 3, 6}));
}

TEST(LinearLayout, P010UsesTwoBytesASample)
{
    auto l = linear_layout(DrmFormat{DRM_FORMAT_P010}, 64, 64, 1, true);
    ASSERT_TRUE(l.ok()) << l.error().message();
    EXPECT_EQ((*l)[0], (PlaneLayout{0, 128, 8192}));
    EXPECT_EQ((*l)[1], (PlaneLayout{8192, 128, 4096}));
}

TEST(LinearLayout, RejectsOverflowWithAClearError)
{
    auto big = linear_layout(DrmFormat{DRM_FORMAT_ABGR16161616F}, 70000, 70000, 1, true);
    ASSERT_FALSE(big.ok());
    const std::string& msg = big.error().message();
    EXPECT_NE(msg.find("ABGR16161616F 70000x70000"), std::string::npos) << msg;
    EXPECT_NE(msg.find("4 GiB"), std::string::npos) << msg;

    // A stride that does not fit 32 bits.
    auto wide = linear_layout(DrmFormat{DRM_FORMAT_XRGB8888}, 0x40000000U, 1, 1, true);
    ASSERT_FALSE(wide.ok());
    EXPECT_NE(wide.error().message().find("stride"), std::string::npos) << wide.error().message();

    // Each plane fits, but the second plane's end in a shared buffer does not.
    const uint32_t rows = 0xffffffffU / 4096U;  // luma just under 4 GiB at stride 4096
    EXPECT_TRUE(linear_layout(DrmFormat{DRM_FORMAT_NV12}, 4096, rows, 1, false).ok());
    auto shared = linear_layout(DrmFormat{DRM_FORMAT_NV12}, 4096, rows, 1, true);
    ASSERT_FALSE(shared.ok());
    EXPECT_NE(shared.error().message().find("plane 1"), std::string::npos) << shared.error().message();

    // The largest size that fits is accepted.
    auto edge = linear_layout(DrmFormat{DRM_FORMAT_R8}, 65535, 65537, 1, true);
    ASSERT_TRUE(edge.ok()) << edge.error().message();
    EXPECT_EQ(buffer_size(*edge), 0xffffffffULL);
}

TEST(LinearLayout, RejectsBadArguments)
{
    EXPECT_FALSE(linear_layout(DrmFormat{DRM_FORMAT_C8}, 64, 64, 1, true).ok());
    EXPECT_FALSE(linear_layout(DrmFormat{DRM_FORMAT_XRGB8888}, 0, 64, 1, true).ok());
    EXPECT_FALSE(linear_layout(DrmFormat{DRM_FORMAT_XRGB8888}, 64, 0, 1, true).ok());
    auto zero_align = linear_layout(DrmFormat{DRM_FORMAT_XRGB8888}, 64, 64, 0, true);
    ASSERT_FALSE(zero_align.ok());
    EXPECT_NE(zero_align.error().message().find("alignment"), std::string::npos);
}
