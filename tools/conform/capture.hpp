// Reading the compositor's first output back, with a capture protocol it offers, on a connection of
// dmafeed-conform's own (not a case's). Three are spoken, tried in this order by `automatic`:
//   ext-image-copy-capture-v1   an output image capture source and a copy session; frames into a
//                               wl_shm buffer of the session's size and one of its shm formats;
//                               `failed` with buffer_constraints: the constraints are read again
//                               and the copy retried
//   zwlr_screencopy_manager_v1  capture_output (no cursor) and copy into the wl_shm buffer the
//                               frame describes (v3: after buffer_done); Y_INVERT rows are flipped
//   weston_capture_v1           weston's own (needs `weston --debug`, which authorizes it): the
//                               framebuffer source, in the format the output says
// Each reads XRGB8888, ARGB8888, XBGR8888 or ABGR8888 and waits for the compositor at most the
// timeout it was made with.
#pragma once

#include "pixels/packer.hpp"
#include "util/result.hpp"

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace dmafeed::conform {

enum class CaptureMethod { automatic, ext_image_copy, wlr_screencopy, weston };

// "auto", "ext-image-copy", "wlr-screencopy", "weston" (dmafeed-conform's --capture).
std::optional<CaptureMethod> parse_capture_method(std::string_view name);
std::string_view capture_method_name(CaptureMethod method);

class Capturer {
public:
    // The capturer of `method`, or with `automatic` the first offered one that can be set up. An
    // error starts with "none" and says why nothing can capture: "none (the compositor offers no
    // capture protocol; ...)", "none (--capture wlr-screencopy: the compositor does not offer
    // zwlr_screencopy_manager_v1)", a set-up that failed (no wl_output, no format it reads).
    static Result<std::unique_ptr<Capturer>> create(const std::string& display, std::chrono::milliseconds timeout,
                                                    CaptureMethod method = CaptureMethod::automatic);
    Capturer() = default;
    Capturer(const Capturer&) = delete;
    Capturer& operator=(const Capturer&) = delete;
    virtual ~Capturer() = default;
    // "ext-image-copy-capture-v1 (output, wl_shm XRGB8888)", "zwlr_screencopy_manager_v1 v3
    // (output, wl_shm XRGB8888)", "weston_capture_v1 (framebuffer)".
    virtual std::string method() const = 0;
    // The first output, as RGB.
    virtual Result<pixels::RgbImage> capture() = 0;
};

}  // namespace dmafeed::conform
