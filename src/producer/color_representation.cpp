#include "producer/color_representation.hpp"

#include "drm/format_info.hpp"
#include "util/log.hpp"
#include "wl/globals.hpp"
#include "wl/window.hpp"
#include "color-representation-v1-client-protocol.h"

#include <algorithm>
#include <iterator>
#include <utility>

namespace dmafeed::producer {
namespace {

constexpr uint32_t coefficients_value(pixels::YuvMatrix m)
{
    switch (m) {
    case pixels::YuvMatrix::bt601: return WP_COLOR_REPRESENTATION_SURFACE_V1_COEFFICIENTS_BT601;
    case pixels::YuvMatrix::bt709: return WP_COLOR_REPRESENTATION_SURFACE_V1_COEFFICIENTS_BT709;
    case pixels::YuvMatrix::bt2020: return WP_COLOR_REPRESENTATION_SURFACE_V1_COEFFICIENTS_BT2020;
    }
    return WP_COLOR_REPRESENTATION_SURFACE_V1_COEFFICIENTS_BT601;
}

constexpr uint32_t range_value(pixels::YuvRange r)
{
    return r == pixels::YuvRange::full ? WP_COLOR_REPRESENTATION_SURFACE_V1_RANGE_FULL : WP_COLOR_REPRESENTATION_SURFACE_V1_RANGE_LIMITED;
}

std::string coefficients_pair_name(uint32_t coefficients, uint32_t range)
{
    // Indexed by wp_color_representation_surface_v1.coefficients.
    static constexpr const char* names[] = {"?", "identity", "bt709", "fcc", "bt601", "smpte240", "bt2020", "bt2020_cl", "ictcp"};
    static_assert(std::size(names) == WP_COLOR_REPRESENTATION_SURFACE_V1_COEFFICIENTS_ICTCP + 1);
    const std::string c = coefficients < std::size(names) ? names[coefficients] : std::to_string(coefficients);
    if (range == WP_COLOR_REPRESENTATION_SURFACE_V1_RANGE_FULL) return c + " full";
    if (range == WP_COLOR_REPRESENTATION_SURFACE_V1_RANGE_LIMITED) return c + " limited";
    return c + " range " + std::to_string(range);
}

}  // namespace

Result<std::string> declare_yuv_encoding(DrmFormat format, pixels::YuvEncoding e, const wl::Globals& globals, wl::Window& window)
{
    const FormatInfo* info = format_info(format);
    if (!info || !info->is_yuv) return std::string{};
    const bool default_encoding = e == pixels::YuvEncoding{};
    if (!globals.color_representation()) {
        if (!default_encoding) {
            return Error{name(format) + " frames in " + e.to_string() +
                         ": the compositor does not offer wp_color_representation_v1 to be told so, and would show them "
                         "as BT.601 limited range (its default) with the wrong colours; use BT.601 limited range here"};
        }
        return e.to_string() + ", the compositor's default (no wp_color_representation_v1)";
    }
    const uint32_t coefficients = coefficients_value(e.matrix), range = range_value(e.range);
    const auto& supported = globals.supported_coefficients();
    if (std::find(supported.begin(), supported.end(), std::pair{coefficients, range}) == supported.end()) {
        std::string list;
        for (const auto& [c, r] : supported) list += (list.empty() ? "" : ", ") + coefficients_pair_name(c, r);
        if (default_encoding) {
            log::info("wp_color_representation_v1 does not list BT.601 limited range (only %s): not declared",
                      list.empty() ? "nothing" : list.c_str());
            return e.to_string() + ", not declared (the compositor does not list it)";
        }
        return Error{name(format) + " frames in " + e.to_string() + ": the compositor's wp_color_representation_v1 " +
                     "does not support " + coefficients_pair_name(coefficients, range) + "; it supports " +
                     (list.empty() ? "nothing" : list)};
    }
    if (auto r = window.set_color_representation(coefficients, range); !r) return std::move(r).error();
    const std::string description = e.to_string() + ", declared (wp_color_representation_v1)";
    log::debug("YUV encoding: %s", description.c_str());
    return description;
}

}  // namespace dmafeed::producer
