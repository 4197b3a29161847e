// How YUV frames' encoding reaches the compositor: declared with wp_color_representation_v1 where
// it is offered and lists the (coefficients, range) pair; without it, only BT.601 limited range
// (what compositors assume, measured on weston 14) is accepted, as anything else would be shown
// with the wrong colours.
#pragma once

#include "drm/format.hpp"
#include "pixels/color.hpp"
#include "util/result.hpp"

#include <string>

namespace dmafeed::wl {
class Globals;
class Window;
}  // namespace dmafeed::wl

namespace dmafeed::producer {

// Declares `encoding` for the window's surface where `format` is YUV (nothing for RGB: an empty
// description). Returns what the frames' encoding is and whether the compositor was told:
// "BT.709 full range, declared (wp_color_representation_v1)"; an error naming what the compositor
// supports where it cannot be told and would show wrong colours.
Result<std::string> declare_yuv_encoding(DrmFormat format, pixels::YuvEncoding encoding, const wl::Globals& globals,
                                         wl::Window& window);

}  // namespace dmafeed::producer
