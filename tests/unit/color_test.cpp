// YUV encodings: known values of each matrix and range, and encode/decode round trips.
#include "pixels/color.hpp"

#include <cstdlib>
#include <gtest/gtest.h>

namespace dmafeed::pixels {
namespace {

Ycbcr encode(Rgb c, YuvMatrix m, YuvRange r) { return rgb_to_ycbcr(c, yuv_coefficients({m, r})); }

TEST(Color, KnownValuesOfEachMatrixAndRange)
{
    using enum YuvMatrix;
    using enum YuvRange;
    for (const YuvMatrix m : {bt601, bt709, bt2020}) {
        EXPECT_EQ(encode({0, 0, 0}, m, limited), (Ycbcr{16, 128, 128})) << matrix_name(m);
        EXPECT_EQ(encode({255, 255, 255}, m, limited), (Ycbcr{235, 128, 128})) << matrix_name(m);
        EXPECT_EQ(encode({0, 0, 0}, m, full), (Ycbcr{0, 128, 128})) << matrix_name(m);
        EXPECT_EQ(encode({255, 255, 255}, m, full), (Ycbcr{255, 128, 128})) << matrix_name(m);
    }
    // Pure red: Y' = 16 + 219 Kr, Cr at its maximum.
    EXPECT_EQ(encode({255, 0, 0}, bt601, limited), (Ycbcr{81, 90, 240}));
    EXPECT_EQ(encode({255, 0, 0}, bt709, limited), (Ycbcr{63, 102, 240}));
    EXPECT_EQ(encode({255, 0, 0}, bt2020, limited), (Ycbcr{74, 97, 240}));
    // Full range: Y' = 255 Kr; Cr would be 255.5 and is clamped.
    EXPECT_EQ(encode({255, 0, 0}, bt601, full), (Ycbcr{76, 85, 255}));
    // weston 14's measured decode of NV12 (128, 96, 192) is BT.601 limited range.
    EXPECT_EQ(bt601_limited_to_rgb({128, 96, 192}), (Rgb{233, 91, 66}));
}

TEST(Color, EncodeThenDecodeComesBackWithinRounding)
{
    for (const YuvMatrix m : {YuvMatrix::bt601, YuvMatrix::bt709, YuvMatrix::bt2020}) {
        for (const YuvRange r : {YuvRange::limited, YuvRange::full}) {
            const YuvEncoding e{m, r};
            const YuvCoefficients k = yuv_coefficients(e);
            int worst = 0;
            for (int v = 0; v < 256 * 256 * 256; v += 997) {
                const Rgb c{static_cast<uint8_t>(v >> 16), static_cast<uint8_t>(v >> 8), static_cast<uint8_t>(v)};
                const Rgb back = ycbcr_to_rgb(rgb_to_ycbcr(c, k), e);
                worst = std::max({worst, std::abs(back.r - c.r), std::abs(back.g - c.g), std::abs(back.b - c.b)});
            }
            // 8-bit Y'CbCr loses up to a few codes of RGB (limited range more than full).
            EXPECT_LE(worst, r == YuvRange::limited ? 4 : 3) << e.to_string();
        }
    }
}

TEST(Color, NamesParseAndErrorsListTheChoices)
{
    EXPECT_EQ(*YuvEncoding::parse_matrix("bt709"), YuvMatrix::bt709);
    EXPECT_EQ(*YuvEncoding::parse_range("full"), YuvRange::full);
    auto bad = YuvEncoding::parse_matrix("rec709");
    ASSERT_FALSE(bad.ok());
    EXPECT_NE(bad.error().message().find("bt601, bt709 or bt2020"), std::string::npos);
    EXPECT_EQ((YuvEncoding{YuvMatrix::bt2020, YuvRange::full}.to_string()), "BT.2020 full range");
}

}  // namespace
}  // namespace dmafeed::pixels
