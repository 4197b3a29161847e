// Where the channels of a format sit in the texels of each plane, as drm_fourcc.h describes them:
// a little-endian word of 1 to 8 bytes in which every channel is a bit field (offset, width),
// unsigned normalized or IEEE half float. One table for the Packer (RGB images into any of these
// formats), the Y4M converter (10-bit samples into P010/Q410/Q401), the GPU pattern renderer (which
// of them its shader draws) and dmafeed-conform (what a compositor should show).
//
// How a value becomes a field (the helpers below):
//  - R, G, B (full range, 0..255): round(v * max / 255) for N-bit unorm (max = 2^N - 1), so 8 bits
//    keep v, 16 bits hold v * 257, 10 bits round(v * 1023 / 255), 5 bits round(v * 31 / 255); v / 255
//    as a half float (round to nearest even).
//  - Y', Cb, Cr: a limited-range code of n bits becomes a wider field by a shift (code << (N - n)),
//    as BT.709/BT.2100 define higher bit depths: P010 holds the 8-bit code c as c << 2 in the top
//    10 bits of 16, i.e. c << 8. Full-range codes are scaled like RGB (BT.2100: 2^N - 1 is 1.0).
//  - `one` (X and A): all ones; 1.0 (0x3C00) in a half-float format.
//  - A 10-bit code c (0..1023, 1023 = 1.0; field_value_10bit, for values that 8 bits cannot hold):
//    c itself in a 10-bit field, round(c * max / 1023) in other unorm widths (16 bits: c * 64.06),
//    the half float nearest to c / 1023 (round to nearest even).
#pragma once

#include "drm/format.hpp"
#include "pixels/color.hpp"

#include <array>
#include <bit>
#include <cstring>
#include <cstdint>
#include <span>

namespace dmafeed::pixels {

enum class Channel : uint8_t { r, g, b, y, cb, cr, one };
enum class FieldEncoding : uint8_t { unorm, float16 };

struct Field {
    Channel channel = Channel::one;
    uint8_t offset = 0;  // bit offset in the little-endian word
    uint8_t bits = 0;
};

struct TexelLayout {
    uint8_t bytes = 0;  // the word: 1, 2, 4 or 8 bytes, little-endian
    FieldEncoding encoding = FieldEncoding::unorm;
    uint8_t field_count = 0;
    std::array<Field, 4> fields{};
    std::span<const Field> used() const noexcept { return {fields.data(), field_count}; }
    bool has(Channel c) const noexcept;
    bool is_yuv() const noexcept { return has(Channel::y) || has(Channel::cb) || has(Channel::cr); }
};

// The layout of every plane of `format`, in plane order. Empty for a format without one (packed
// YUV such as YUYV, R8, anything with fewer than three colour channels).
std::span<const TexelLayout> texel_layouts(DrmFormat format);

// The half float nearest to `value` (round to nearest even; overflow to infinity; NaN stays NaN).
uint16_t float_to_half(float value) noexcept;
// An 8-bit value (0..255, 255 = 1.0) as an N-bit unorm field value: round(v * max / 255).
uint32_t scale_unorm(uint32_t value, unsigned bits) noexcept;
// An n-bit limited-range Y'CbCr code as an N-bit field value (N >= n): code << (N - n).
constexpr uint32_t widen_code(uint32_t code, unsigned code_bits, unsigned field_bits) noexcept
{
    return code << (field_bits - code_bits);
}
// The value of field `f` of a layout in `encoding` for an 8-bit input: R, G or B (0..255), or a
// Y'CbCr code of `range`; `one` ignores the input. Not yet shifted to the field's offset.
uint32_t field_value(const Field& f, FieldEncoding encoding, uint8_t input, YuvRange range = YuvRange::limited) noexcept;
// The value of field `f` for a 10-bit code (R, G or B, 0..1023; see above); `one` ignores it.
uint32_t field_value_10bit(const Field& f, FieldEncoding encoding, uint16_t code) noexcept;
// The low `bytes` bytes of `word` at `dst`, little-endian.
inline void store_le(uint8_t* dst, uint64_t word, unsigned bytes) noexcept
{
    if constexpr (std::endian::native == std::endian::little) {
        switch (bytes) {  // fixed sizes: one store each
        case 1: *dst = static_cast<uint8_t>(word); return;
        case 2: std::memcpy(dst, &word, 2); return;
        case 4: std::memcpy(dst, &word, 4); return;
        case 8: std::memcpy(dst, &word, 8); return;
        default: break;
        }
    }
    for (unsigned i = 0; i < bytes; ++i) dst[i] = static_cast<uint8_t>(word >> (8 * i));
}

}  // namespace dmafeed::pixels
