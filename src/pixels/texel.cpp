#include "pixels/texel.hpp"

#include <algorithm>
#include <bit>
#include <drm_fourcc.h>

namespace dmafeed::pixels {
namespace {

using enum Channel;

struct FormatTexels {
    uint32_t fourcc = 0;
    uint8_t plane_count = 0;
    std::array<TexelLayout, 3> planes{};
};

// R, G, B and X/A of `bits` each (X/A: `x_bits`) at the given bit offsets of one word.
constexpr FormatTexels rgb(uint32_t fourcc, uint8_t bytes, uint8_t bits, uint8_t r, uint8_t g, uint8_t b, uint8_t x,
                           uint8_t x_bits, FieldEncoding encoding = FieldEncoding::unorm)
{
    return {fourcc, 1, {TexelLayout{bytes, encoding, 4, {{{Channel::r, r, bits}, {Channel::g, g, bits},
                                                          {Channel::b, b, bits}, {one, x, x_bits}}}}}};
}

// [15:0] R:G:B 5:6:5 (RGB565) or B:G:R (BGR565).
constexpr FormatTexels rgb565(uint32_t fourcc, uint8_t r, uint8_t b)
{
    return {fourcc, 1, {TexelLayout{2, FieldEncoding::unorm, 3, {{{Channel::r, r, 5}, {g, 5, 6}, {Channel::b, b, 5}}}}}};
}

// One sample in a word of `bytes`, in the top `bits` bits ([15:0] Y:x 10:6: offset 6, 10 bits).
constexpr TexelLayout sample(Channel c, uint8_t bytes, uint8_t bits)
{
    return {bytes, FieldEncoding::unorm, 1, {{{c, static_cast<uint8_t>(8 * bytes - bits), bits}}}};
}

// Y, then Cb:Cr interleaved, Cb in the low half of the word ([31:0] Cr:x:Cb:x 10:6:10:6).
constexpr FormatTexels semi_planar(uint32_t fourcc, uint8_t bytes, uint8_t bits)
{
    const auto pad = static_cast<uint8_t>(8 * bytes - bits);
    return {fourcc, 2, {sample(y, bytes, bits),
                        TexelLayout{static_cast<uint8_t>(2 * bytes), FieldEncoding::unorm, 2,
                                    {{{cb, pad, bits}, {cr, static_cast<uint8_t>(8 * bytes + pad), bits}}}}}};
}

// Y, then the chroma planes in the order given.
constexpr FormatTexels planar(uint32_t fourcc, Channel second, Channel third, uint8_t bytes = 1, uint8_t bits = 8)
{
    return {fourcc, 3, {sample(y, bytes, bits), sample(second, bytes, bits), sample(third, bytes, bits)}};
}

constexpr auto half = FieldEncoding::float16;

// From drm_fourcc.h's comments: [31:0] x:R:G:B 8:8:8:8 is B at bits 0-7, G 8-15, R 16-23, X 24-31.
constexpr FormatTexels table[] = {
    rgb(DRM_FORMAT_XRGB8888, 4, 8, 16, 8, 0, 24, 8),
    rgb(DRM_FORMAT_ARGB8888, 4, 8, 16, 8, 0, 24, 8),
    rgb(DRM_FORMAT_XBGR8888, 4, 8, 0, 8, 16, 24, 8),
    rgb(DRM_FORMAT_ABGR8888, 4, 8, 0, 8, 16, 24, 8),
    rgb(DRM_FORMAT_RGBX8888, 4, 8, 24, 16, 8, 0, 8),
    rgb(DRM_FORMAT_RGBA8888, 4, 8, 24, 16, 8, 0, 8),
    rgb(DRM_FORMAT_BGRX8888, 4, 8, 8, 16, 24, 0, 8),
    rgb(DRM_FORMAT_BGRA8888, 4, 8, 8, 16, 24, 0, 8),
    rgb565(DRM_FORMAT_RGB565, 11, 0),
    rgb565(DRM_FORMAT_BGR565, 0, 11),
    rgb(DRM_FORMAT_XRGB2101010, 4, 10, 20, 10, 0, 30, 2),
    rgb(DRM_FORMAT_ARGB2101010, 4, 10, 20, 10, 0, 30, 2),
    rgb(DRM_FORMAT_XBGR2101010, 4, 10, 0, 10, 20, 30, 2),
    rgb(DRM_FORMAT_ABGR2101010, 4, 10, 0, 10, 20, 30, 2),
#ifdef DRM_FORMAT_XRGB16161616
    rgb(DRM_FORMAT_XRGB16161616, 8, 16, 32, 16, 0, 48, 16),
    rgb(DRM_FORMAT_ARGB16161616, 8, 16, 32, 16, 0, 48, 16),
    rgb(DRM_FORMAT_XBGR16161616, 8, 16, 0, 16, 32, 48, 16),
    rgb(DRM_FORMAT_ABGR16161616, 8, 16, 0, 16, 32, 48, 16),
#endif
    rgb(DRM_FORMAT_XRGB16161616F, 8, 16, 32, 16, 0, 48, 16, half),
    rgb(DRM_FORMAT_ARGB16161616F, 8, 16, 32, 16, 0, 48, 16, half),
    rgb(DRM_FORMAT_XBGR16161616F, 8, 16, 0, 16, 32, 48, 16, half),
    rgb(DRM_FORMAT_ABGR16161616F, 8, 16, 0, 16, 32, 48, 16, half),

    semi_planar(DRM_FORMAT_NV12, 1, 8),
    semi_planar(DRM_FORMAT_NV16, 1, 8),
    semi_planar(DRM_FORMAT_NV24, 1, 8),
    semi_planar(DRM_FORMAT_P010, 2, 10),
    semi_planar(DRM_FORMAT_P210, 2, 10),
    semi_planar(DRM_FORMAT_P012, 2, 12),
    semi_planar(DRM_FORMAT_P016, 2, 16),
    planar(DRM_FORMAT_YUV420, cb, cr),
    planar(DRM_FORMAT_YVU420, cr, cb),
    planar(DRM_FORMAT_YUV422, cb, cr),
    planar(DRM_FORMAT_YUV444, cb, cr),
    planar(DRM_FORMAT_Q410, cb, cr, 2, 10),
    planar(DRM_FORMAT_Q401, cr, cb, 2, 10),
};

}  // namespace

bool TexelLayout::has(Channel c) const noexcept
{
    const auto fs = used();
    return std::any_of(fs.begin(), fs.end(), [c](const Field& f) { return f.channel == c; });
}

std::span<const TexelLayout> texel_layouts(DrmFormat format)
{
    for (const FormatTexels& t : table) {
        if (t.fourcc == format.fourcc()) return {t.planes.data(), t.plane_count};
    }
    return {};
}

uint16_t float_to_half(float value) noexcept
{
    const auto x = std::bit_cast<uint32_t>(value);
    const auto sign = static_cast<uint16_t>((x >> 16) & 0x8000U);
    const uint32_t exponent = (x >> 23) & 0xffU;
    uint32_t mantissa = x & 0x7fffffU;
    if (exponent == 0xff) {  // infinity, or NaN (kept quiet and nonzero)
        return static_cast<uint16_t>(sign | 0x7c00U | (mantissa != 0 ? 0x200U | (mantissa >> 13) : 0U));
    }
    const int e = static_cast<int>(exponent) - 127 + 15;  // the half's biased exponent
    if (e >= 31) return static_cast<uint16_t>(sign | 0x7c00U);
    // Drops `shift` low bits of `m`, rounding to nearest, ties to even. A carry out of the
    // mantissa rolls into the exponent, which is right (to the next binade, or to infinity).
    const auto round_off = [](uint32_t m, unsigned shift) {
        const uint32_t kept = m >> shift, rest = m & ((1U << shift) - 1), halfway = 1U << (shift - 1);
        return kept + ((rest > halfway || (rest == halfway && (kept & 1U))) ? 1U : 0U);
    };
    if (e <= 0) {  // a subnormal half (or zero): units of 2^-24
        if (e < -10) return sign;  // below half the smallest subnormal
        return static_cast<uint16_t>(sign | round_off(mantissa | 0x800000U, static_cast<unsigned>(14 - e)));
    }
    return static_cast<uint16_t>(sign | round_off((static_cast<uint32_t>(e) << 23) | mantissa, 13));
}

uint32_t scale_unorm(uint32_t value, unsigned bits) noexcept
{
    const uint32_t max = (1U << bits) - 1;  // bits <= 16: no overflow below
    return (value * max + 127) / 255;
}

uint32_t field_value(const Field& f, FieldEncoding encoding, uint8_t input, YuvRange range) noexcept
{
    if (encoding == FieldEncoding::float16) {
        return f.channel == one ? 0x3c00U : float_to_half(static_cast<float>(input) / 255.0F);
    }
    if (f.channel == one) return (1U << f.bits) - 1;
    const bool code = f.channel == y || f.channel == cb || f.channel == cr;
    if (code && range == YuvRange::limited) return widen_code(input, 8, f.bits);
    return scale_unorm(input, f.bits);
}

uint32_t field_value_10bit(const Field& f, FieldEncoding encoding, uint16_t code) noexcept
{
    const uint32_t c = std::min<uint32_t>(code, 1023);
    if (encoding == FieldEncoding::float16) {
        // c / 1023 is never halfway between two halves (its binary digits repeat c's 10 bits), so
        // rounding to float first cannot move it to the other side of a tie.
        return f.channel == one ? 0x3c00U : float_to_half(static_cast<float>(c) / 1023.0F);
    }
    const uint32_t max = (1U << f.bits) - 1;
    if (f.channel == one) return max;
    return f.bits == 10 ? c : (c * max + 511) / 1023;
}

}  // namespace dmafeed::pixels
