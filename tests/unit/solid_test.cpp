// Solid colours: byte order of RGB formats, BT.601 limited-range codes for YUV.
#include "sources/solid.hpp"

#include <drm_fourcc.h>
#include <gtest/gtest.h>

namespace dmafeed::sources {
namespace {

TEST(Solid, Bt601LimitedMatchesWhatWeston14Shows)
{
    // Measured in the VM: NV12 Y=128 Cb=96 Cr=192 is captured as 233,91,66.
    EXPECT_EQ(pixels::bt601_limited_to_rgb({128, 96, 192}), (pixels::Rgb{233, 91, 66}));
    EXPECT_EQ(pixels::rgb_to_bt601_limited({233, 91, 66}), (pixels::Ycbcr{128, 96, 192}));
    EXPECT_EQ(pixels::rgb_to_bt601_limited({0, 0, 0}), (pixels::Ycbcr{16, 128, 128}));
    EXPECT_EQ(pixels::rgb_to_bt601_limited({255, 255, 255}), (pixels::Ycbcr{235, 128, 128}));
}

TEST(Solid, RgbFormatsInMemoryOrder)
{
    auto x = SolidFrame::make(DrmFormat{DRM_FORMAT_XRGB8888}, 3, 2, {10, 20, 30});
    ASSERT_TRUE(x.ok());
    const auto planes = x->planes();
    ASSERT_EQ(planes.size(), 1u);
    EXPECT_EQ(planes[0].row_bytes, 12u);
    ASSERT_EQ(planes[0].data.size(), 24u);
    EXPECT_EQ(planes[0].data[0], 30);  // B G R X
    EXPECT_EQ(planes[0].data[1], 20);
    EXPECT_EQ(planes[0].data[2], 10);
    EXPECT_EQ(planes[0].data[23], 255);
    auto a = SolidFrame::make(DrmFormat{DRM_FORMAT_ABGR8888}, 1, 1, {10, 20, 30});
    ASSERT_TRUE(a.ok());
    EXPECT_EQ(std::vector<uint8_t>(a->planes()[0].data.begin(), a->planes()[0].data.end()),
              (std::vector<uint8_t>{10, 20, 30, 255}));
}

TEST(Solid, YuvPlanesWithSubsampledChromaOfOddSizes)
{
    auto f = SolidFrame::make(DrmFormat{DRM_FORMAT_NV12}, 5, 3, {233, 91, 66});
    ASSERT_TRUE(f.ok());
    const auto planes = f->planes();
    ASSERT_EQ(planes.size(), 2u);
    EXPECT_EQ(planes[0].data.size(), 15u);
    EXPECT_EQ(planes[1].row_bytes, 6u);  // 3 CbCr pairs
    EXPECT_EQ(planes[1].data.size(), 12u);
    EXPECT_EQ(planes[0].data[14], 128);
    EXPECT_EQ(planes[1].data[10], 96);
    EXPECT_EQ(planes[1].data[11], 192);
    auto yv = SolidFrame::make(DrmFormat{DRM_FORMAT_YVU420}, 4, 4, {233, 91, 66});
    ASSERT_TRUE(yv.ok());
    EXPECT_EQ(yv->planes()[1].data[0], 192);  // V first
    EXPECT_EQ(yv->planes()[2].data[0], 96);
}

TEST(Solid, FormatsWithoutATexelLayoutAreRefusedByName)
{
    // R8 is in the format table, but has no room for a colour; YUYV is not in the table.
    for (const uint32_t fourcc : {DRM_FORMAT_R8, DRM_FORMAT_YUYV}) {
        auto f = SolidFrame::make(DrmFormat{fourcc}, 4, 4, {1, 2, 3});
        ASSERT_FALSE(f.ok());
        EXPECT_NE(f.error().message().find(name(DrmFormat{fourcc})), std::string::npos) << f.error().message();
    }
}

TEST(Solid, WideAndNarrowFormats)
{
    // RGB565: [15:0] R:G:B 5:6:5, round(v * max / 255) a channel.
    auto rgb565 = SolidFrame::make(DrmFormat{DRM_FORMAT_RGB565}, 1, 1, {255, 128, 8});
    ASSERT_TRUE(rgb565.ok());
    const auto word = rgb565->planes()[0].data;
    EXPECT_EQ(word[0] | (word[1] << 8), (31 << 11) | (32 << 5) | 1);  // 128 * 63 / 255 = 31.6; 8 * 31 / 255 = 0.97
    // P010: the BT.601 limited code in the top 10 bits of 16: Y 235 (white) is 235 << 8.
    auto p010 = SolidFrame::make(DrmFormat{DRM_FORMAT_P010}, 2, 2, {255, 255, 255});
    ASSERT_TRUE(p010.ok());
    const auto planes = p010->planes();
    EXPECT_EQ(planes[0].data[0] | (planes[0].data[1] << 8), 0xeb00);
    EXPECT_EQ(planes[1].data[0] | (planes[1].data[1] << 8), 0x8000);  // Cb 128
}

}  // namespace
}  // namespace dmafeed::sources
