#include "pixels/color.hpp"

#include <algorithm>
#include <cmath>

namespace dmafeed::pixels {
namespace {

uint8_t clamp8(double v) { return static_cast<uint8_t>(std::clamp(std::lround(v), 0L, 255L)); }

struct Weights {
    double kr, kb;
};

Weights weights(YuvMatrix m) noexcept
{
    switch (m) {
    case YuvMatrix::bt601: return {0.299, 0.114};
    case YuvMatrix::bt709: return {0.2126, 0.0722};
    case YuvMatrix::bt2020: return {0.2627, 0.0593};
    }
    return {0.299, 0.114};
}

int32_t fixed(double v) { return static_cast<int32_t>(std::lround(v * 65536.0)); }

int32_t apply(const std::array<int32_t, 4>& k, Rgb c) noexcept
{
    const int32_t v = (k[0] * c.r + k[1] * c.g + k[2] * c.b + k[3]) >> 16;
    return std::clamp(v, 0, 255);
}

}  // namespace

Result<YuvMatrix> YuvEncoding::parse_matrix(std::string_view text)
{
    if (text == "bt601") return YuvMatrix::bt601;
    if (text == "bt709") return YuvMatrix::bt709;
    if (text == "bt2020") return YuvMatrix::bt2020;
    return Error{"unknown YUV matrix '" + std::string{text} + "': use bt601, bt709 or bt2020"};
}

Result<YuvRange> YuvEncoding::parse_range(std::string_view text)
{
    if (text == "limited") return YuvRange::limited;
    if (text == "full") return YuvRange::full;
    return Error{"unknown YUV range '" + std::string{text} + "': use limited or full"};
}

std::string_view matrix_name(YuvMatrix matrix) noexcept
{
    switch (matrix) {
    case YuvMatrix::bt601: return "bt601";
    case YuvMatrix::bt709: return "bt709";
    case YuvMatrix::bt2020: return "bt2020";
    }
    return "?";
}

std::string_view range_name(YuvRange range) noexcept { return range == YuvRange::full ? "full" : "limited"; }

std::string YuvEncoding::to_string() const
{
    const char* m = matrix == YuvMatrix::bt601 ? "BT.601" : matrix == YuvMatrix::bt709 ? "BT.709" : "BT.2020";
    return std::string{m} + (range == YuvRange::full ? " full range" : " limited range");
}

YuvCoefficients yuv_coefficients(YuvEncoding e) noexcept
{
    const auto [kr, kb] = weights(e.matrix);
    const double kg = 1.0 - kr - kb;
    // Scale of Y' and of Cb/Cr per unit of 8-bit RGB.
    const bool full = e.range == YuvRange::full;
    const double ys = full ? 1.0 : 219.0 / 255.0;
    const double cs = full ? 255.0 / 255.0 : 224.0 / 255.0;
    const double cb_den = 2.0 * (1.0 - kb), cr_den = 2.0 * (1.0 - kr);
    constexpr int32_t half = 1 << 15;
    YuvCoefficients k;
    k.y = {fixed(ys * kr), fixed(ys * kg), fixed(ys * kb), (full ? 0 : 16 << 16) + half};
    k.cb = {fixed(-cs * kr / cb_den), fixed(-cs * kg / cb_den), fixed(cs * (1.0 - kb) / cb_den), (128 << 16) + half};
    k.cr = {fixed(cs * (1.0 - kr) / cr_den), fixed(-cs * kg / cr_den), fixed(-cs * kb / cr_den), (128 << 16) + half};
    return k;
}

Ycbcr rgb_to_ycbcr(Rgb c, const YuvCoefficients& k) noexcept
{
    return {static_cast<uint8_t>(apply(k.y, c)), static_cast<uint8_t>(apply(k.cb, c)), static_cast<uint8_t>(apply(k.cr, c))};
}

Rgb ycbcr_to_rgb(Ycbcr c, YuvEncoding e) noexcept
{
    const auto [kr, kb] = weights(e.matrix);
    const double kg = 1.0 - kr - kb;
    const bool full = e.range == YuvRange::full;
    const double y = full ? c.y : (c.y - 16.0) * 255.0 / 219.0;
    const double cscale = full ? 1.0 : 255.0 / 224.0;
    const double pb = (c.cb - 128.0) * cscale, pr = (c.cr - 128.0) * cscale;
    const double r = y + 2.0 * (1.0 - kr) * pr;
    const double b = y + 2.0 * (1.0 - kb) * pb;
    const double g = (y - kr * r - kb * b) / kg;
    return {clamp8(r), clamp8(g), clamp8(b)};
}

Ycbcr rgb_to_bt601_limited(Rgb rgb) noexcept
{
    static const YuvCoefficients k = yuv_coefficients({});
    return rgb_to_ycbcr(rgb, k);
}

Rgb bt601_limited_to_rgb(Ycbcr ycc) noexcept { return ycbcr_to_rgb(ycc, {}); }

}  // namespace dmafeed::pixels
