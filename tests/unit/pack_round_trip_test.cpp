// What the Packer writes, decoded again by a decoder of this test's own, and compared with what
// dmafeed-conform expects a compositor to show (conform::expectation_for). The decoder does not use
// the packer's texel table: it reads drm_fourcc.h's comments ("[31:0] x:R:G:B 2:10:10:10", "[31:0]
// Cr:x:Cb:x [10:6:10:6]"), copied below, and decodes as a compositor would: unorm fields to
// round(q * 255 / max), half floats to round(h * 255), MSB-aligned Y'CbCr to their top 8 bits and
// BT.601 limited range. Every format the packer fills must have a comment here.
#include "conform/pixels.hpp"
#include "drm/format_info.hpp"
#include "pixels/color.hpp"
#include "pixels/packer.hpp"

#include <cmath>
#include <drm_fourcc.h>
#include <gtest/gtest.h>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

namespace dmafeed::conform {
namespace {

using pixels::Rgb;
using pixels::RgbImage;

struct Comment {
    std::vector<std::string> planes;  // per plane: "[31:0] x:R:G:B 2:10:10:10" (sizes omitted: one field)
    bool half = false;                // IEEE 754-2008 binary16 fields
    uint32_t hsub = 1, vsub = 1;      // "2x2 subsampled Cr:Cb plane"
};

// drm_fourcc.h, as it describes each format (the brackets of the YUV bit counts left out).
const std::map<uint32_t, Comment> comments = {
    {DRM_FORMAT_XRGB8888, {{"[31:0] x:R:G:B 8:8:8:8"}}},
    {DRM_FORMAT_ARGB8888, {{"[31:0] A:R:G:B 8:8:8:8"}}},
    {DRM_FORMAT_XBGR8888, {{"[31:0] x:B:G:R 8:8:8:8"}}},
    {DRM_FORMAT_ABGR8888, {{"[31:0] A:B:G:R 8:8:8:8"}}},
    {DRM_FORMAT_RGB565, {{"[15:0] R:G:B 5:6:5"}}},
    {DRM_FORMAT_BGR565, {{"[15:0] B:G:R 5:6:5"}}},
    {DRM_FORMAT_XRGB2101010, {{"[31:0] x:R:G:B 2:10:10:10"}}},
    {DRM_FORMAT_ARGB2101010, {{"[31:0] A:R:G:B 2:10:10:10"}}},
    {DRM_FORMAT_XBGR2101010, {{"[31:0] x:B:G:R 2:10:10:10"}}},
    {DRM_FORMAT_ABGR2101010, {{"[31:0] A:B:G:R 2:10:10:10"}}},
    {DRM_FORMAT_XRGB16161616, {{"[63:0] x:R:G:B 16:16:16:16"}}},
    {DRM_FORMAT_ARGB16161616, {{"[63:0] A:R:G:B 16:16:16:16"}}},
    {DRM_FORMAT_XBGR16161616, {{"[63:0] x:B:G:R 16:16:16:16"}}},
    {DRM_FORMAT_ABGR16161616, {{"[63:0] A:B:G:R 16:16:16:16"}}},
    {DRM_FORMAT_XRGB16161616F, {{"[63:0] x:R:G:B 16:16:16:16"}, true}},
    {DRM_FORMAT_ARGB16161616F, {{"[63:0] A:R:G:B 16:16:16:16"}, true}},
    {DRM_FORMAT_XBGR16161616F, {{"[63:0] x:B:G:R 16:16:16:16"}, true}},
    {DRM_FORMAT_ABGR16161616F, {{"[63:0] A:B:G:R 16:16:16:16"}, true}},
    {DRM_FORMAT_NV12, {{"[7:0] Y", "[15:0] Cr:Cb 8:8"}, false, 2, 2}},
    {DRM_FORMAT_NV16, {{"[7:0] Y", "[15:0] Cr:Cb 8:8"}, false, 2, 1}},
    {DRM_FORMAT_NV24, {{"[7:0] Y", "[15:0] Cr:Cb 8:8"}, false, 1, 1}},
    {DRM_FORMAT_P010, {{"[15:0] Y:x 10:6", "[31:0] Cr:x:Cb:x 10:6:10:6"}, false, 2, 2}},
    {DRM_FORMAT_P012, {{"[15:0] Y:x 12:4", "[31:0] Cr:x:Cb:x 12:4:12:4"}, false, 2, 2}},
    {DRM_FORMAT_P016, {{"[15:0] Y", "[31:0] Cr:Cb 16:16"}, false, 2, 2}},
    {DRM_FORMAT_P210, {{"[15:0] Y:x 10:6", "[31:0] Cr:x:Cb:x 10:6:10:6"}, false, 2, 1}},
    {DRM_FORMAT_YUV420, {{"[7:0] Y", "[7:0] Cb", "[7:0] Cr"}, false, 2, 2}},
    {DRM_FORMAT_YVU420, {{"[7:0] Y", "[7:0] Cr", "[7:0] Cb"}, false, 2, 2}},
    {DRM_FORMAT_YUV422, {{"[7:0] Y", "[7:0] Cb", "[7:0] Cr"}, false, 2, 1}},
    {DRM_FORMAT_YUV444, {{"[7:0] Y", "[7:0] Cb", "[7:0] Cr"}, false, 1, 1}},
    {DRM_FORMAT_Q410, {{"[15:0] Y:x 10:6", "[15:0] Cb:x 10:6", "[15:0] Cr:x 10:6"}, false, 1, 1}},
    {DRM_FORMAT_Q401, {{"[15:0] Y:x 10:6", "[15:0] Cr:x 10:6", "[15:0] Cb:x 10:6"}, false, 1, 1}},
};

struct Bits {
    unsigned offset = 0, width = 0;
};
struct Word {
    unsigned bytes = 0;
    std::map<std::string, Bits> fields;  // "R", "x", "Cb", ...
};

std::vector<std::string> split(const std::string& s, char sep)
{
    std::vector<std::string> out;
    std::stringstream in{s};
    for (std::string part; std::getline(in, part, sep);) out.push_back(part);
    return out;
}

// "[31:0] x:R:G:B 2:10:10:10": the fields from the most significant bit down.
Word parse(const std::string& comment)
{
    const auto words = split(comment, ' ');
    const unsigned top = static_cast<unsigned>(std::stoul(words.at(0).substr(1)));  // "[31:0]"
    const auto names = split(words.at(1), ':');
    const auto widths = words.size() > 2 ? split(words.at(2), ':') : std::vector<std::string>{std::to_string(top + 1)};
    Word w{(top + 1) / 8, {}};
    unsigned next = top + 1;
    for (size_t i = 0; i < names.size(); ++i) {
        const auto width = static_cast<unsigned>(std::stoul(widths.at(i)));
        next -= width;
        w.fields[names[i]] = {next, width};
    }
    EXPECT_EQ(next, 0U) << comment;
    return w;
}

uint64_t read_word(const PlanePixels& plane, uint32_t x, uint32_t y, unsigned bytes)
{
    uint64_t w = 0;
    for (unsigned k = 0; k < bytes; ++k) w |= uint64_t{plane.data[size_t{y} * plane.row_bytes + size_t{x} * bytes + k]} << (8 * k);
    return w;
}

uint32_t field(uint64_t word, const Bits& b) { return static_cast<uint32_t>((word >> b.offset) & ((uint64_t{1} << b.width) - 1)); }

double half_value(uint32_t h)
{
    const int exponent = static_cast<int>((h >> 10) & 0x1f), mantissa = static_cast<int>(h & 0x3ff);
    return exponent == 0 ? std::ldexp(mantissa, -24) : std::ldexp(1024 + mantissa, exponent - 25);
}

// One RGB channel as a compositor shows it on 8 bits.
uint8_t decode_rgb(uint32_t raw, const Bits& b, bool half)
{
    if (half) return static_cast<uint8_t>(std::lround(std::clamp(half_value(raw), 0.0, 1.0) * 255));
    return static_cast<uint8_t>(std::lround(raw * 255.0 / static_cast<double>((1U << b.width) - 1)));
}

// An MSB-aligned Y'CbCr sample as its 8-bit code; the bits below must be zero.
uint8_t decode_code(uint32_t raw, const Bits& b)
{
    EXPECT_EQ(raw & ((1U << (b.width - 8)) - 1), 0U) << "bits below the 8-bit code";
    return static_cast<uint8_t>(raw >> (b.width - 8));
}

// The packed planes decoded to what a compositor would show.
RgbImage decode(const Comment& c, std::span<const PlanePixels> planes, uint32_t width, uint32_t height)
{
    std::vector<Word> words;
    for (const std::string& p : c.planes) words.push_back(parse(p));
    RgbImage out{width, height, std::vector<uint8_t>(size_t{width} * height * 3)};
    for (uint32_t y = 0; y < height; ++y) {
        for (uint32_t x = 0; x < width; ++x) {
            std::map<std::string, std::pair<uint32_t, Bits>> values;
            for (size_t p = 0; p < words.size(); ++p) {
                const uint32_t px = p == 0 ? x : x / c.hsub, py = p == 0 ? y : y / c.vsub;
                const uint64_t w = read_word(planes[p], px, py, words[p].bytes);
                for (const auto& [name, bits] : words[p].fields) values[name] = {field(w, bits), bits};
            }
            if (values.count("R")) {
                for (const char* padding : {"x", "A"}) {
                    if (!values.count(padding)) continue;
                    const auto& [raw, bits] = values[padding];
                    EXPECT_EQ(raw, c.half ? 0x3c00U : (1U << bits.width) - 1) << padding << " at " << x << "," << y;
                }
                out.set(x, y, {decode_rgb(values["R"].first, values["R"].second, c.half),
                               decode_rgb(values["G"].first, values["G"].second, c.half),
                               decode_rgb(values["B"].first, values["B"].second, c.half)});
            } else {
                const pixels::Ycbcr code{decode_code(values["Y"].first, values["Y"].second),
                                          decode_code(values["Cb"].first, values["Cb"].second),
                                          decode_code(values["Cr"].first, values["Cr"].second)};
                out.set(x, y, pixels::bt601_limited_to_rgb(code));
            }
        }
    }
    return out;
}

TEST(PackRoundTrip, EveryPackableFormatDecodesToItsExpectation)
{
    int checked = 0;
    for (const FormatInfo& info : known_formats()) {
        if (!pixels::packable(info.format)) continue;
        const std::string n = name(info.format);
        SCOPED_TRACE(n);
        const auto comment = comments.find(info.format.fourcc());
        ASSERT_NE(comment, comments.end()) << "no drm_fourcc.h comment for a format the packer fills";
        ASSERT_EQ(comment->second.planes.size(), info.plane_count);
        for (const auto& [w, h] : {std::pair{32U, 16U}, std::pair{33U, 13U}}) {
            const RgbImage picture = matrix_picture(info.format, w, h);
            auto packer = pixels::Packer::create(info.format, w, h);
            ASSERT_TRUE(packer.ok()) << packer.error().message();
            packer->pack(picture);
            const auto planes = packer->planes();
            const RgbImage shown = decode(comment->second, planes, w, h);
            const auto expected = expectation_for(info.format, picture);
            ASSERT_TRUE(expected.has_value());
            if (info.is_yuv) {
                // Exact inside the blocks (the decode of the same code), within the rules everywhere
                // the rules compare.
                const Comparison inside = locate_and_compare(shown, expected->picture, CheckRules{0, 2});
                EXPECT_TRUE(inside.matches()) << inside.describe(CheckRules{0, 2});
                EXPECT_EQ(expected->rules.tolerance, yuv_rules.tolerance);
            } else {
                // The decoder and the expectation agree to the bit, whatever the tolerance.
                const Comparison all = locate_and_compare(shown, expected->picture, CheckRules{0, 0});
                EXPECT_TRUE(all.matches()) << all.describe(CheckRules{0, 0});
            }
            const Comparison ruled = locate_and_compare(shown, expected->picture, expected->rules);
            EXPECT_TRUE(ruled.matches()) << ruled.describe(expected->rules);
            ++checked;
        }
    }
    EXPECT_EQ(checked, 2 * 31);
}

TEST(PackRoundTrip, TheDecoderReadsTheCommentsAsWritten)
{
    const Word xrgb = parse("[31:0] x:R:G:B 2:10:10:10");
    EXPECT_EQ(xrgb.bytes, 4U);
    EXPECT_EQ(xrgb.fields.at("R").offset, 20U);
    EXPECT_EQ(xrgb.fields.at("x").offset, 30U);
    EXPECT_EQ(xrgb.fields.at("x").width, 2U);
    const Word p010 = parse("[31:0] Cr:x:Cb:x 10:6:10:6");
    EXPECT_EQ(p010.fields.at("Cb").offset, 6U);
    EXPECT_EQ(p010.fields.at("Cr").offset, 22U);
    const Word y8 = parse("[7:0] Y");
    EXPECT_EQ(y8.fields.at("Y").width, 8U);
}

}  // namespace
}  // namespace dmafeed::conform
