// Test patterns: the frame stamp round-trips, packing into RGB and YUV, pattern parsing.
#include "sources/pattern.hpp"

#include <drm_fourcc.h>
#include <gtest/gtest.h>

namespace dmafeed::sources {
namespace {

TEST(Pattern, TheStampRoundTripsAtManyWidths)
{
    for (const uint32_t w : {64U, 96U, 100U, 640U, 1921U}) {
        auto src = PatternSource::create({PatternKind::moving_box, {}}, DrmFormat{DRM_FORMAT_XRGB8888}, w, 32);
        ASSERT_TRUE(src.ok());
        src->render(123456, 987654);
        const auto stamp = decode_stamp(src->image());
        ASSERT_TRUE(stamp.has_value()) << w;
        EXPECT_EQ(stamp->frame, 123456u);
        EXPECT_EQ(stamp->time_ms, 987654u);
    }
}

TEST(Pattern, TooNarrowForAStampDecodesToNothing)
{
    auto src = PatternSource::create({PatternKind::smpte, {}}, DrmFormat{DRM_FORMAT_XRGB8888}, 32, 32);
    ASSERT_TRUE(src.ok());
    src->render(1, 1);
    EXPECT_FALSE(decode_stamp(src->image()).has_value());
}

TEST(Pattern, PackedPlanesMatchTheImage)
{
    auto src = PatternSource::create({PatternKind::smpte, {}}, DrmFormat{DRM_FORMAT_XRGB8888}, 70, 16);
    ASSERT_TRUE(src.ok());
    const auto planes = src->render(0, 0);
    ASSERT_EQ(planes.size(), 1u);
    const Rgb px = src->image().at(69, 12);  // the last bar, below the stamp
    EXPECT_EQ(px, (Rgb{0, 0, 191}));
    const auto* p = planes[0].data.data() + 12 * planes[0].row_bytes + 69 * 4;
    EXPECT_EQ(p[0], 191);  // B G R X
    EXPECT_EQ(p[1], 0);
    EXPECT_EQ(p[2], 0);
    EXPECT_EQ(p[3], 255);

    auto nv12 = PatternSource::create({PatternKind::solid, {233, 91, 66}}, DrmFormat{DRM_FORMAT_NV12}, 7, 5);
    ASSERT_TRUE(nv12.ok());
    const auto yuv = nv12->render(0, 0);
    ASSERT_EQ(yuv.size(), 2u);
    EXPECT_EQ(yuv[0].data[0], 128);
    EXPECT_EQ(yuv[1].row_bytes, 8u);
    EXPECT_EQ(yuv[1].data[6], 96);  // the odd last column's chroma
    EXPECT_EQ(yuv[1].data[7], 192);
}

TEST(Pattern, ParseAndName)
{
    for (const char* text : {"smpte", "ramp", "checker", "moving-box", "solid:0a0b0c"}) {
        auto spec = PatternSpec::parse(text);
        ASSERT_TRUE(spec.ok()) << text;
        EXPECT_EQ(spec->to_string(), text);
    }
    EXPECT_FALSE(PatternSpec::parse("solid:zzzzzz").ok());
    EXPECT_FALSE(PatternSpec::parse("").ok());
}

}  // namespace
}  // namespace dmafeed::sources
