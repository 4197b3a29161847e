// Colours: 8-bit RGB and Y'CbCr. Without a colour-representation protocol compositors decode YUV
// buffers as BT.601 limited range (measured on weston 14: NV12 Y=128 Cb=96 Cr=192 is shown as RGB
// 233,91,66), so that is the default encoding; BT.709, BT.2020 and full range are for compositors
// that are told otherwise (wp_color_representation_v1).
//
// RGB -> Y'CbCr is done in 16.16 fixed point (YuvCoefficients), the same integer arithmetic on the
// CPU (encode) and in the GPU pattern shader (src/render/pattern.comp), so that both give the same
// bytes.
#pragma once

#include "util/result.hpp"

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace dmafeed::pixels {

struct Rgb {
    uint8_t r = 0, g = 0, b = 0;
    friend bool operator==(const Rgb&, const Rgb&) = default;
};

struct Ycbcr {
    uint8_t y = 0, cb = 0, cr = 0;
    friend bool operator==(const Ycbcr&, const Ycbcr&) = default;
};

enum class YuvMatrix { bt601, bt709, bt2020 };
enum class YuvRange { limited, full };

struct YuvEncoding {
    YuvMatrix matrix = YuvMatrix::bt601;
    YuvRange range = YuvRange::limited;
    friend bool operator==(const YuvEncoding&, const YuvEncoding&) = default;
    // "bt601", "bt709", "bt2020"; "limited", "full". Errors list the choices.
    static Result<YuvMatrix> parse_matrix(std::string_view text);
    static Result<YuvRange> parse_range(std::string_view text);
    // "BT.601 limited range".
    std::string to_string() const;
};

std::string_view matrix_name(YuvMatrix matrix) noexcept;  // "bt601"
std::string_view range_name(YuvRange range) noexcept;     // "limited"

// Y' = (y[0]*R + y[1]*G + y[2]*B + y[3]) >> 16, clamped to 0..255; likewise Cb and Cr. The
// offsets hold the 16/128 bias and the rounding half.
struct YuvCoefficients {
    std::array<int32_t, 4> y{}, cb{}, cr{};
    friend bool operator==(const YuvCoefficients&, const YuvCoefficients&) = default;
};
YuvCoefficients yuv_coefficients(YuvEncoding encoding) noexcept;

Ycbcr rgb_to_ycbcr(Rgb rgb, const YuvCoefficients& k) noexcept;
// The decode a compositor does (double precision, rounded to nearest): for expected colours in tests.
Rgb ycbcr_to_rgb(Ycbcr ycc, YuvEncoding encoding) noexcept;

// BT.601 limited range, the default.
Ycbcr rgb_to_bt601_limited(Rgb rgb) noexcept;
Rgb bt601_limited_to_rgb(Ycbcr ycc) noexcept;

}  // namespace dmafeed::pixels
