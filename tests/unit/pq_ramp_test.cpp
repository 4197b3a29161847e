// The pq-ramp pattern: its code table is PQ's, and the exact words it writes into the 10-bit,
// 16-bit and half-float RGB formats, read back from the packed planes; 8-bit and YUV formats are
// refused with the formats that work.
#include "pixels/packer.hpp"
#include "pixels/texel.hpp"
#include "pixels/transfer.hpp"
#include "sources/pattern.hpp"

#include <bit>
#include <cmath>
#include <drm_fourcc.h>
#include <gtest/gtest.h>
#include <span>
#include <string>
#include <vector>

namespace dmafeed::sources {
namespace {

constexpr uint32_t bars = pq_ramp_steps.size();

// The value of a normal or subnormal half float (no infinities or NaNs here).
double half_value(uint16_t h)
{
    const int exponent = (h >> 10) & 0x1f;
    const int mantissa = h & 0x3ff;
    const double magnitude = exponent == 0 ? std::ldexp(mantissa, -24) : std::ldexp(1024 + mantissa, exponent - 25);
    return (h & 0x8000) ? -magnitude : magnitude;
}

// Texel `i` of a packed plane as a little-endian word of `bytes`.
uint64_t word(std::span<const uint8_t> plane, size_t i, size_t bytes)
{
    uint64_t w = 0;
    for (size_t k = 0; k < bytes; ++k) w |= uint64_t{plane[i * bytes + k]} << (8 * k);
    return w;
}

// Every texel of one frame of pq-ramp in `fourcc`, `width` x `height`, row by row.
std::vector<uint64_t> pq_ramp_words(uint32_t fourcc, uint32_t width, uint32_t height, size_t bytes)
{
    auto source = PatternSource::create({PatternKind::pq_ramp, {}}, DrmFormat{fourcc}, width, height);
    if (!source) {
        ADD_FAILURE() << source.error().message();
        return {};
    }
    const std::vector<PlanePixels> planes = source->render(7, 700);
    EXPECT_EQ(planes.size(), 1u);
    std::vector<uint64_t> out;
    for (uint32_t y = 0; y < height; ++y) {
        const auto row = planes[0].data.subspan(size_t{y} * planes[0].row_bytes);
        for (uint32_t x = 0; x < width; ++x) out.push_back(word(row, x, bytes));
    }
    return out;
}

TEST(PqRamp, TheTableIsPqOfItsLuminances)
{
    ASSERT_EQ(bars, 10u);
    for (const PqStep& step : pq_ramp_steps) {
        EXPECT_EQ(step.code, pixels::full_range_code(pixels::pq_inverse_eotf(step.luminance), 10)) << step.luminance;
        // Not near a rounding boundary: the code is the same however PQ is rounded on the way.
        const double exact = 1023 * pixels::pq_inverse_eotf(step.luminance);
        EXPECT_GT(std::abs(exact - std::floor(exact) - 0.5), 0.05) << step.luminance;
    }
    // 100 cd/m² is 520 (1023 * 0.508078 = 519.76), BT.2408's reference white 203 cd/m² is 594.
    EXPECT_EQ(pq_ramp_steps[4].luminance, 100.0);
    EXPECT_EQ(pq_ramp_steps[4].code, 520);
    EXPECT_EQ(pq_ramp_steps[5].luminance, 203.0);
    EXPECT_EQ(pq_ramp_steps[5].code, 594);
    EXPECT_EQ(pq_ramp_steps.back().code, 1023);
}

TEST(PqRamp, ParsesAndIsNamed)
{
    auto spec = PatternSpec::parse("pq-ramp");
    ASSERT_TRUE(spec.ok()) << spec.error().message();
    EXPECT_EQ(spec->kind, PatternKind::pq_ramp);
    EXPECT_EQ(spec->to_string(), "pq-ramp");
    auto unknown = PatternSpec::parse("pq");
    ASSERT_FALSE(unknown.ok());
    EXPECT_NE(unknown.error().message().find("pq-ramp"), std::string::npos) << unknown.error().message();
    EXPECT_TRUE(needs_10_bits(PatternKind::pq_ramp));
    EXPECT_FALSE(needs_10_bits(PatternKind::smpte));
}

TEST(PqRamp, BarsAcrossTheWidthWithoutAStamp)
{
    const PatternFrame f = pattern_frame({PatternKind::pq_ramp, {}}, 25, 12, 3, 100);
    EXPECT_FALSE(f.stamped);
    for (uint32_t x = 0; x < 25; ++x) {
        const uint16_t code = pq_ramp_steps[x * bars / 25].code;
        for (const uint32_t y : {0U, 5U, 11U}) {
            EXPECT_EQ(pattern_pixel_10bit(f, x, y), (pixels::Rgb10{code, code, code})) << x << "," << y;
        }
        // The 8-bit picture of it: round(code * 255 / 1023).
        const auto grey = static_cast<uint8_t>(std::lround(code * 255.0 / 1023.0));
        EXPECT_EQ(pattern_pixel(f, x, 0), (pixels::Rgb{grey, grey, grey})) << x;
    }
    // Static: nothing to redraw from one frame to the next.
    EXPECT_TRUE(pattern_changes(f, pattern_frame({PatternKind::pq_ramp, {}}, 25, 12, 4, 140)).empty());
}

// 2 pixels a bar, 3 rows: words of every pixel against the codes as each format holds them.
constexpr uint32_t ramp_width = 2 * bars, ramp_height = 3;

TEST(PqRamp, TenBitFormatsHoldTheCodesExactly)
{
    // [31:0] X:R:G:B 2:10:10:10 (and B:G:R for XBGR): with R = G = B = code and X or A all ones,
    // the word is 0xc0000000 | code << 20 | code << 10 | code for all four.
    for (const uint32_t fourcc : {DRM_FORMAT_XRGB2101010, DRM_FORMAT_ARGB2101010, DRM_FORMAT_XBGR2101010, DRM_FORMAT_ABGR2101010}) {
        const std::vector<uint64_t> words = pq_ramp_words(fourcc, ramp_width, ramp_height, 4);
        ASSERT_EQ(words.size(), size_t{ramp_width} * ramp_height);
        for (uint32_t i = 0; i < words.size(); ++i) {
            const uint64_t code = pq_ramp_steps[(i % ramp_width) / 2].code;
            ASSERT_EQ(words[i], 0xc0000000U | code << 20 | code << 10 | code) << name(DrmFormat{fourcc}) << " texel " << i;
            // Each channel read back on its own.
            EXPECT_EQ(words[i] & 0x3ff, code);
            EXPECT_EQ((words[i] >> 10) & 0x3ff, code);
            EXPECT_EQ((words[i] >> 20) & 0x3ff, code);
        }
        // Worked out by hand: 100 cd/m², 520 = 0x208, is 0xe0882208; 1000 cd/m², 769, is 0xf01c0701.
        EXPECT_EQ(words[8], 0xe0882208U);
        EXPECT_EQ(words[14], 0xf01c0701U);
        EXPECT_EQ(words[0], 0xc0000000U);
        EXPECT_EQ(words[ramp_width - 1], 0xffffffffU);
    }
}

TEST(PqRamp, HalfFloatFormatsHoldTheNearestHalfToEachCode)
{
    // The halves nearest to code / 1023 (worked out separately, round to nearest even).
    constexpr uint16_t halves[bars] = {0x0000, 0x2c01, 0x30c9, 0x34cd, 0x3811, 0x38a5, 0x3939, 0x3a04, 0x3b38, 0x3c00};
    for (const uint32_t fourcc : {DRM_FORMAT_XBGR16161616F, DRM_FORMAT_ABGR16161616F, DRM_FORMAT_XRGB16161616F,
                                  DRM_FORMAT_ARGB16161616F}) {
        const std::vector<uint64_t> words = pq_ramp_words(fourcc, ramp_width, ramp_height, 8);
        ASSERT_EQ(words.size(), size_t{ramp_width} * ramp_height);
        for (uint32_t i = 0; i < words.size(); ++i) {
            const uint32_t bar = (i % ramp_width) / 2;
            const uint64_t h = halves[bar];
            // [63:0] X:B:G:R 16:16:16:16 (A:R:G:B): 1.0 (0x3c00) in the top 16 bits.
            ASSERT_EQ(words[i], uint64_t{0x3c00} << 48 | h << 32 | h << 16 | h) << name(DrmFormat{fourcc}) << " texel " << i;
        }
    }
    // Each of those halves is the nearest to code / 1023: its neighbours are no nearer.
    for (uint32_t bar = 0; bar < bars; ++bar) {
        const double want = pq_ramp_steps[bar].code / 1023.0;
        const double error = std::abs(half_value(halves[bar]) - want);
        if (halves[bar] > 0) {
            EXPECT_LE(error, std::abs(half_value(static_cast<uint16_t>(halves[bar] - 1)) - want)) << bar;
        }
        if (halves[bar] < 0x3c00) {
            EXPECT_LE(error, std::abs(half_value(static_cast<uint16_t>(halves[bar] + 1)) - want)) << bar;
        }
        EXPECT_LT(error, 1.0 / 2046) << bar;  // within half a 10-bit step: the code reads back
        EXPECT_EQ(std::lround(half_value(halves[bar]) * 1023), pq_ramp_steps[bar].code) << bar;
    }
}

#ifdef DRM_FORMAT_XBGR16161616
TEST(PqRamp, SixteenBitUnormFormatsHoldTheCodesScaled)
{
    // round(code * 65535 / 1023): 520 -> 33312 (0x8220), 1023 -> 0xffff.
    const std::vector<uint64_t> words = pq_ramp_words(DRM_FORMAT_XBGR16161616, ramp_width, ramp_height, 8);
    ASSERT_EQ(words.size(), size_t{ramp_width} * ramp_height);
    for (uint32_t i = 0; i < words.size(); ++i) {
        const uint64_t v = std::lround(pq_ramp_steps[(i % ramp_width) / 2].code * 65535.0 / 1023.0);
        ASSERT_EQ(words[i], uint64_t{0xffff} << 48 | v << 32 | v << 16 | v) << i;
    }
    EXPECT_EQ(words[8] & 0xffff, 0x8220u);
}
#endif

TEST(PqRamp, EightBitAndYuvFormatsAreRefusedWithTheFormatsThatWork)
{
    for (const uint32_t fourcc : {DRM_FORMAT_XRGB8888, DRM_FORMAT_ABGR8888, DRM_FORMAT_RGB565, DRM_FORMAT_NV12, DRM_FORMAT_P010}) {
        auto source = PatternSource::create({PatternKind::pq_ramp, {}}, DrmFormat{fourcc}, 16, 4);
        ASSERT_FALSE(source.ok()) << name(DrmFormat{fourcc});
        const std::string m = source.error().message();
        EXPECT_NE(m.find("pq-ramp"), std::string::npos) << m;
        EXPECT_NE(m.find(name(DrmFormat{fourcc})), std::string::npos) << m;
        for (const char* works : {"XRGB2101010", "ARGB2101010", "XBGR2101010", "ABGR2101010", "XBGR16161616F", "ABGR16161616F"}) {
            EXPECT_NE(m.find(works), std::string::npos) << works << " missing from: " << m;
        }
        EXPECT_FALSE(check_pattern_format(PatternKind::pq_ramp, DrmFormat{fourcc}).ok());
    }
    EXPECT_TRUE(check_pattern_format(PatternKind::pq_ramp, DrmFormat{DRM_FORMAT_XRGB2101010}).ok());
    EXPECT_TRUE(check_pattern_format(PatternKind::smpte, DrmFormat{DRM_FORMAT_XRGB8888}).ok());
}

TEST(PqRamp, TheFormatsThatKeepTenBits)
{
    using pixels::keeps_10_bit_rgb;
    for (const uint32_t fourcc : {DRM_FORMAT_XRGB2101010, DRM_FORMAT_ARGB2101010, DRM_FORMAT_XBGR2101010, DRM_FORMAT_ABGR2101010,
                                  DRM_FORMAT_XBGR16161616F, DRM_FORMAT_ABGR16161616F, DRM_FORMAT_XRGB16161616F}) {
        EXPECT_TRUE(keeps_10_bit_rgb(DrmFormat{fourcc})) << name(DrmFormat{fourcc});
    }
    for (const uint32_t fourcc : {DRM_FORMAT_XRGB8888, DRM_FORMAT_RGB565, DRM_FORMAT_NV12, DRM_FORMAT_P010, DRM_FORMAT_Q410,
                                  DRM_FORMAT_YUYV, DRM_FORMAT_R8}) {
        EXPECT_FALSE(keeps_10_bit_rgb(DrmFormat{fourcc})) << name(DrmFormat{fourcc});
    }
    // A packer of an 8-bit format refuses 10-bit codes rather than cut them.
    auto packer = pixels::Packer::create(DrmFormat{DRM_FORMAT_XRGB8888}, 2, 1);
    ASSERT_TRUE(packer.ok());
    const pixels::Rgb10Image image{2, 1, std::vector<uint16_t>(6, 520)};
    auto packed = packer->pack(image);
    ASSERT_FALSE(packed.ok());
    EXPECT_NE(packed.error().message().find("XRGB2101010"), std::string::npos) << packed.error().message();
    // And one of the wrong size.
    auto ten = pixels::Packer::create(DrmFormat{DRM_FORMAT_XRGB2101010}, 3, 1);
    ASSERT_TRUE(ten.ok());
    EXPECT_FALSE(ten->pack(image).ok());
}

TEST(PqRamp, OtherPatternsInTenBitCodesAreTheirEightBitColoursScaled)
{
    const PatternFrame f = pattern_frame({PatternKind::smpte, {}}, 70, 16, 0, 0);
    // A 75 % bar, 191: round(191 * 1023 / 255) = 766.
    EXPECT_EQ(pattern_pixel(f, 0, 12), (pixels::Rgb{191, 191, 191}));
    EXPECT_EQ(pattern_pixel_10bit(f, 0, 12), (pixels::Rgb10{766, 766, 766}));
    pixels::Rgb10Image image{70, 16, std::vector<uint16_t>(size_t{70} * 16 * 3)};
    fill_pattern_10bit(f, 0, 0, image);
    for (uint32_t y = 0; y < 16; ++y) {
        for (uint32_t x = 0; x < 70; ++x) {
            const pixels::Rgb c = pattern_pixel(f, x, y);
            ASSERT_EQ(image.at(x, y), (pixels::Rgb10{static_cast<uint16_t>(pixels::scale_unorm(c.r, 10)),
                                                      static_cast<uint16_t>(pixels::scale_unorm(c.g, 10)),
                                                      static_cast<uint16_t>(pixels::scale_unorm(c.b, 10))}))
                << x << "," << y;
        }
    }
}

}  // namespace
}  // namespace dmafeed::sources
