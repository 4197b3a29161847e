// dmafeed-conform's known picture and its check against a capture (tools/conform/pixels.hpp): the
// picture's blocks and texture, finding it in a bigger capture, the exact RGB rules and the YUV
// rules with their tolerance and edge margin, the BT.601 expectation of YUV buffers, what each
// format should show (expectation_for: RGB565 quantized, wider RGB exact, the rules per format),
// the texture of RGB565's picture, and crop.
#include "conform/pixels.hpp"

#include "pixels/color.hpp"
#include "pixels/texel.hpp"

#include <drm_fourcc.h>

#include <algorithm>
#include <gtest/gtest.h>
#include <set>
#include <tuple>

namespace dmafeed::conform {
namespace {

using pixels::Rgb;
using pixels::RgbImage;

constexpr Rgb grey{128, 128, 128};

RgbImage filled(uint32_t w, uint32_t h, Rgb c)
{
    RgbImage image{w, h, std::vector<uint8_t>(size_t{w} * h * 3)};
    for (uint32_t y = 0; y < h; ++y) {
        for (uint32_t x = 0; x < w; ++x) image.set(x, y, c);
    }
    return image;
}

// `picture` pasted at (x, y) into a grey w x h capture, as a compositor shows a surface.
RgbImage pasted(const RgbImage& picture, uint32_t w, uint32_t h, uint32_t x, uint32_t y)
{
    RgbImage capture = filled(w, h, grey);
    for (uint32_t v = 0; v < picture.height; ++v) {
        for (uint32_t u = 0; u < picture.width; ++u) capture.set(x + u, y + v, picture.at(u, v));
    }
    return capture;
}

// Channel `r` of one pixel moved by `delta` (within 0..255).
void nudge(RgbImage& image, uint32_t x, uint32_t y, int delta)
{
    Rgb c = image.at(x, y);
    c.r = static_cast<uint8_t>(c.r + delta <= 255 ? c.r + delta : c.r - delta);
    image.set(x, y, c);
}

bool contains(const std::string& text, const std::string& part)
{
    return text.find(part) != std::string::npos;
}

TEST(MatrixPicture, EightDistinctSaturatedBlocks)
{
    const RgbImage p = matrix_picture(64, 32, false);
    ASSERT_EQ(p.width, 64U);
    ASSERT_EQ(p.height, 32U);
    std::set<std::tuple<int, int, int>> colours;
    for (uint32_t y = 0; y < p.height; ++y) {
        for (uint32_t x = 0; x < p.width; ++x) {
            const Rgb c = p.at(x, y);
            colours.insert({c.r, c.g, c.b});
            // Not black, white or grey: the channels are far apart.
            const int spread = std::max({c.r, c.g, c.b}) - std::min({c.r, c.g, c.b});
            EXPECT_GE(spread, 100) << "(" << x << "," << y << ")";
        }
    }
    EXPECT_EQ(colours.size(), 8U);
    // 4 x 2 blocks of 16 x 16: every block is flat.
    for (uint32_t y = 0; y < p.height; ++y) {
        for (uint32_t x = 0; x < p.width; ++x) {
            EXPECT_EQ(p.at(x, y), p.at(x / 16 * 16, y / 16 * 16)) << "(" << x << "," << y << ")";
        }
    }
}

TEST(MatrixPicture, BlockEdgesAreOnMultiplesOfFour)
{
    // The odd-size layout's sizes, and others that are not multiples of 16.
    for (auto [w, h] : {std::pair{257U, 125U}, std::pair{70U, 38U}, std::pair{64U, 32U}, std::pair{101U, 13U}}) {
        const RgbImage p = matrix_picture(w, h, false);
        std::set<uint32_t> column_edges, row_edges;
        for (uint32_t y = 0; y < h; ++y) {
            for (uint32_t x = 1; x < w; ++x) {
                if (!(p.at(x, y) == p.at(x - 1, y))) column_edges.insert(x);
            }
        }
        for (uint32_t x = 0; x < w; ++x) {
            for (uint32_t y = 1; y < h; ++y) {
                if (!(p.at(x, y) == p.at(x, y - 1))) row_edges.insert(y);
            }
        }
        EXPECT_EQ(column_edges.size(), 3U) << w << "x" << h;
        EXPECT_EQ(row_edges.size(), 1U) << w << "x" << h;
        for (uint32_t e : column_edges) EXPECT_EQ(e % 4, 0U) << w << "x" << h << ": column edge " << e;
        for (uint32_t e : row_edges) EXPECT_EQ(e % 4, 0U) << w << "x" << h << ": row edge " << e;
    }
}

TEST(MatrixPicture, TextureMakesEveryPixelDifferFromItsNeighbours)
{
    const RgbImage flat = matrix_picture(70, 38, false);
    const RgbImage p = matrix_picture(70, 38, true);
    for (uint32_t y = 0; y < p.height; ++y) {
        for (uint32_t x = 0; x < p.width; ++x) {
            const Rgb c = p.at(x, y), base = flat.at(x, y);
            EXPECT_EQ(c.r ^ base.r, static_cast<int>(x & 7U));
            EXPECT_EQ(c.g ^ base.g, static_cast<int>(y & 7U));
            EXPECT_EQ(c.b ^ base.b, static_cast<int>((x + y) & 7U));
            if (x + 1 < p.width) {
                EXPECT_FALSE(c == p.at(x + 1, y)) << "(" << x << "," << y << ") and its right";
            }
            if (y + 1 < p.height) {
                EXPECT_FALSE(c == p.at(x, y + 1)) << "(" << x << "," << y << ") and below";
            }
        }
    }
}

TEST(LocateAndCompare, FindsThePictureWhereItWasPasted)
{
    const RgbImage picture = matrix_picture(64, 32, true);
    const Comparison cmp = locate_and_compare(pasted(picture, 200, 150, 37, 21), picture, rgb_rules);
    EXPECT_TRUE(cmp.matches()) << cmp.describe(rgb_rules);
    EXPECT_EQ(cmp.x, 37U);
    EXPECT_EQ(cmp.y, 21U);
    EXPECT_EQ(cmp.compared, 64U * 32U);
    EXPECT_EQ(cmp.differing, 0U);
    EXPECT_EQ(cmp.max_difference, 0);
    EXPECT_TRUE(contains(cmp.describe(rgb_rules), "shown at (37,21)")) << cmp.describe(rgb_rules);
    EXPECT_TRUE(contains(cmp.describe(rgb_rules), "exact")) << cmp.describe(rgb_rules);

    // Filling the whole capture is found too, at the origin.
    const Comparison whole = locate_and_compare(picture, picture, rgb_rules);
    EXPECT_TRUE(whole.matches());
    EXPECT_EQ(whole.x, 0U);
    EXPECT_EQ(whole.y, 0U);
}

TEST(LocateAndCompare, APictureShiftedByOnePixelIsNotShown)
{
    const RgbImage picture = matrix_picture(64, 32, true);
    // Every row rotated left by one pixel: the corners no longer match anywhere.
    RgbImage rows_rotated = picture;
    for (uint32_t y = 0; y < picture.height; ++y) {
        for (uint32_t x = 0; x < picture.width; ++x) rows_rotated.set(x, y, picture.at((x + 1) % picture.width, y));
    }
    const Comparison moved = locate_and_compare(pasted(rows_rotated, 200, 150, 37, 21), picture, rgb_rules);
    EXPECT_FALSE(moved.matches());
    EXPECT_FALSE(moved.found);
    EXPECT_EQ(moved.compared, 0U);
    EXPECT_TRUE(contains(moved.describe(rgb_rules), "not in the capture")) << moved.describe(rgb_rules);

    // The rows rotated down by one inside a frame that keeps the corners: found, but every pixel
    // inside differs.
    RgbImage inside = picture;
    for (uint32_t y = 1; y + 1 < picture.height; ++y) {
        for (uint32_t x = 1; x + 1 < picture.width; ++x) inside.set(x, y, picture.at(x, y - 1));
    }
    const Comparison shifted = locate_and_compare(pasted(inside, 200, 150, 37, 21), picture, rgb_rules);
    EXPECT_FALSE(shifted.matches());
    EXPECT_TRUE(shifted.found);
    EXPECT_EQ(shifted.x, 37U);
    EXPECT_EQ(shifted.y, 21U);
    EXPECT_EQ(shifted.compared, 64U * 32U);
    EXPECT_EQ(shifted.differing, 62U * 30U);
    const std::string text = shifted.describe(rgb_rules);
    EXPECT_TRUE(contains(text, "shown at (37,21), but 1860 of 2048 pixels differ")) << text;
    EXPECT_TRUE(contains(text, "first (1,1)")) << text;
}

TEST(LocateAndCompare, OneLevelOffFailsTheRgbRulesButNotTheYuvRules)
{
    const RgbImage picture = matrix_picture(64, 32, false);
    RgbImage capture = pasted(picture, 100, 60, 5, 7);
    nudge(capture, 5 + 8, 7 + 8, 1);  // the middle of the first block

    const Comparison exact = locate_and_compare(capture, picture, rgb_rules);
    EXPECT_FALSE(exact.matches());
    EXPECT_TRUE(exact.found);
    EXPECT_EQ(exact.differing, 1U);
    EXPECT_EQ(exact.max_difference, 1);
    EXPECT_TRUE(contains(exact.describe(rgb_rules), "first (8,8): got 221,40,40, want 220,40,40"))
        << exact.describe(rgb_rules);

    const Comparison yuv = locate_and_compare(capture, picture, yuv_rules);
    EXPECT_TRUE(yuv.matches()) << yuv.describe(yuv_rules);
    EXPECT_EQ(yuv.x, 5U);
    EXPECT_EQ(yuv.y, 7U);
    EXPECT_EQ(yuv.max_difference, 1);
    EXPECT_TRUE(contains(yuv.describe(yuv_rules), "within 3 per channel, 2 px from colour edges"))
        << yuv.describe(yuv_rules);

    // Beyond the tolerance the YUV rules fail as well.
    nudge(capture, 5 + 8, 7 + 8, 3);
    EXPECT_FALSE(locate_and_compare(capture, picture, yuv_rules).matches());
}

TEST(LocateAndCompare, YuvRulesSkipPixelsWithinTwoOfABlockEdge)
{
    // 64 x 32: block edges between columns 15|16, 31|32, 47|48 and rows 15|16. Within 2 of them:
    // columns 14-17, 30-33, 46-49 and rows 14-17, so 52 columns x 28 rows are compared.
    const RgbImage picture = matrix_picture(64, 32, false);
    const RgbImage clean = pasted(picture, 100, 60, 5, 7);
    const Comparison all = locate_and_compare(clean, picture, yuv_rules);
    EXPECT_TRUE(all.matches()) << all.describe(yuv_rules);
    EXPECT_EQ(all.compared, 52U * 28U);

    RgbImage edge = clean;
    nudge(edge, 5 + 17, 7 + 4, 50);  // 2 from the edge at 15|16
    EXPECT_TRUE(locate_and_compare(edge, picture, yuv_rules).matches());
    EXPECT_FALSE(locate_and_compare(edge, picture, rgb_rules).matches());

    RgbImage inside = clean;
    nudge(inside, 5 + 18, 7 + 4, 50);  // 3 from it: compared
    const Comparison off = locate_and_compare(inside, picture, yuv_rules);
    EXPECT_FALSE(off.matches());
    EXPECT_EQ(off.differing, 1U);
    EXPECT_EQ(off.max_difference, 50);
}

TEST(LocateAndCompare, ACaptureSmallerThanThePictureHasNoPlaceForIt)
{
    const RgbImage picture = matrix_picture(64, 32, true);
    for (auto [w, h] : {std::pair{63U, 100U}, std::pair{100U, 31U}, std::pair{0U, 0U}}) {
        const RgbImage capture = crop(pasted(picture, 100, 100, 0, 0), 0, 0, w, h);
        const Comparison cmp = locate_and_compare(capture, picture, rgb_rules);
        EXPECT_FALSE(cmp.found) << w << "x" << h;
        EXPECT_FALSE(cmp.matches()) << w << "x" << h;
        EXPECT_EQ(cmp.compared, 0U);
        EXPECT_TRUE(contains(cmp.describe(rgb_rules), "not in the capture")) << cmp.describe(rgb_rules);
    }
}

TEST(YuvExpectation, IsTheBt601LimitedDecodeOfEachColour)
{
    const RgbImage picture = matrix_picture(64, 32, false);
    const RgbImage wanted = yuv_expectation(picture);
    ASSERT_EQ(wanted.width, picture.width);
    ASSERT_EQ(wanted.height, picture.height);
    bool changed = false;
    for (uint32_t y = 0; y < picture.height; ++y) {
        for (uint32_t x = 0; x < picture.width; ++x) {
            const Rgb decoded = pixels::bt601_limited_to_rgb(pixels::rgb_to_bt601_limited(picture.at(x, y)));
            EXPECT_EQ(wanted.at(x, y), decoded) << "(" << x << "," << y << ")";
            changed = changed || !(decoded == picture.at(x, y));
        }
    }
    EXPECT_TRUE(changed) << "the round trip through 8-bit limited range is not exact for these colours";
    // What a compositor shows for a YUV buffer is found with the YUV rules.
    EXPECT_TRUE(locate_and_compare(pasted(wanted, 100, 60, 20, 20), wanted, yuv_rules).matches());
}

DrmFormat format(uint32_t fourcc) { return DrmFormat{fourcc}; }

TEST(ExpectationFor, RulesPerFormat)
{
    const RgbImage picture = matrix_picture(64, 32, true);
    const auto rules_of = [&](uint32_t fourcc) { return expectation_for(format(fourcc), picture)->rules; };
    for (const uint32_t f : {DRM_FORMAT_XRGB8888, DRM_FORMAT_ARGB8888, DRM_FORMAT_XBGR8888, DRM_FORMAT_ABGR8888}) {
        EXPECT_EQ(rules_of(f).tolerance, 0) << name(format(f));
        EXPECT_EQ(rules_of(f).margin, 0U) << name(format(f));
    }
    for (const uint32_t f : {DRM_FORMAT_RGB565, DRM_FORMAT_BGR565, DRM_FORMAT_XRGB2101010, DRM_FORMAT_ABGR2101010,
                             DRM_FORMAT_XBGR16161616, DRM_FORMAT_ARGB16161616, DRM_FORMAT_XBGR16161616F,
                             DRM_FORMAT_ARGB16161616F}) {
        EXPECT_EQ(rules_of(f).tolerance, 1) << name(format(f));
        EXPECT_EQ(rules_of(f).margin, 0U) << name(format(f));
    }
    for (const uint32_t f : {DRM_FORMAT_NV12, DRM_FORMAT_YUV420, DRM_FORMAT_P010, DRM_FORMAT_P016, DRM_FORMAT_P210,
                             DRM_FORMAT_Q401}) {
        EXPECT_EQ(rules_of(f).tolerance, 3) << name(format(f));
        EXPECT_EQ(rules_of(f).margin, 2U) << name(format(f));
        EXPECT_EQ(expectation_for(format(f), picture)->picture.rgb, yuv_expectation(picture).rgb) << name(format(f));
    }
    // Formats the packer does not fill have none.
    EXPECT_FALSE(expectation_for(format(DRM_FORMAT_R8), picture).has_value());
    EXPECT_FALSE(expectation_for(format(DRM_FORMAT_YUYV), picture).has_value());
    // The rules are stated in the report.
    const Comparison whole = locate_and_compare(picture, picture, wide_rgb_rules);
    EXPECT_TRUE(contains(whole.describe(wide_rgb_rules), "within 1 per channel (largest difference 0)"))
        << whole.describe(wide_rgb_rules);
}

TEST(ExpectationFor, WideRgbIsThePictureItself)
{
    const RgbImage picture = matrix_picture(64, 32, true);
    for (const uint32_t f : {DRM_FORMAT_XRGB8888, DRM_FORMAT_XRGB2101010, DRM_FORMAT_ARGB2101010, DRM_FORMAT_XBGR2101010,
                             DRM_FORMAT_ABGR2101010, DRM_FORMAT_XRGB16161616, DRM_FORMAT_ABGR16161616,
                             DRM_FORMAT_XRGB16161616F, DRM_FORMAT_ABGR16161616F}) {
        EXPECT_EQ(expectation_for(format(f), picture)->picture.rgb, picture.rgb) << name(format(f));
    }
}

TEST(ExpectationFor, Rgb565IsEachChannelQuantizedAndDecoded)
{
    // R and B: 5 bits, q = round(v * 31 / 255), shown as round(q * 255 / 31); G: 6 bits.
    const RgbImage picture{4, 1, {255, 255, 255, 0, 0, 0, 128, 128, 128, 5, 3, 4}};
    const auto e = expectation_for(format(DRM_FORMAT_RGB565), picture);
    ASSERT_TRUE(e.has_value());
    EXPECT_EQ(e->picture.at(0, 0), (Rgb{255, 255, 255}));
    EXPECT_EQ(e->picture.at(1, 0), (Rgb{0, 0, 0}));
    EXPECT_EQ(e->picture.at(2, 0), (Rgb{132, 130, 132}));  // q 16, 32, 16: 131.6, 129.5, 131.6
    EXPECT_EQ(e->picture.at(3, 0), (Rgb{8, 4, 0}));        // 5 -> q 1 (0.6) -> 8.2; 3 -> q 1 (0.74) -> 4.05; 4 -> q 0 (0.49)
    EXPECT_EQ(expectation_for(format(DRM_FORMAT_BGR565), picture)->picture.rgb, e->picture.rgb);
    // Every value is the decode of the nearest code.
    for (uint32_t v = 0; v < 256; ++v) {
        const RgbImage one{1, 1, {static_cast<uint8_t>(v), static_cast<uint8_t>(v), static_cast<uint8_t>(v)}};
        const Rgb shown = expectation_for(format(DRM_FORMAT_RGB565), one)->picture.at(0, 0);
        EXPECT_LE(std::abs(shown.r - static_cast<int>(v)), 4) << v;  // half a 5-bit step
        EXPECT_LE(std::abs(shown.g - static_cast<int>(v)), 2) << v;  // half a 6-bit step
    }
}

TEST(MatrixPictureFor, YuvFlatRgbTexturedAndRgb565InItsOwnCodes)
{
    EXPECT_EQ(matrix_picture(format(DRM_FORMAT_NV12), 64, 32).rgb, matrix_picture(64, 32, false).rgb);
    EXPECT_EQ(matrix_picture(format(DRM_FORMAT_P010), 64, 32).rgb, matrix_picture(64, 32, false).rgb);
    EXPECT_EQ(matrix_picture(format(DRM_FORMAT_XRGB8888), 64, 32).rgb, matrix_picture(64, 32, true).rgb);
    EXPECT_EQ(matrix_picture(format(DRM_FORMAT_XBGR16161616F), 64, 32).rgb, matrix_picture(64, 32, true).rgb);
    EXPECT_EQ(matrix_picture(format(DRM_FORMAT_ABGR2101010), 64, 32).rgb, matrix_picture(64, 32, true).rgb);

    // RGB565: the texture in the low 3 bits of each channel's code, the picture already quantized.
    const RgbImage flat = matrix_picture(64, 32, false);
    const RgbImage p = matrix_picture(format(DRM_FORMAT_RGB565), 64, 32);
    EXPECT_EQ(expectation_for(format(DRM_FORMAT_RGB565), p)->picture.rgb, p.rgb) << "not quantized";
    for (uint32_t y = 0; y < p.height; ++y) {
        for (uint32_t x = 0; x < p.width; ++x) {
            const Rgb c = p.at(x, y), base = flat.at(x, y);
            EXPECT_EQ(pixels::scale_unorm(c.r, 5) ^ pixels::scale_unorm(base.r, 5), x & 7U);
            EXPECT_EQ(pixels::scale_unorm(c.g, 6) ^ pixels::scale_unorm(base.g, 6), y & 7U);
            EXPECT_EQ(pixels::scale_unorm(c.b, 5) ^ pixels::scale_unorm(base.b, 5), (x + y) & 7U);
        }
    }
}

TEST(MatrixPictureFor, ARgb565BufferShiftedByOnePixelIsNotShown)
{
    // The 8-bit texture would mostly round away in 5 and 6 bits (measured: 703 of the 1860 inner
    // pixels of 64x32 would not notice the picture moved down by one); in the codes, every pixel does.
    for (const uint32_t f : {DRM_FORMAT_RGB565, DRM_FORMAT_BGR565}) {
        const RgbImage wanted = expectation_for(format(f), matrix_picture(format(f), 64, 32))->picture;
        for (const auto& [dx, dy] : {std::pair{1U, 0U}, std::pair{0U, 1U}}) {
            RgbImage inside = wanted;  // moved right or down by one inside a frame that keeps the corners
            for (uint32_t y = 1; y + 1 < wanted.height; ++y) {
                for (uint32_t x = 1; x + 1 < wanted.width; ++x) inside.set(x, y, wanted.at(x - dx, y - dy));
            }
            const Comparison shifted = locate_and_compare(pasted(inside, 200, 150, 37, 21), wanted, wide_rgb_rules);
            EXPECT_TRUE(shifted.found) << name(format(f));
            EXPECT_EQ(shifted.differing, 62U * 30U) << name(format(f)) << " moved by " << dx << "," << dy;
        }
    }
}

TEST(Crop, CopiesThePartAndClipsAtTheEdges)
{
    const RgbImage picture = matrix_picture(64, 32, true);
    const RgbImage part = crop(picture, 10, 5, 20, 8);
    ASSERT_EQ(part.width, 20U);
    ASSERT_EQ(part.height, 8U);
    for (uint32_t y = 0; y < part.height; ++y) {
        for (uint32_t x = 0; x < part.width; ++x) EXPECT_EQ(part.at(x, y), picture.at(10 + x, 5 + y));
    }

    const RgbImage corner = crop(picture, 60, 30, 10, 10);
    ASSERT_EQ(corner.width, 4U);
    ASSERT_EQ(corner.height, 2U);
    EXPECT_EQ(corner.rgb.size(), 4U * 2U * 3U);
    EXPECT_EQ(corner.at(3, 1), picture.at(63, 31));

    const RgbImage outside = crop(picture, 64, 0, 10, 10);
    EXPECT_EQ(outside.width, 0U);
    EXPECT_TRUE(outside.rgb.empty());
    EXPECT_EQ(crop(picture, 0, 40, 10, 10).height, 0U);
}

}  // namespace
}  // namespace dmafeed::conform
