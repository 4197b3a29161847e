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

TEST(Pattern, FillingCopiesOnlyRowsThatPatternPixelGivesAlike)
{
    // fill_pattern copies a row where pattern_row_repeats says so: every kind, at frames that put
    // the box and the checker phase in other places, for a whole frame and a region off the origin.
    for (const PatternKind kind :
         {PatternKind::smpte, PatternKind::ramp, PatternKind::checker, PatternKind::moving_box, PatternKind::solid}) {
        for (const uint64_t n : {0U, 1U, 7U, 40U, 333U}) {
            const PatternFrame f = pattern_frame({kind, pixels::Rgb{9, 8, 7}}, 97, 61, n, n * 33);
            for (const PixelRect r : {PixelRect{0, 0, 97, 61}, PixelRect{5, 3, 40, 50}, PixelRect{90, 7, 7, 2}}) {
                pixels::RgbImage image;
                image.width = r.width;
                image.height = r.height;
                image.rgb.assign(size_t{r.width} * r.height * 3, 0xAB);
                fill_pattern(f, r.x, r.y, image);
                for (uint32_t y = 0; y < r.height; ++y) {
                    for (uint32_t x = 0; x < r.width; ++x) {
                        ASSERT_EQ(image.at(x, y), pattern_pixel(f, r.x + x, r.y + y))
                            << "kind " << static_cast<int>(kind) << " frame " << n << " at (" << r.x + x << "," << r.y + y << ")";
                    }
                }
            }
        }
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
    const pixels::Rgb px = src->image().at(69, 12);  // the last bar, below the stamp
    EXPECT_EQ(px, (pixels::Rgb{0, 0, 191}));
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

// Every pixel outside `changed` is the same in both frames.
void expect_changes_cover(const PatternFrame& a, const PatternFrame& b, const std::vector<PixelRect>& changed)
{
    std::vector<uint8_t> covered(size_t{b.width} * b.height);
    for (const auto& r : changed) {
        for (uint32_t y = r.y; y < r.y + r.height; ++y) {
            for (uint32_t x = r.x; x < r.x + r.width; ++x) {
                covered[size_t{y} * b.width + x] = 1;
            }
        }
    }
    for (uint32_t y = 0; y < b.height; ++y) {
        for (uint32_t x = 0; x < b.width; ++x) {
            if (!covered[size_t{y} * b.width + x]) {
                ASSERT_EQ(pattern_pixel(a, x, y), pattern_pixel(b, x, y)) << x << "," << y << " changed outside";
            }
        }
    }
}

TEST(Pattern, ChangesBetweenFramesAreTheStampCellsTheBoxEdgesAndThePhase)
{
    const PatternSpec box{PatternKind::moving_box, {}};
    const auto f0 = pattern_frame(box, 640, 360, 0, 0);
    const auto f1 = pattern_frame(box, 640, 360, 1, 40);
    const auto changed = pattern_changes(f0, f1);
    // Frame 0 -> 1: the last cell of the frame word (cell 31: x 310-319); time 0 -> 40 (0b101000):
    // cells 58-60 (x 580-609). The box (90 pixels, at 0,0 then 4,2) leaves a band 2 rows high at
    // its top and 4 columns wide at its left, and enters as much at its bottom and right.
    const std::vector<PixelRect> want{{310, 0, 10, 8},  {580, 0, 30, 8}, {0, 0, 90, 2},
                                      {0, 2, 4, 88},    {4, 90, 90, 2},  {90, 2, 4, 88}};
    EXPECT_EQ(changed, want);
    expect_changes_cover(f0, f1, changed);
    // Buffers are redrawn from the frame they held, 1 to 4 frames back; at odd sizes, bouncing.
    for (const auto& [w, h] : {std::pair{640u, 360u}, std::pair{97u, 61u}, std::pair{40u, 9u}}) {
        for (uint64_t f = 1; f < 200; f += 7) {
            for (uint64_t back = 1; back <= 4 && back <= f; ++back) {
                const auto before = pattern_frame(box, w, h, f - back, (f - back) * 33);
                const auto after = pattern_frame(box, w, h, f, f * 33);
                expect_changes_cover(before, after, pattern_changes(before, after));
                ASSERT_FALSE(testing::Test::HasFatalFailure()) << w << "x" << h << " frame " << f - back << " -> " << f;
            }
        }
    }
    // smpte: only the stamp; solid: nothing; the checker flips at frame 30: everything.
    EXPECT_EQ(pattern_changes(pattern_frame({}, 64, 64, 5, 1), pattern_frame({}, 64, 64, 6, 2)),
              (std::vector<PixelRect>{{30, 0, 2, 8}, {62, 0, 2, 8}}));  // frame 5 -> 6 and time 1 -> 2: two low bits each
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
