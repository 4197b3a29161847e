#include "producer/color_management.hpp"

#include "util/log.hpp"
#include "wl/color_management.hpp"
#include "wl/globals.hpp"
#include "wl/window.hpp"
#include "color-management-v1-client-protocol.h"

#include <cmath>
#include <utility>
#include <vector>

namespace dmafeed::producer {
namespace {

constexpr uint32_t tf_value(pixels::Transfer t)
{
    switch (t) {
    case pixels::Transfer::srgb: return WP_COLOR_MANAGER_V1_TRANSFER_FUNCTION_SRGB;
    case pixels::Transfer::gamma22: return WP_COLOR_MANAGER_V1_TRANSFER_FUNCTION_GAMMA22;
    case pixels::Transfer::gamma28: return WP_COLOR_MANAGER_V1_TRANSFER_FUNCTION_GAMMA28;
    case pixels::Transfer::bt1886: return WP_COLOR_MANAGER_V1_TRANSFER_FUNCTION_BT1886;
    case pixels::Transfer::st240: return WP_COLOR_MANAGER_V1_TRANSFER_FUNCTION_ST240;
    case pixels::Transfer::ext_linear: return WP_COLOR_MANAGER_V1_TRANSFER_FUNCTION_EXT_LINEAR;
    case pixels::Transfer::st2084_pq: return WP_COLOR_MANAGER_V1_TRANSFER_FUNCTION_ST2084_PQ;
    case pixels::Transfer::hlg: return WP_COLOR_MANAGER_V1_TRANSFER_FUNCTION_HLG;
    case pixels::Transfer::compound_power_2_4: return WP_COLOR_MANAGER_V1_TRANSFER_FUNCTION_COMPOUND_POWER_2_4;
    }
    return WP_COLOR_MANAGER_V1_TRANSFER_FUNCTION_GAMMA22;
}

constexpr uint32_t primaries_value(pixels::Primaries p)
{
    switch (p) {
    case pixels::Primaries::srgb: return WP_COLOR_MANAGER_V1_PRIMARIES_SRGB;
    case pixels::Primaries::bt2020: return WP_COLOR_MANAGER_V1_PRIMARIES_BT2020;
    case pixels::Primaries::display_p3: return WP_COLOR_MANAGER_V1_PRIMARIES_DISPLAY_P3;
    case pixels::Primaries::dci_p3: return WP_COLOR_MANAGER_V1_PRIMARIES_DCI_P3;
    case pixels::Primaries::adobe_rgb: return WP_COLOR_MANAGER_V1_PRIMARIES_ADOBE_RGB;
    case pixels::Primaries::pal: return WP_COLOR_MANAGER_V1_PRIMARIES_PAL;
    case pixels::Primaries::ntsc: return WP_COLOR_MANAGER_V1_PRIMARIES_NTSC;
    case pixels::Primaries::pal_m: return WP_COLOR_MANAGER_V1_PRIMARIES_PAL_M;
    case pixels::Primaries::generic_film: return WP_COLOR_MANAGER_V1_PRIMARIES_GENERIC_FILM;
    }
    return WP_COLOR_MANAGER_V1_PRIMARIES_SRGB;
}

int32_t million(double v) { return static_cast<int32_t>(std::lround(v * 1'000'000.0)); }

std::string list(const std::vector<uint32_t>& values, std::string (*name)(uint32_t))
{
    std::string s;
    for (uint32_t v : values) s += (s.empty() ? "" : ", ") + name(v);
    return s.empty() ? std::string{"none"} : s;
}

std::string cause_name(uint32_t cause)
{
    switch (cause) {
    case WP_IMAGE_DESCRIPTION_V1_CAUSE_LOW_VERSION: return "low_version";
    case WP_IMAGE_DESCRIPTION_V1_CAUSE_UNSUPPORTED: return "unsupported";
    case WP_IMAGE_DESCRIPTION_V1_CAUSE_OPERATING_SYSTEM: return "operating_system";
    case WP_IMAGE_DESCRIPTION_V1_CAUSE_NO_OUTPUT: return "no_output";
    }
    return "cause " + std::to_string(cause);
}

std::string refusal(const wl::ImageDescriptionOutcome& o)
{
    return cause_name(o.failed_cause) + (o.failed_message.empty() ? "" : ": \"" + o.failed_message + "\"");
}

}  // namespace

Result<std::string> declare_color_space(const pixels::ColorSpace& requested, wl::Connection& connection,
                                        const wl::Globals& globals, wl::Window& window, std::chrono::milliseconds timeout)
{
    if (requested.is_default()) return std::string{};
    auto completed = requested.completed();
    if (!completed) return std::move(completed).error();
    const pixels::ColorSpace& color = *completed;
    const std::string what = "frames in " + color.to_string();
    const wl::ColorManagerSupport& support = globals.color_support();
    if (!globals.color_manager()) {
        return Error{what + ": the compositor does not offer wp_color_manager_v1 to be told so, and would show them as "
                            "sRGB (its default); leave out the primaries, transfer function and HDR metadata here"};
    }
    if (!support.has_feature(WP_COLOR_MANAGER_V1_FEATURE_PARAMETRIC)) {
        return Error{what + ": the compositor's wp_color_manager_v1 makes no parametric image descriptions (its " +
                     support.describe() + ")"};
    }
    const uint32_t tf = tf_value(*color.transfer), primaries = primaries_value(*color.primaries);
    if (!support.has_tf(tf)) {
        return Error{what + ": the compositor's wp_color_manager_v1 does not support the transfer function " +
                     wl::tf_enum_name(tf) + "; it supports " + list(support.tf_named, wl::tf_enum_name)};
    }
    if (!support.has_primaries(primaries)) {
        return Error{what + ": the compositor's wp_color_manager_v1 does not support the primaries " +
                     wl::primaries_enum_name(primaries) + "; it supports " + list(support.primaries_named, wl::primaries_enum_name)};
    }
    if (!support.has_intent(WP_COLOR_MANAGER_V1_RENDER_INTENT_PERCEPTUAL)) {
        return Error{what + ": the compositor's wp_color_manager_v1 does not list the perceptual rendering intent, "
                            "which the protocol requires of it"};
    }

    wl::ParametricDescription d{.tf_named = tf, .primaries_named = primaries};
    pixels::HdrMetadata sent;
    std::vector<std::string> notes;
    if (const auto& m = color.hdr.mastering) {
        if (support.has_feature(WP_COLOR_MANAGER_V1_FEATURE_SET_MASTERING_DISPLAY_PRIMARIES)) {
            d.mastering_primaries = std::array<int32_t, 8>{million(m->red.x),   million(m->red.y),   million(m->green.x),
                                                           million(m->green.y), million(m->blue.x),  million(m->blue.y),
                                                           million(m->white.x), million(m->white.y)};
            d.mastering_luminance = std::array<uint32_t, 2>{static_cast<uint32_t>(std::lround(m->min_luminance * 10000.0)),
                                                            static_cast<uint32_t>(std::floor(m->max_luminance))};
            sent.mastering = m;
        } else {
            notes.push_back("the mastering display left out: the compositor lacks set_mastering_display_primaries");
        }
    }
    if (color.hdr.max_cll || color.hdr.max_fall) {
        pixels::HdrMetadata check = color.hdr;
        check.mastering = sent.mastering;
        if (support.version == 1 && !pixels::light_levels_within_mastering(check)) {
            notes.push_back("MaxCLL and MaxFALL left out: outside the mastering luminance range, which "
                            "wp_color_manager_v1 version 1 forbids");
        } else {
            d.max_cll = sent.max_cll = color.hdr.max_cll;
            d.max_fall = sent.max_fall = color.hdr.max_fall;
        }
    }

    auto outcome = wl::create_parametric_description(connection, globals.color_manager(), d, timeout);
    if (!outcome) return std::move(outcome).error();
    if (!outcome->ready && d.has_metadata()) {
        notes.push_back("HDR metadata left out: the compositor refused the description with it (" + refusal(*outcome) + ")");
        log::warning("wp_color_manager_v1 refused %s with HDR metadata (%s); trying again without it", color.to_string().c_str(),
                  refusal(*outcome).c_str());
        d.mastering_primaries.reset();
        d.mastering_luminance.reset();
        d.max_cll = d.max_fall = 0;
        sent = {};
        outcome = wl::create_parametric_description(connection, globals.color_manager(), d, timeout);
        if (!outcome) return std::move(outcome).error();
    }
    if (!outcome->ready) {
        return Error{what + ": the compositor refused the image description (" + refusal(*outcome) + ")"};
    }
    if (auto r = window.set_image_description(outcome->ready.get(), WP_COLOR_MANAGER_V1_RENDER_INTENT_PERCEPTUAL); !r) {
        return std::move(r).error();
    }
    pixels::ColorSpace declared = color;
    declared.hdr = sent;
    std::string description = declared.to_string() + "; declared (wp_color_manager_v1 v" + std::to_string(support.version) + ")";
    for (const auto& n : notes) description += "; " + n;
    log::debug("colour space: %s", description.c_str());
    return description;
}

}  // namespace dmafeed::producer
