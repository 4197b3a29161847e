#include "pixels/transfer.hpp"

#include <algorithm>
#include <cmath>

namespace dmafeed::pixels {
namespace {

// ST 2084's constants, exact binary fractions as the standard gives them.
constexpr double m1 = 2610.0 / 16384.0;
constexpr double m2 = 2523.0 / 4096.0 * 128.0;
constexpr double c1 = 3424.0 / 4096.0;
constexpr double c2 = 2413.0 / 4096.0 * 32.0;
constexpr double c3 = 2392.0 / 4096.0 * 32.0;

// BT.2100's HLG constants.
constexpr double hlg_a = 0.17883277;
constexpr double hlg_b = 1.0 - 4.0 * hlg_a;
const double hlg_c = 0.5 - hlg_a * std::log(4.0 * hlg_a);

}  // namespace

double pq_inverse_eotf(double luminance) noexcept
{
    const double y = std::clamp(luminance / pq_peak_luminance, 0.0, 1.0);
    const double p = std::pow(y, m1);
    return std::pow((c1 + c2 * p) / (1.0 + c3 * p), m2);
}

double pq_eotf(double signal) noexcept
{
    const double p = std::pow(std::clamp(signal, 0.0, 1.0), 1.0 / m2);
    return pq_peak_luminance * std::pow(std::max(p - c1, 0.0) / (c2 - c3 * p), 1.0 / m1);
}

double hlg_oetf(double scene) noexcept
{
    const double e = std::clamp(scene, 0.0, 1.0);
    return e <= 1.0 / 12.0 ? std::sqrt(3.0 * e) : hlg_a * std::log(12.0 * e - hlg_b) + hlg_c;
}

double hlg_inverse_oetf(double signal) noexcept
{
    const double s = std::clamp(signal, 0.0, 1.0);
    return s <= 0.5 ? s * s / 3.0 : (std::exp((s - hlg_c) / hlg_a) + hlg_b) / 12.0;
}

uint32_t full_range_code(double signal, unsigned bits) noexcept
{
    const double max = static_cast<double>((uint32_t{1} << bits) - 1);
    return static_cast<uint32_t>(std::lround(max * std::clamp(signal, 0.0, 1.0)));
}

uint32_t narrow_range_code(double signal, unsigned bits) noexcept
{
    const double scale = static_cast<double>(uint32_t{1} << (bits - 8));
    return static_cast<uint32_t>(std::lround((219.0 * std::clamp(signal, 0.0, 1.0) + 16.0) * scale));
}

}  // namespace dmafeed::pixels
