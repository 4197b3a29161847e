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

TEST(Pattern, ChangesBetweenFramesAreTheStampTheBoxAndThePhase)
{
    const PatternSpec box{PatternKind::moving_box, {}};
    const auto f0 = pattern_frame(box, 640, 360, 0, 0);
    const auto f1 = pattern_frame(box, 640, 360, 1, 40);
    const auto changed = pattern_changes(f0, f1);
    ASSERT_EQ(changed.size(), 3u);
    EXPECT_EQ(changed[0], (PixelRect{0, 0, 640, 8}));  // the stamp rows
    EXPECT_EQ(changed[1], (PixelRect{f0.box_x, f0.box_y, 90, 90}));
    EXPECT_EQ(changed[2], (PixelRect{f1.box_x, f1.box_y, 90, 90}));
    // Every pixel outside the changes is the same in both frames.
    for (uint32_t y = 0; y < 360; y += 3) {
        for (uint32_t x = 0; x < 640; x += 3) {
            bool inside = false;
            for (const auto& r : changed) inside |= x >= r.x && x < r.x + r.width && y >= r.y && y < r.y + r.height;
            if (!inside) {
                ASSERT_EQ(pattern_pixel(f0, x, y), pattern_pixel(f1, x, y)) << x << "," << y;
            }
        }
    }
    // smpte: only the stamp; solid: nothing; the checker flips at frame 30: everything.
    EXPECT_EQ(pattern_changes(pattern_frame({}, 64, 64, 5, 1), pattern_frame({}, 64, 64, 6, 2)).size(), 1u);
    const PatternSpec solid{PatternKind::solid, {1, 2, 3}};
    EXPECT_TRUE(pattern_changes(pattern_frame(solid, 64, 64, 5, 1), pattern_frame(solid, 64, 64, 6, 2)).empty());
    const PatternSpec checker{PatternKind::checker, {}};
    EXPECT_EQ(pattern_changes(pattern_frame(checker, 64, 64, 29, 1), pattern_frame(checker, 64, 64, 30, 2)),
              (std::vector<PixelRect>{{0, 0, 64, 64}}));
    // Another size or pattern: everything.
    EXPECT_EQ(pattern_changes(pattern_frame({}, 64, 64, 5, 1), pattern_frame({}, 32, 64, 6, 2)),
              (std::vector<PixelRect>{{0, 0, 32, 64}}));
}

}  // namespace
}  // namespace dmafeed::sources
