// The Packer's bytes for every format it fills beyond 8-bit (RGB565, 10-bit and 16-bit RGB, half
// floats, P010/P012/P016/P210, Q410/Q401): exact little-endian words, bit positions, X and alpha,
// and the texel layouts against the format table; the half-float conversion on known values.
#include "drm/format_info.hpp"
#include "pixels/packer.hpp"
#include "pixels/texel.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <drm_fourcc.h>
#include <gtest/gtest.h>
#include <limits>
#include <string>
#include <vector>

namespace dmafeed::pixels {
namespace {

constexpr Rgb white{255, 255, 255}, red{255, 0, 0}, green{0, 255, 0}, blue{0, 0, 255}, mid{128, 64, 32};

RgbImage image_of(uint32_t w, uint32_t h, std::vector<Rgb> pixels)
{
    RgbImage image{w, h, std::vector<uint8_t>(size_t{w} * h * 3)};
    for (uint32_t i = 0; i < w * h; ++i) image.set(i % w, i / w, pixels[i]);
    return image;
}

RgbImage filled(uint32_t w, uint32_t h, Rgb c) { return image_of(w, h, std::vector<Rgb>(size_t{w} * h, c)); }

// The planes of `image` packed into `fourcc`.
std::vector<std::vector<uint8_t>> packed(uint32_t fourcc, const RgbImage& image, YuvEncoding encoding = {})
{
    auto packer = Packer::create(DrmFormat{fourcc}, image.width, image.height, encoding);
    if (!packer) {
        ADD_FAILURE() << packer.error().message();
        return {};
    }
    packer->pack(image);
    std::vector<std::vector<uint8_t>> out;
    for (const PlanePixels& p : packer->planes()) out.emplace_back(p.data.begin(), p.data.end());
    return out;
}

// Texel `i` of a plane as a little-endian word of `bytes`.
uint64_t word(const std::vector<uint8_t>& plane, size_t i, size_t bytes)
{
    uint64_t w = 0;
    for (size_t k = 0; k < bytes; ++k) w |= uint64_t{plane.at(i * bytes + k)} << (8 * k);
    return w;
}

std::vector<uint64_t> words(const std::vector<uint8_t>& plane, size_t bytes)
{
    std::vector<uint64_t> out;
    for (size_t i = 0; i < plane.size() / bytes; ++i) out.push_back(word(plane, i, bytes));
    return out;
}

using Words = std::vector<uint64_t>;

TEST(HalfFloat, KnownValues)
{
    EXPECT_EQ(float_to_half(0.0F), 0x0000);
    EXPECT_EQ(float_to_half(-0.0F), 0x8000);
    EXPECT_EQ(float_to_half(1.0F), 0x3c00);
    EXPECT_EQ(float_to_half(0.5F), 0x3800);
    EXPECT_EQ(float_to_half(2.0F), 0x4000);
    EXPECT_EQ(float_to_half(-2.0F), 0xc000);
    EXPECT_EQ(float_to_half(1.0F / 255.0F), 0x1c04);  // 2^-8 * 1.0039: mantissa 4.02 -> 4
    EXPECT_EQ(float_to_half(128.0F / 255.0F), 0x3804);
    EXPECT_EQ(float_to_half(65504.0F), 0x7bff);  // the largest half
    EXPECT_EQ(float_to_half(65519.0F), 0x7bff);  // below the halfway point to 65536
    EXPECT_EQ(float_to_half(65520.0F), 0x7c00);  // halfway: ties to even, which is infinity
    EXPECT_EQ(float_to_half(1e6F), 0x7c00);
    EXPECT_EQ(float_to_half(std::numeric_limits<float>::infinity()), 0x7c00);
    EXPECT_EQ(float_to_half(-std::numeric_limits<float>::infinity()), 0xfc00);
    const uint16_t nan = float_to_half(std::numeric_limits<float>::quiet_NaN());
    EXPECT_EQ(nan & 0x7c00, 0x7c00);
    EXPECT_NE(nan & 0x03ff, 0);
    // Ties to even in the normal range: 1 + 2^-11 is halfway between 0x3c00 and 0x3c01.
    EXPECT_EQ(float_to_half(1.0F + 0x1p-11F), 0x3c00);
    EXPECT_EQ(float_to_half(1.0F + 3 * 0x1p-11F), 0x3c02);
    EXPECT_EQ(float_to_half(1.0F + 0x1p-11F + 0x1p-20F), 0x3c01);
    // Subnormals: units of 2^-24.
    EXPECT_EQ(float_to_half(0x1p-14F), 0x0400);  // the smallest normal
    EXPECT_EQ(float_to_half(0x1p-24F), 0x0001);  // the smallest subnormal
    EXPECT_EQ(float_to_half(0x1p-25F), 0x0000);  // halfway to it: ties to even (0)
    EXPECT_EQ(float_to_half(0x1.8p-25F), 0x0001);
    EXPECT_EQ(float_to_half(0x1.8p-24F), 0x0002);  // 1.5 units: ties to even (2)
    EXPECT_EQ(float_to_half(0x1p-26F), 0x0000);
    EXPECT_EQ(float_to_half(0x1.ff8p-15F), 0x03ff);  // 1023 units: the largest subnormal
    EXPECT_EQ(float_to_half(0x1.ffcp-15F), 0x0400);  // 1023.5: ties to even, out of the subnormals
}

// A half's value, decoded on its own (sign, 5-bit exponent, 10-bit mantissa).
double half_value(uint16_t h)
{
    const int exponent = (h >> 10) & 0x1f;
    const int mantissa = h & 0x3ff;
    const double magnitude = exponent == 0 ? std::ldexp(mantissa, -24) : std::ldexp(1024 + mantissa, exponent - 25);
    return (h & 0x8000) != 0 ? -magnitude : magnitude;
}

TEST(HalfFloat, EveryFiniteHalfComesBackAndEveryEightBitValueIsNearest)
{
    for (uint32_t h = 0; h < 0x10000; ++h) {
        if (((h >> 10) & 0x1f) == 0x1f) continue;  // infinities and NaNs
        EXPECT_EQ(float_to_half(static_cast<float>(half_value(static_cast<uint16_t>(h)))), h) << std::hex << h;
        if (HasFailure()) return;
    }
    for (int v = 0; v < 256; ++v) {
        const double exact = v / 255.0;
        const uint16_t h = float_to_half(static_cast<float>(v) / 255.0F);
        // No half is nearer, and the capture's 8 bits see v again.
        EXPECT_LE(std::abs(half_value(h) - exact), std::abs(half_value(static_cast<uint16_t>(h + 1)) - exact)) << v;
        if (h > 0) {
            EXPECT_LE(std::abs(half_value(h) - exact), std::abs(half_value(static_cast<uint16_t>(h - 1)) - exact)) << v;
        }
        EXPECT_EQ(std::lround(half_value(h) * 255), v);
    }
}

TEST(TexelFields, ScaleAndWiden)
{
    EXPECT_EQ(scale_unorm(255, 10), 1023U);
    EXPECT_EQ(scale_unorm(128, 10), 514U);  // 513.5.. rounds up
    EXPECT_EQ(scale_unorm(64, 10), 257U);   // 256.75
    EXPECT_EQ(scale_unorm(32, 10), 128U);   // 128.38
    EXPECT_EQ(scale_unorm(255, 5), 31U);
    EXPECT_EQ(scale_unorm(8, 5), 1U);  // 0.97
    EXPECT_EQ(scale_unorm(4, 5), 0U);  // 0.49
    EXPECT_EQ(scale_unorm(128, 6), 32U);
    for (uint32_t v = 0; v < 256; ++v) {
        EXPECT_EQ(scale_unorm(v, 8), v);
        EXPECT_EQ(scale_unorm(v, 16), v * 257);
    }
    EXPECT_EQ(widen_code(235, 8, 10), 940U);
    EXPECT_EQ(widen_code(940, 10, 16), 0xeb00U);
}

TEST(TexelLayouts, AgreeWithTheFormatTable)
{
    int formats = 0;
    for (const FormatInfo& info : known_formats()) {
        const auto layouts = texel_layouts(info.format);
        const std::string n = name(info.format);
        if (layouts.empty()) continue;
        ++formats;
        EXPECT_TRUE(packable(info.format)) << n;
        ASSERT_EQ(layouts.size(), info.plane_count) << n;
        for (uint32_t p = 0; p < info.plane_count; ++p) {
            const TexelLayout& t = layouts[p];
            EXPECT_EQ(t.bytes, info.planes[p].bytes_per_pixel) << n << " plane " << p;
            EXPECT_EQ(t.is_yuv(), info.is_yuv) << n << " plane " << p;
            uint64_t taken = 0;
            for (const Field& f : t.used()) {
                ASSERT_LE(f.offset + f.bits, 8 * t.bytes) << n << " plane " << p;
                const uint64_t mask = ((f.bits == 64 ? 0 : (uint64_t{1} << f.bits)) - 1) << f.offset;
                EXPECT_EQ(taken & mask, 0U) << n << " plane " << p << ": fields overlap";
                taken |= mask;
                if (t.encoding == FieldEncoding::float16) {
                    EXPECT_EQ(f.bits, 16) << n;
                }
            }
            // RGB words are all fields (X too); YUV samples sit in the top bits of their halves.
            if (!info.is_yuv) {
                EXPECT_EQ(std::popcount(taken), 8 * t.bytes) << n;
            }
        }
        // Alpha or X is where the format has it: every 4-channel RGB format has one, 565 none.
        if (!info.is_yuv) {
            EXPECT_EQ(layouts[0].has(Channel::one), layouts[0].field_count == 4) << n;
        }
    }
    EXPECT_GE(formats, 30);
    EXPECT_FALSE(packable(DrmFormat{DRM_FORMAT_R8}));      // in the table, no colour to pack
    EXPECT_FALSE(packable(DrmFormat{DRM_FORMAT_RGBX8888}));  // a layout, but not in the table
}

TEST(Packer, TenBitRgbWords)
{
    const RgbImage picture = image_of(5, 1, {white, red, green, blue, mid});
    // [31:0] x:R:G:B 2:10:10:10; X is all ones. mid: R 514, G 257, B 128.
    const Words xrgb{0xffffffff, 0xfff00000, 0xc00ffc00, 0xc00003ff, 0xc0000000U | (514U << 20) | (257U << 10) | 128U};
    EXPECT_EQ(words(packed(DRM_FORMAT_XRGB2101010, picture).at(0), 4), xrgb);
    EXPECT_EQ(words(packed(DRM_FORMAT_ARGB2101010, picture).at(0), 4), xrgb);  // alpha 3: opaque
    // [31:0] x:B:G:R 2:10:10:10.
    const Words xbgr{0xffffffff, 0xc00003ff, 0xc00ffc00, 0xfff00000, 0xc0000000U | (128U << 20) | (257U << 10) | 514U};
    EXPECT_EQ(words(packed(DRM_FORMAT_XBGR2101010, picture).at(0), 4), xbgr);
    EXPECT_EQ(words(packed(DRM_FORMAT_ABGR2101010, picture).at(0), 4), xbgr);
}

TEST(Packer, SixteenBitRgbWords)
{
    const RgbImage picture = image_of(3, 1, {white, red, mid});
    // [63:0] x:B:G:R 16:16:16:16: v * 257.
    const Words xbgr{0xffffffffffffffff, 0xffff00000000ffff, 0xffff202040408080};
    EXPECT_EQ(words(packed(DRM_FORMAT_XBGR16161616, picture).at(0), 8), xbgr);
    EXPECT_EQ(words(packed(DRM_FORMAT_ABGR16161616, picture).at(0), 8), xbgr);
    // [63:0] x:R:G:B 16:16:16:16.
    const Words xrgb{0xffffffffffffffff, 0xffffffff00000000, 0xffff808040402020};
    EXPECT_EQ(words(packed(DRM_FORMAT_XRGB16161616, picture).at(0), 8), xrgb);
    EXPECT_EQ(words(packed(DRM_FORMAT_ARGB16161616, picture).at(0), 8), xrgb);
}

TEST(Packer, HalfFloatRgbWords)
{
    const RgbImage picture = image_of(4, 1, {white, red, mid, {1, 0, 0}});
    // 1.0 = 0x3c00 (X and alpha too); 128/255 = 0x3804, 64/255 = 0x3404, 32/255 = 0x3004; 1/255 = 0x1c04.
    const Words xbgr{0x3c003c003c003c00, 0x3c00000000003c00, 0x3c00300434043804, 0x3c00000000001c04};
    EXPECT_EQ(words(packed(DRM_FORMAT_XBGR16161616F, picture).at(0), 8), xbgr);
    EXPECT_EQ(words(packed(DRM_FORMAT_ABGR16161616F, picture).at(0), 8), xbgr);
    const Words xrgb{0x3c003c003c003c00, 0x3c003c0000000000, 0x3c00380434043004, 0x3c001c0400000000};
    EXPECT_EQ(words(packed(DRM_FORMAT_XRGB16161616F, picture).at(0), 8), xrgb);
    EXPECT_EQ(words(packed(DRM_FORMAT_ARGB16161616F, picture).at(0), 8), xrgb);
}

TEST(Packer, Rgb565Words)
{
    const RgbImage picture = image_of(4, 2, {white, red, green, blue, mid, {0, 0, 0}, {8, 4, 2}, {255, 128, 0}});
    // [15:0] R:G:B 5:6:5. mid: R 16 (15.56), G 16 (15.81), B 4 (3.89); (8, 4, 2): 1, 1, 0.
    const Words rgb{0xffff, 0xf800, 0x07e0, 0x001f, (16U << 11) | (16U << 5) | 4U, 0, (1U << 11) | (1U << 5), 0xfc00};
    EXPECT_EQ(words(packed(DRM_FORMAT_RGB565, picture).at(0), 2), rgb);
    // [15:0] B:G:R 5:6:5.
    const Words bgr{0xffff, 0x001f, 0x07e0, 0xf800, (4U << 11) | (16U << 5) | 16U, 0, (1U << 5) | 1U, 0x041f};
    EXPECT_EQ(words(packed(DRM_FORMAT_BGR565, picture).at(0), 2), bgr);
}

TEST(Packer, MsbAlignedSemiPlanarYuv)
{
    // 4x2 in two 2x2 halves: white and red. BT.601 limited: white is Y 235, Cb 128, Cr 128.
    const RgbImage picture = image_of(4, 2, {white, white, red, red, white, white, red, red});
    const Ycbcr r = rgb_to_bt601_limited(red);
    ASSERT_NE(r.cb, r.cr);
    const auto y = [](uint32_t code) -> uint64_t { return code << 8; };  // c << (bits - 8), in the top bits of 16
    for (const uint32_t fourcc : {DRM_FORMAT_P010, DRM_FORMAT_P012, DRM_FORMAT_P016}) {
        SCOPED_TRACE(name(DrmFormat{fourcc}));
        const auto planes = packed(fourcc, picture);
        ASSERT_EQ(planes.size(), 2U);
        EXPECT_EQ(words(planes[0], 2), (Words{0xeb00, 0xeb00, y(r.y), y(r.y), 0xeb00, 0xeb00, y(r.y), y(r.y)}));
        // [31:0] Cr:x:Cb:x: Cb in the low 16 bits.
        EXPECT_EQ(words(planes[1], 4), (Words{0x80008000, (y(r.cr) << 16) | y(r.cb)}));
    }
    // P210: chroma halved across only, so one CbCr pair a row.
    const auto p210 = packed(DRM_FORMAT_P210, picture);
    ASSERT_EQ(p210.size(), 2U);
    EXPECT_EQ(words(p210[1], 4), (Words{0x80008000, (y(r.cr) << 16) | y(r.cb), 0x80008000, (y(r.cr) << 16) | y(r.cb)}));
}

TEST(Packer, FullRangeYuvScalesToTheWholeField)
{
    // Full range: 255 is the field's maximum (BT.2100), not 255 shifted up.
    const YuvEncoding full{YuvMatrix::bt601, YuvRange::full};
    const RgbImage picture = filled(2, 2, white);
    EXPECT_EQ(words(packed(DRM_FORMAT_P010, picture, full).at(0), 2), (Words{0xffc0, 0xffc0, 0xffc0, 0xffc0}));
    EXPECT_EQ(words(packed(DRM_FORMAT_P012, picture, full).at(0), 2), (Words{0xfff0, 0xfff0, 0xfff0, 0xfff0}));
    EXPECT_EQ(words(packed(DRM_FORMAT_P016, picture, full).at(0), 2), (Words{0xffff, 0xffff, 0xffff, 0xffff}));
    // Cb 128 of 255 full range: round(128 * 1023 / 255) = 514, in the top 10 bits.
    EXPECT_EQ(word(packed(DRM_FORMAT_P010, picture, full).at(1), 0, 4), (uint64_t{514 << 6} << 16) | (514 << 6));
}

TEST(Packer, ThreePlaneTenBitYuv)
{
    const RgbImage picture = image_of(2, 1, {white, red});
    const Ycbcr r = rgb_to_bt601_limited(red);
    // [15:0] Y:x 10:6 in each plane; Q410 is Y, Cb, Cr and Q401 Y, Cr, Cb.
    const auto q410 = packed(DRM_FORMAT_Q410, picture);
    ASSERT_EQ(q410.size(), 3U);
    EXPECT_EQ(words(q410[0], 2), (Words{0xeb00, uint64_t{r.y} << 8}));
    EXPECT_EQ(words(q410[1], 2), (Words{0x8000, uint64_t{r.cb} << 8}));
    EXPECT_EQ(words(q410[2], 2), (Words{0x8000, uint64_t{r.cr} << 8}));
    const auto q401 = packed(DRM_FORMAT_Q401, picture);
    ASSERT_EQ(q401.size(), 3U);
    EXPECT_EQ(words(q401[1], 2), (Words{0x8000, uint64_t{r.cr} << 8}));
    EXPECT_EQ(words(q401[2], 2), (Words{0x8000, uint64_t{r.cb} << 8}));
}

TEST(Packer, OddSizesAndStrides)
{
    // 3x3 P010: Y rows of 6 bytes, a 2x2 chroma plane of 8-byte rows; every texel written.
    auto packer = Packer::create(DrmFormat{DRM_FORMAT_P010}, 3, 3);
    ASSERT_TRUE(packer.ok());
    packer->pack(filled(3, 3, white));
    const auto planes = packer->planes();
    EXPECT_EQ(planes[0].row_bytes, 6U);
    EXPECT_EQ(planes[0].data.size(), 18U);
    EXPECT_EQ(planes[1].row_bytes, 8U);
    EXPECT_EQ(planes[1].data.size(), 16U);
    EXPECT_EQ(word(std::vector<uint8_t>(planes[1].data.begin(), planes[1].data.end()), 3, 4), 0x80008000U);
    auto f16 = Packer::create(DrmFormat{DRM_FORMAT_ABGR16161616F}, 3, 1);
    ASSERT_TRUE(f16.ok());
    EXPECT_EQ(f16->planes()[0].row_bytes, 24U);
}

TEST(Packer, RepeatedRowsAndRunsPackAsEachRowAloneDoes)
{
    // Packing copies a texel row whose image rows repeat those above, and reuses a texel's word
    // when its colour repeats the one before. Each texel row must still be what packing its image
    // rows alone gives (a Packer of those rows only, where nothing can be copied). The image has
    // runs of equal rows (odd lengths: a 4:2:0 row pair half inside a run), runs of equal pixels
    // and single odd ones.
    constexpr uint32_t w = 13, h = 11;
    RgbImage image{w, h, std::vector<uint8_t>(size_t{w} * h * 3)};
    const uint32_t row_kind[h] = {0, 0, 0, 1, 1, 2, 2, 2, 3, 3, 3};
    for (uint32_t y = 0; y < h; ++y) {
        for (uint32_t x = 0; x < w; ++x) {
            const auto k = static_cast<uint8_t>(row_kind[y]);
            image.set(x, y, x < 5 ? Rgb{200, 20, 40} : x == 7 ? Rgb{k, 250, 3} : Rgb{static_cast<uint8_t>(30 * k), 90, 160});
        }
    }
    for (const FormatInfo& info : known_formats()) {
        if (!packable(info.format)) continue;
        auto whole = Packer::create(info.format, w, h);
        ASSERT_TRUE(whole.ok());
        whole->pack(image);
        const auto planes = whole->planes();
        for (uint32_t p = 0; p < info.plane_count; ++p) {
            const uint32_t vsub = info.planes[p].v_subsampling;
            for (uint32_t ty = 0; ty * vsub < h; ++ty) {
                const uint32_t rows = std::min(vsub, h - ty * vsub);
                RgbImage part{w, rows, {}};
                part.rgb.assign(image.rgb.begin() + std::ptrdiff_t{ty} * vsub * w * 3,
                                image.rgb.begin() + (std::ptrdiff_t{ty} * vsub + rows) * w * 3);
                auto alone = Packer::create(info.format, w, rows);
                ASSERT_TRUE(alone.ok());
                alone->pack(part);
                const auto alone_planes = alone->planes();
                const PlanePixels& want = alone_planes[p];
                const PlanePixels& got = planes[p];
                ASSERT_TRUE(std::equal(want.data.begin(), want.data.begin() + want.row_bytes,
                                       got.data.begin() + std::ptrdiff_t{ty} * got.row_bytes))
                    << name(info.format) << " plane " << p << " texel row " << ty;
            }
        }
    }
}

}  // namespace
}  // namespace dmafeed::pixels
