// What the frames' colours mean, told to the compositor: a parametric wp_color_manager_v1 image
// description (named primaries and transfer function, HDR10 static metadata) set on the window's
// surface before its first frame. Where nothing is stated, nothing is sent and the compositor
// shows the frames as it shows any surface (sRGB, by the protocol's advice).
//
// As Mesa's Vulkan WSI does, metadata that the compositor cannot take is left out rather than
// risked: mastering primaries without the set_mastering_display_primaries feature, and MaxCLL or
// MaxFALL outside the mastering luminance range on a version 1 global (a protocol error there);
// a description refused with metadata (wp_image_description_v1.failed) is made again without it.
// What is left out is said in the description this returns.
#pragma once

#include "pixels/colorimetry.hpp"
#include "util/result.hpp"

#include <chrono>
#include <string>

namespace dmafeed::wl {
class Connection;
class Globals;
class Window;
}  // namespace dmafeed::wl

namespace dmafeed::producer {

// Declares `color` on the window's surface (waiting, up to `timeout`, for the compositor's answer).
// Returns what was declared, in words ("BT.2020, PQ (SMPTE ST 2084), MaxCLL 1000; declared
// (wp_color_manager_v1 v2)"; empty when `color` is the default), or an error that names what the
// compositor supports when it cannot be told: no wp_color_manager_v1, no parametric descriptions,
// a transfer function or primaries it does not list, or a description it refuses outright.
Result<std::string> declare_color_space(const pixels::ColorSpace& color, wl::Connection& connection,
                                        const wl::Globals& globals, wl::Window& window, std::chrono::milliseconds timeout);

}  // namespace dmafeed::producer
